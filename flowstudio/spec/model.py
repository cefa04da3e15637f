"""The flow as Python objects: `Flow` holds `Widget`s; both map to and from plain data.

The data shape is the flow file's (see the README's "Flow file" section):

    spec_version, name, [sid], description, [flags], widgets: [{name, type, properties,
    transitions}], ui: {widget name: {x, y}}

`sid` is the flow's Twilio Studio SID (`FW…`) when it was imported from Studio with one
(a Studio definition does not carry its own SID); Run Subflow widgets may name the flow
by it.

`transitions` is normally a mapping from event to the next widget's name (`null` when
the event is listed but goes nowhere, which ends that branch); for split-based-on, the
`match` key holds an ordered list of `{next, conditions}`. A widget whose Studio
transitions cannot be written as a mapping (an unknown type, a transition with no
event) keeps Studio's list of `{event, next, conditions}` as is, so nothing is lost.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, NamedTuple

from ..widgets import registry

MATCH = "match"


class Edge(NamedTuple):
    """One transition: the `event`, the `next` widget name (None ends the branch), and
    for `match` transitions the index among them (else None)."""

    event: str | None
    next: str | None
    index: int | None = None


@dataclass
class Widget:
    """One widget on the canvas: a unique `name`, a Studio `type`, its `properties`
    and its `transitions` (see the module docstring for their shape)."""

    name: str
    type: str
    properties: dict = field(default_factory=dict)
    transitions: dict | list | None = field(default_factory=dict)

    def edges(self) -> Iterator[Edge]:
        """Every transition in order, including those that go nowhere. An event or a
        target that is not text (a draft, a Studio definition or a hand-written file can
        hold anything there; the schema reports it) is None here, so that the checks
        that follow edges can use them as names."""
        t = self.transitions
        if isinstance(t, list):
            for item in t:
                if isinstance(item, dict):
                    yield Edge(_text(item.get("event")), _text(item.get("next")))
            return
        for event, target in (t or {}).items():
            if event == MATCH and isinstance(target, list):
                for i, match in enumerate(target):
                    yield Edge(MATCH, _text(match.get("next")) if isinstance(match, dict) else None, i)
            else:
                yield Edge(_text(event), _text(target))

    def next_for(self, event: str) -> str | None:
        """The widget that `event` leads to, or None when it ends the branch."""
        t = self.transitions
        if type(t) is dict:  # the usual shape, read directly: what edges() would find first
            target = t.get(event)
            if event == MATCH and isinstance(target, list):
                return None  # `match` transitions are reached by index, not by event
            return target if isinstance(target, str) else None
        for edge in self.edges():
            if edge.event == event and edge.index is None:
                return edge.next
        return None

    def matches(self) -> list[dict]:
        """The `match` transitions of a split, in the order they are tried."""
        t = self.transitions
        if isinstance(t, dict) and isinstance(t.get(MATCH), list):
            return [m for m in t[MATCH] if isinstance(m, dict)]
        if isinstance(t, list):
            return [m for m in t if isinstance(m, dict) and m.get("event") == MATCH]
        return []


@dataclass
class Flow:
    """A whole flow: metadata, widgets in file order, and canvas layout (`ui`)."""

    name: str
    widgets: list[Widget] = field(default_factory=list)
    description: str = ""
    ui: dict = field(default_factory=dict)
    flags: dict | None = None
    spec_version: int = 1
    sid: str | None = None

    def __post_init__(self):
        self._by_name: dict[str, Widget] | None = None

    def widget(self, name: str) -> Widget | None:
        """The widget called `name`, or None."""
        if self._by_name is None or len(self._by_name) != len(self.widgets):
            # reversed: with duplicate names (an invalid flow) the first one wins
            self._by_name = {w.name: w for w in reversed(self.widgets)}
        return self._by_name.get(name)

    @property
    def trigger(self) -> Widget | None:
        """The flow's trigger widget (the first one, when a broken flow has several)."""
        return next((w for w in self.widgets if w.type == "trigger"), None)

    @classmethod
    def from_data(cls, data: dict) -> "Flow":
        """Build a Flow from plain data that passed the envelope schema."""
        widgets = [Widget(w["name"], w["type"], dict(w.get("properties") or {}),
                          _transitions_from(w)) for w in data.get("widgets") or []]
        return cls(name=data["name"], widgets=widgets, description=data.get("description") or "",
                   ui=dict(data.get("ui") or {}), flags=data.get("flags"),
                   spec_version=data.get("spec_version", 1),
                   sid=data["sid"] if isinstance(data.get("sid"), str) else None)

    def to_data(self) -> dict:
        """Plain data in canonical key order (logic first, layout last)."""
        out: dict = {"spec_version": self.spec_version, "name": self.name}
        if self.sid:
            out["sid"] = self.sid
        if self.description:
            out["description"] = self.description
        if self.flags is not None:
            out["flags"] = _sorted(self.flags)
        out["widgets"] = [_widget_data(w) for w in self.widgets]
        if self.ui:
            out["ui"] = _ui_data(self.ui, [w.name for w in self.widgets])
        return out


def _transitions_from(w: dict):
    if "transitions" not in w:
        return None
    t = w["transitions"]
    return dict(t) if isinstance(t, dict) else list(t)


def _widget_data(w: Widget) -> dict:
    spec = registry.get(w.type)
    out: dict = {"name": w.name, "type": w.type}
    if w.properties:
        out["properties"] = canonical(w.properties, spec.properties if spec else None)
    t = w.transitions
    if t is None or (spec and not t):
        return out  # absent, or empty on a known type (export lists it as [])
    if isinstance(t, list):
        out["transitions"] = [_sorted(item) for item in t]
        return out
    cond_schema = spec.condition_schema if spec else None
    out["transitions"] = {
        event: ([_match_data(m, cond_schema) for m in target] if event == MATCH and isinstance(target, list)
                else target)
        for event, target in t.items()
    }
    return out


def _match_data(match, cond_schema):
    if not isinstance(match, dict):
        return match
    out = {k: match[k] for k in ("next", "conditions") if k in match}
    if isinstance(out.get("conditions"), list):
        out["conditions"] = [canonical(c, cond_schema) for c in out["conditions"]]
    out.update({k: _sorted(v) for k, v in sorted(match.items()) if k not in out})
    return out


def _ui_data(ui: dict, order: list[str]) -> dict:
    keys = [n for n in order if n in ui] + sorted(k for k in ui if k not in set(order))
    out = {}
    for k in keys:
        pos = ui[k]
        out[k] = ({a: pos[a] for a in ("x", "y") if a in pos} | _sorted({a: v for a, v in pos.items()
                                                                         if a not in ("x", "y")})
                  if isinstance(pos, dict) else pos)
    return out


def canonical(value, schema: dict | None):
    """`value` with mapping keys in canonical order: the schema's declared properties
    first (in declaration order), then any others alphabetically, recursively."""
    if isinstance(value, dict):
        declared = list((schema or {}).get("properties", {}))
        keys = [k for k in declared if k in value] + sorted((k for k in value if k not in declared), key=str)
        props = (schema or {}).get("properties", {})
        return {k: canonical(value[k], props.get(k)) for k in keys}
    if isinstance(value, list):
        items = (schema or {}).get("items") if isinstance((schema or {}).get("items"), dict) else None
        return [canonical(v, items) for v in value]
    return value


def _sorted(value):
    return canonical(value, None)


def _text(value) -> str | None:
    return value if isinstance(value, str) else None
