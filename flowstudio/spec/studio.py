"""Twilio Studio's JSON flow definition, in and out.

`from_studio` turns a Studio export (`{description, states, initial_state, flags}`)
into a `Flow`; `to_studio` writes one back. The two are inverse on real exports:
`to_studio(from_studio(d))` equals `d` (JSON equality) for `description`,
`initial_state`, `flags` and `states`, also when the Flow goes through a YAML file.
A definition does not carry the flow's own SID: the flow file records it as `sid:`
(see flowindex.py), and Run Subflow's `flow_sid` stays the SID Studio wrote.

On import each state becomes a Widget: its `offset` moves to `flow.ui`, property values
are kept exactly (a string "3600" stays a string), and the transition list becomes the
readable mapping `{event: next}` with the `match` transitions of a split gathered under
`match` (conditions lose `arguments` equal to `[input]` and `friendly_name` equal to
Studio's default label; export puts them back). When a widget's transitions cannot be
written as that mapping without losing something (an unknown type, a transition with
no event, a repeated event, extra keys...), the Studio list is kept verbatim.
"""
from __future__ import annotations

import copy
import json

from ..widgets import registry
from ..widgets.split_based_on import default_friendly_name
from .model import MATCH, Flow, Widget

STATE_KEYS = ("name", "type", "transitions", "properties")
TRANSITION_KEYS = ("event", "next", "conditions")


class StudioFormatError(ValueError):
    """The input is not a Studio flow definition (the message says where and why)."""


# ---------------------------------------------------------------- import


def unwrap_export(data) -> tuple[object, str | None]:
    """The flow definition in what Twilio gives out for a flow, and the flow's SID when it
    names one: the definition itself (Studio's Export to JSON), the REST API's Flow (`{"sid",
    "definition"}`, `twilio api:studio:v2:flows:fetch`), or the twilio CLI's `-o json` list
    of that one Flow. Anything else comes back as it is, for from_studio to say what is wrong."""
    from .flowindex import is_flow_sid
    if isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict):
        data = data[0]
    if isinstance(data, dict) and "states" not in data and isinstance(data.get("definition"), dict):
        sid = data.get("sid")
        return data["definition"], sid if is_flow_sid(sid) else None
    return data, None


def from_studio(definition: dict, name: str) -> Flow:
    """The Flow called `name` for a Studio flow definition; raise StudioFormatError when
    `definition` does not have a Studio definition's shape."""
    states = _states(definition)
    widgets, ui = [], {}
    for state in states:
        widget, offset = _widget(state)
        widgets.append(widget)
        if offset is not None:
            ui[widget.name] = offset
    description = definition.get("description")
    return Flow(name=name, widgets=widgets, description=description if description is not None else "",
                ui=ui, flags=copy.deepcopy(definition.get("flags")))


def _states(definition) -> list[dict]:
    if not isinstance(definition, dict):
        raise StudioFormatError(f"a Studio flow definition is a JSON object, found {_kind(definition)}")
    states = definition.get("states")
    if not isinstance(states, list):
        found = "none" if "states" not in definition else _kind(states)
        raise StudioFormatError(f"a Studio flow definition needs a 'states' list, found {found}")
    seen: dict[str, int] = {}
    for i, state in enumerate(states):
        _check_state(i, state)
        if state["name"] in seen:
            raise StudioFormatError(f"{_where(i, state)}: duplicate name, already used by "
                                    f"states[{seen[state['name']]}]")
        seen[state["name"]] = i
    return states


def _check_state(i: int, state) -> None:
    if not isinstance(state, dict):
        raise StudioFormatError(f"states[{i}]: a state must be an object, found {_kind(state)}")
    for key in ("name", "type"):
        if key not in state:
            raise StudioFormatError(f"{_where(i, state)}: missing '{key}'")
        if not isinstance(state[key], str) or not state[key]:
            raise StudioFormatError(f"{_where(i, state)}: '{key}' must be a non-empty string, "
                                    f"found {state[key]!r}")
    for key, kind, wanted in (("properties", dict, "an object"), ("transitions", list, "a list")):
        if key in state and not isinstance(state[key], kind):
            raise StudioFormatError(f"{_where(i, state)}: '{key}' must be {wanted}, found {_kind(state[key])}")


def _where(i: int, state: dict) -> str:
    name = state.get("name")
    return f"states[{i}] ({name!r})" if isinstance(name, str) else f"states[{i}]"


_KINDS = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null",
          int: "a number", float: "a number"}


def _kind(value) -> str:
    return _KINDS.get(type(value), type(value).__name__)


def _widget(state: dict) -> tuple[Widget, dict | None]:
    properties = copy.deepcopy(state.get("properties") or {})
    offset = properties.pop("offset") if isinstance(properties.get("offset"), dict) else None
    transitions = copy.deepcopy(state.get("transitions"))
    mapping = _mapping(state["type"], transitions, properties)
    if mapping is not None and _same(_studio_transitions(mapping, properties, known=True), transitions):
        transitions = mapping
    return Widget(state["name"], state["type"], properties, transitions), offset


