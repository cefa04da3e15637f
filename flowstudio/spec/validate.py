"""The flow validator: schema passes, then graph checks, every problem collected.

Pass 1 checks the envelope (the file's shape), pass 2 each widget's properties against
that widget's own schema and the shape of its transitions; then `graph.py` checks the
flow as a graph and `templates.py` the Liquid and regular expressions inside it.
Each problem is an `Issue` with the widget, the property path and, for flows read from
a file, the line.
"""
from __future__ import annotations

import re
from difflib import get_close_matches
from functools import lru_cache

from ..widgets import registry, unsupported
from . import graph, templates, wiring
from .depth import MAX_DEPTH, dotted, too_deep
from .flowfile import FlowDocument
from .flowindex import FlowIndex, is_flow_sid
from .gcpause import gc_paused
from .issues import ERROR, WARNING, Issue
from .model import MATCH, Flow
from .schema import ENVELOPE
from .schema_errors import SchemaCheck, located_errors


class Report:
    """Collects issues for one flow, resolving widget names and file lines from paths."""

    def __init__(self, data: dict, doc: FlowDocument | None = None):
        self.data = data
        self.doc = doc
        self.issues: list[Issue] = []
        self.flows: FlowIndex | None = None  # the other flows, for subflow checks
        widgets = data.get("widgets")
        self._widgets = widgets if isinstance(widgets, list) else []

    def add(self, code: str, message: str, index: int | None = None, path: tuple = (),
            severity: str = ERROR) -> None:
        """Record a problem of widget number `index` (None: the flow) at `path` inside it."""
        widget = None
        full = tuple(path)
        if index is not None:
            item = self._widgets[index] if index < len(self._widgets) else None
            name = item.get("name") if isinstance(item, dict) else None
            widget = name if isinstance(name, str) and name else f"widgets[{index}]"
            full = ("widgets", index) + full
        line = self.doc.line_of(full) if self.doc else None
        self.issues.append(Issue(code, severity, message, widget, _dotted(path), self.doc and self.doc.file,
                                 line))

    def warn(self, code: str, message: str, index: int | None = None, path: tuple = ()) -> None:
        """Record a warning."""
        self.add(code, message, index, path, WARNING)


def _dotted(path) -> str:
    return ".".join(str(p) for p in path)


@lru_cache(maxsize=None)
def _validator(widget_type: str, part: str = "properties") -> SchemaCheck:
    spec = registry.get(widget_type)
    schema = spec.properties if part == "properties" else spec.condition_schema
    return SchemaCheck(schema)


# The envelope without its per-widget part: widgets are checked one by one below, so a
# broken widget is reported once and the others still get their deeper checks.
_ENVELOPE = SchemaCheck({**ENVELOPE, "properties": {
    **ENVELOPE["properties"], "widgets": {"type": "array"}}})
_WIDGET_ENVELOPE = SchemaCheck(ENVELOPE["properties"]["widgets"]["items"])


def check_properties(widget_type: str, properties: dict) -> list[Issue]:
    """The schema problems of one widget's properties (path relative to the widget,
    e.g. `properties.timeout`). Unknown types have no schema and give no problems."""
    report = Report({})
    _check_properties(report, None, widget_type, properties)
    return report.issues


def _check_properties(report: Report, index, widget_type: str, properties) -> None:
    if registry.get(widget_type) is None:
        return
    for path, message in located_errors(_validator(widget_type), properties):
        report.add("property", message, index, ("properties",) + path)


def validate_document(doc: FlowDocument, known_flows: set[str] | FlowIndex | None = None) -> list[Issue]:
    """Every problem of a loaded flow file, with file lines. `known_flows` are the other
    flows (ids, or a FlowIndex that can also read them and their Studio SIDs); None
    skips the subflow checks."""
    return _validate(doc.data, doc, known_flows)


def validate_data(data: dict, known_flows: set[str] | FlowIndex | None = None) -> list[Issue]:
    """Every problem of a flow given as plain data (no file lines)."""
    return _validate(data, None, known_flows)


def validate_flow(flow: Flow, known_flows: set[str] | FlowIndex | None = None) -> list[Issue]:
    """Every problem of a Flow object."""
    return _validate(flow.to_data(), None, known_flows)


def _validate(data: dict, doc: FlowDocument | None, known_flows) -> list[Issue]:
    with gc_paused():   # many objects, no cycles (gcpause.py)
        return _checked(data, doc, known_flows)


def _checked(data: dict, doc: FlowDocument | None, known_flows) -> list[Issue]:
    report = Report(data, doc)
    # Before anything that recurses through the document. (A file's nesting was measured
    # when it was read: only data from elsewhere, a draft or a request, is measured here.)
    deep = too_deep(data) if doc is None else None
    if deep is not None:
        report.add("too_deep", f"nesting deeper than {MAX_DEPTH} levels (at {dotted(deep)}); flow documents "
                               "nest a few levels", None, deep)
        return report.issues
    report.flows = FlowIndex.of(known_flows)
    for path, message in located_errors(_ENVELOPE, data):
        report.add("envelope", message, None, path)
    widgets = data.get("widgets") if isinstance(data, dict) else None
    if not isinstance(widgets, list):
        return report.issues
    good: list[int] = []
    for i, w in enumerate(widgets):
        usable = _usable(w)
        if not (usable and w.keys() <= _WIDGET_KEYS):  # the schema only has news for broken widgets
            for path, message in located_errors(_WIDGET_ENVELOPE, w):
                report.add("envelope", message, i, path)
        if usable:
            good.append(i)
            _check_widget(report, i, w)
    flow = Flow.from_data({"name": data.get("name") or "", "widgets": [widgets[i] for i in good]})
    indexes = good  # flow.widgets[k] is data widget number indexes[k]
    graph.check(report, flow, indexes)
    wiring.check(report, data, indexes)
    templates.check(report, flow, indexes)
    if report.flows is not None:
        _check_subflows(report, flow, indexes, report.flows)
    # Stable sort: file order for people reading along the file; pass order otherwise.
    return sorted(report.issues, key=lambda issue: issue.line or 0)


