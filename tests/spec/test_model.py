"""Widget transitions: `next_for` reads a mapping directly, and agrees with `edges()`."""
import pytest

from flowstudio.spec.model import Widget


def next_by_edges(widget: Widget, event: str):
    """The first non-match edge for `event`, as the engine always looked it up."""
    return next((e.next for e in widget.edges() if e.event == event and e.index is None), None)


TRANSITIONS = [
    {"next": "b", "failed": None},
    {"noMatch": "a", "match": [{"next": "b", "conditions": []}, {"next": None}]},
    {"match": "c"},                     # a malformed `match` that is not a list: a plain edge
    {"match": None},
    {"next": 3, "other": ["x"]},         # targets that are not names end the branch
    {},
    None,
    [{"event": "next", "next": "b"}, {"event": "next", "next": "c"}, "junk", {"event": "match", "next": "d"}],
]
EVENTS = ["next", "failed", "noMatch", "match", "other", "missing"]


@pytest.mark.parametrize("transitions", TRANSITIONS)
def test_next_for_agrees_with_edges(transitions):
    widget = Widget("w", "set-variables", {}, transitions)
    for event in EVENTS:
        assert widget.next_for(event) == next_by_edges(widget, event), event