def _mapping(widget_type: str, transitions, properties: dict) -> dict | None:
    """The `{event: next}` form of a known type's transitions, or None when they do
    not fit it (the caller also checks that exporting it gives the list back)."""
    spec = registry.get(widget_type)
    if spec is None or not isinstance(transitions, list):
        return None
    out: dict = {}
    last = None
    for t in transitions:
        if not _plain_transition(t):
            return None
        event = t["event"]
        if event == MATCH:
            if spec.condition_schema is None or (MATCH in out and last != MATCH):
                return None
            out.setdefault(MATCH, []).append(_match_entry(t, properties))
        elif event in out or "conditions" in t:
            return None
        else:
            out[event] = t.get("next")
        last = event
    return out


def _same(a, b) -> bool:
    """JSON equality: unlike ==, keeps true apart from 1 (dict key order ignored)."""
    return json.dumps(a, sort_keys=True, default=repr) == json.dumps(b, sort_keys=True, default=repr)


def _plain_transition(t) -> bool:
    return (isinstance(t, dict) and isinstance(t.get("event"), str) and not set(t) - set(TRANSITION_KEYS)
            and isinstance(t.get("next", ""), str))


def _match_entry(t: dict, properties: dict) -> dict:
    entry: dict = {"next": t.get("next")}
    if "conditions" in t:
        conditions = t["conditions"]
        entry["conditions"] = ([_short_condition(c, properties) for c in conditions]
                               if isinstance(conditions, list) else conditions)
    return entry


def _short_condition(condition, properties: dict):
    if not isinstance(condition, dict):
        return condition
    out = dict(condition)
    if "input" in properties and "arguments" in out and _same(out["arguments"], [properties["input"]]):
        del out["arguments"]
    if out.get("friendly_name") == default_friendly_name(condition):
        del out["friendly_name"]
    return out


# ---------------------------------------------------------------- export


def to_studio(flow: Flow, flow_sids: dict[str, str] | None = None) -> dict:
    """The Studio flow definition of `flow`: `description`, `states` (offsets from
    `flow.ui`), `initial_state` (the trigger, else the first widget) and `flags`.

    `flow_sids` maps flow ids to the Studio SIDs their files record: a Run Subflow that
    names a flow here by id is written with that flow's SID, which is how Studio names
    it (one imported with a SID keeps it as it is, so the round trip is exact)."""
    out: dict = {"description": flow.description,
                 "states": [_state(w, flow.ui, flow_sids or {}) for w in flow.widgets]}
    start = flow.trigger or (flow.widgets[0] if flow.widgets else None)
    if start is not None:
        out["initial_state"] = start.name
    if flow.flags is not None:
        out["flags"] = copy.deepcopy(flow.flags)
    return out


def _state(widget: Widget, ui: dict, flow_sids: dict[str, str]) -> dict:
    properties = copy.deepcopy(widget.properties or {})
    child = properties.get("flow_sid")
    if widget.type == "run-subflow" and isinstance(child, str) and child in flow_sids:
        properties["flow_sid"] = flow_sids[child]
    # A draft may be half-made: a name or type that is not text (a list...) is exported
    # as it is, without its place on the canvas or its type's transitions.
    offset = ui.get(widget.name) if isinstance(widget.name, str) else None
    if isinstance(offset, dict):
        properties.pop("offset", None)
        properties = {"offset": copy.deepcopy(offset), **properties}
    state: dict = {"name": widget.name, "type": widget.type}
    transitions = _studio_transitions(widget.transitions, widget.properties or {},
                                      known=registry.get(widget.type) is not None)
    if transitions is not None:
        state["transitions"] = transitions
    state["properties"] = properties
    return state


def _studio_transitions(transitions, properties: dict, known: bool) -> list | None:
    """Studio's transition list for a widget's transitions (mapping, list or None).
    A known type always has a list (an empty mapping is dropped from YAML files)."""
    if transitions is None:
        return [] if known else None
    if isinstance(transitions, list):
        return copy.deepcopy(transitions)
    out: list = []
    for event, target in transitions.items():
        if event == MATCH and isinstance(target, list):
            out += [_studio_match(m, properties) for m in target]
        else:
            out.append(_edge(event, copy.deepcopy(target)))
    return out


def _edge(event: str, target) -> dict:
    return {"event": event} if target is None else {"next": target, "event": event}


def _studio_match(match, properties: dict) -> dict:
    match = match if isinstance(match, dict) else {}
    out = _edge(MATCH, copy.deepcopy(match.get("next")))
    if "conditions" in match:
        conditions = match["conditions"]
        out["conditions"] = ([_full_condition(c, properties) for c in conditions]
                             if isinstance(conditions, list) else copy.deepcopy(conditions))
    return out


def _full_condition(condition, properties: dict):
    if not isinstance(condition, dict):
        return copy.deepcopy(condition)
    out: dict = {"friendly_name": condition.get("friendly_name", default_friendly_name(condition))}
    if "arguments" in condition or "input" in properties:
        out["arguments"] = copy.deepcopy(condition.get("arguments", [properties.get("input")]))
    out.update({k: copy.deepcopy(v) for k, v in condition.items() if k not in out})
    return out