_WIDGET_KEYS = frozenset(ENVELOPE["properties"]["widgets"]["items"]["properties"])


def _usable(w) -> bool:
    """Whether a widget is whole enough for the later passes (an unknown extra key is
    reported but does not hide the widget from the graph checks)."""
    return (isinstance(w, dict) and isinstance(w.get("name"), str) and isinstance(w.get("type"), str)
            and isinstance(w.get("properties", {}), dict) and isinstance(w.get("transitions", {}), (dict, list)))


def _check_widget(report: Report, i: int, w: dict) -> None:
    wtype = w["type"]
    spec = registry.get(wtype)
    if spec is None:
        if wtype in unsupported.TYPES:
            report.warn("not_supported", f"{unsupported.TYPES[wtype]} ({wtype}) is {unsupported.MESSAGE}", i, ("type",))
        else:
            hint = get_close_matches(wtype, list(registry.all_widgets()), n=1)
            report.add("unknown_type", f"unknown widget type '{wtype}'"
                       + (f" (did you mean '{hint[0]}'?)" if hint else "")
                       + "; kept as is, but not supported by this runtime", i, ("type",))
        return
    if not spec.supported:  # declared (events, kept settings) but not run here yet
        report.warn("not_supported", f"{spec.title} ({wtype}) is {unsupported.MESSAGE}", i, ("type",))
    _check_properties(report, i, wtype, w.get("properties", {}))
    _check_unknown_properties(report, i, spec, w.get("properties", {}))
    _check_transitions(report, i, spec, w.get("transitions"))


_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def _check_unknown_properties(report: Report, i: int, spec, properties: dict) -> None:
    """Warn about properties the widget does not have (TwiML's `speechTimeout` for
    Studio's `speech_timeout`...): Studio ignores them. They are kept as written."""
    declared = spec.properties.get("properties", {})
    if spec.properties.get("x-open"):
        return  # a widget whose Studio settings are kept without being checked
    for key in properties:
        if key in declared or not isinstance(key, str):
            continue
        snake = _CAMEL.sub(r"_\1", key).lower()
        hint = snake if snake in declared else next(iter(get_close_matches(key, list(declared), n=1)), None)
        report.warn("unknown_property", f"{spec.title} has no property '{key}'"
                    + (f" (Studio calls it '{hint}')" if hint else "")
                    + "; it is kept, but Studio and this runtime ignore it", i, ("properties", key))


def _check_transitions(report: Report, i: int, spec, transitions) -> None:
    events = spec.event_names
    known = ", ".join(events)
    if isinstance(transitions, list):
        for k, t in enumerate(transitions):
            if not isinstance(t, dict) or not t.get("event"):
                report.add("transition_event", f"transition {k + 1} has no event", i, ("transitions", k))
            elif t["event"] not in events:
                report.add("unknown_event", f"'{t['event']}' is not an event of {spec.type} (events: {known})",
                           i, ("transitions", k, "event"))
            if isinstance(t, dict) and t.get("next") is not None and not isinstance(t["next"], str):
                report.add("transition_target", "must be the name of a widget, or null to end here", i,
                           ("transitions", k, "next"))
        return
    for event, target in (transitions or {}).items():
        where = ("transitions", event)
        if event not in events:
            report.add("unknown_event", f"'{event}' is not an event of {spec.type} (events: {known})", i, where)
        elif event == MATCH and spec.condition_schema is not None:
            _check_matches(report, i, spec, target)
        elif target is not None and not isinstance(target, str):
            report.add("transition_target", "must be the name of a widget, or null to end here", i, where)


def _check_matches(report: Report, i: int, spec, matches) -> None:
    if not isinstance(matches, list):
        report.add("transition_target", "must be a list of {next, conditions}", i, ("transitions", MATCH))
        return
    for j, m in enumerate(matches):
        where = ("transitions", MATCH, j)
        if not isinstance(m, dict):
            report.add("transition_target", "must be a mapping with next and conditions", i, where)
            continue
        if m.get("next") is not None and not isinstance(m.get("next"), str):
            report.add("transition_target", "must be the name of a widget, or null to end here", i, where + ("next",))
        conditions = m.get("conditions")
        if not isinstance(conditions, list) or not conditions:
            report.add("conditions", "a match transition needs at least one condition", i, where + ("conditions",))
            continue
        for k, c in enumerate(conditions):
            for path, message in located_errors(_validator(spec.type, "conditions"), c):
                report.add("condition", message, i, where + ("conditions", k) + path)


def _check_subflows(report: Report, flow: Flow, indexes: list[int], flows: FlowIndex) -> None:
    for w, i in zip(flow.widgets, indexes):
        if w.type != "run-subflow":
            continue
        target = w.properties.get("flow_sid")
        if not isinstance(target, str) or not target or "{" in target or flows.resolve(target) is not None:
            continue
        where = ("properties", "flow_sid")
        if is_flow_sid(target):
            # Studio names subflows by SID, which a definition does not carry: record it.
            report.warn("unknown_subflow_sid", f"runs Studio flow {target}, which no flow here records, so "
                        "the subflow fails when it runs; import that flow with `flowstudio import-studio "
                        f"FILE.json --sid {target}` (or add `sid: {target}` to its file)", i, where)
        else:
            report.add("unknown_subflow", f"runs subflow '{target}', but there is no flow with that id "
                       f"(a file {target}.yaml beside this one)", i, where)
