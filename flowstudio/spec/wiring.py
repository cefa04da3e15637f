"""Checks of where transitions lead that the schema and the graph checks leave open:
a transition may not go back to the Trigger (it has no input: the run would fail with
"cannot run this kind of widget"), and a split branch's condition needs a value to
compare with (an empty one never matches what people meant).

Kept apart from graph.py on purpose: each check here is one small function over the
widgets as written, with the path of the field at fault.
"""
from __future__ import annotations

from ..widgets.split_based_on import VALUELESS
from .model import MATCH


def check(report, data: dict, indexes: list[int]) -> None:
    """Report transitions to the trigger and split branches with an empty value, for the
    widgets `indexes` (whole enough to check) of `data["widgets"]`."""
    widgets = data["widgets"]
    triggers = {widgets[i]["name"] for i in indexes if widgets[i]["type"] == "trigger"}
    for i in indexes:
        for path, target in _targets(widgets[i].get("transitions")):
            if target in triggers:
                report.add("transition_to_trigger", f"{_event(path)} goes to the trigger '{target}', which nothing "
                           "can go back to: connect it to another widget, or leave it empty to end here", i, path)
        if widgets[i]["type"] == "split-based-on":
            _check_branch_values(report, i, widgets[i].get("transitions"))


def _targets(transitions):
    """(path, target) of every transition: `{event: target}`, `match: [{next}]`, or the
    list form `[{event, next}]`."""
    if isinstance(transitions, list):
        for k, t in enumerate(transitions):
            if isinstance(t, dict) and isinstance(t.get("next"), str):
                yield ("transitions", k, "next"), t["next"]
        return
    if not isinstance(transitions, dict):
        return
    for event, target in transitions.items():
        if event == MATCH and isinstance(target, list):
            for j, m in enumerate(target):
                if isinstance(m, dict) and isinstance(m.get("next"), str):
                    yield ("transitions", MATCH, j, "next"), m["next"]
        elif isinstance(target, str):
            yield ("transitions", event), target


def _event(path: tuple) -> str:
    # ("transitions", "match") alone: `match: some_widget`, a target where branches belong
    return f"branch {path[2] + 1}" if path[1] == MATCH and len(path) > 2 else f"'{path[1]}'"


def _check_branch_values(report, i: int, transitions) -> None:
    matches = transitions.get(MATCH) if isinstance(transitions, dict) else None
    for j, m in enumerate(matches if isinstance(matches, list) else []):
        conditions = m.get("conditions") if isinstance(m, dict) else None
        for k, c in enumerate(conditions if isinstance(conditions, list) else []):
            if not isinstance(c, dict) or c.get("type") in VALUELESS or "value" not in c:
                continue   # the schema reports a missing value; the blank tests need none
            if c["value"] is None or (isinstance(c["value"], str) and not c["value"].strip()):
                report.add("empty_branch_value", f"branch {j + 1} has no value to compare with: type one, or "
                           "choose \"Is Blank\" to test for an empty answer", i,
                           ("transitions", MATCH, j, "conditions", k, "value"))
