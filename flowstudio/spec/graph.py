"""Graph checks of a flow.

Widgets are nodes and transitions edges, kept as plain dicts: `succ[name]` holds the
widgets that `name` leads to, in the order its transitions name them. (These checks
used networkx, which cost `flowstudio validate` about 200 ms of start-up to import,
whatever the flow, and its graph objects about 27 -> 12 ms CPU more than these dicts on
a 2,000-widget flow; tests/spec/test_graph_plain.py checks both traversals below against
networkx's on random graphs.) Checked: names (valid, unique), exactly one
trigger, transitions to missing widgets, widgets the trigger never reaches (warning),
loops with no widget that waits for input (an error when nothing but a failure leaves
them, else a warning naming the ways out; Run Subflow is looked through), and
channel mistakes: voice-only widgets reachable from an incoming message, and SMS waits
reachable from an incoming call. Every check is linear in the size of the flow.
"""
from __future__ import annotations

import re
from collections import deque

from ..widgets import registry
from ..widgets.trigger import RUNS, WIDGET as TRIGGER
from .model import MATCH, Flow

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
# A waiting widget's name is stored with its execution (executions.waiting_widget) and
# in the Results' counts (statsschema), both 200 characters: longer names failed every
# turn that waits there on PostgreSQL. No name people read comes near this.
MAX_NAME = 100
MAX_SHOWN_PATH = 6


def check(report, flow: Flow, indexes: list[int]) -> None:
    """Run every graph check; `indexes[k]` is the data index of `flow.widgets[k]`."""
    pos = {}  # widget name -> position in flow.widgets (first occurrence)
    for k, w in enumerate(flow.widgets):
        _check_name(report, w.name, indexes[k], pos)
        pos.setdefault(w.name, k)
    succ: dict[str, dict[str, None]] = {name: {} for name in pos}  # an ordered set of successors each
    for k, w in enumerate(flow.widgets):
        for edge in w.edges():
            if edge.next is None:
                continue
            if edge.next not in pos:
                path = ("transitions", edge.event) + ((edge.index, "next") if edge.index is not None else ())
                report.add("dangling_transition", f"'{edge.event}' goes to '{edge.next}', which does not exist",
                           indexes[k], path)
            else:
                succ[w.name][edge.next] = None
    trigger = _check_trigger(report, flow, indexes)
    if trigger is None:
        return
    _check_reachable(report, flow, indexes, succ, trigger.name)
    _check_starts(report, trigger, indexes[pos[trigger.name]], pos)
    _check_spin(report, flow, indexes, succ, pos)
    _check_channels(report, flow, indexes, pos, trigger)


def _check_name(report, name: str, index: int, pos: dict) -> None:
    if not NAME.match(name):
        report.add("invalid_name", f"'{name}' is not a valid widget name: start with a letter and use only "
                   "letters, digits, _ and -", index, ("name",))
    elif len(name) > MAX_NAME:
        report.add("invalid_name", f"'{name[:30]}...' is {len(name):,} characters long: a widget name has at most "
                   f"{MAX_NAME}", index, ("name",))
    elif name in pos:
        report.add("duplicate_name", f"another widget is already called '{name}'", index, ("name",))


def _check_trigger(report, flow: Flow, indexes: list[int]):
    triggers = [k for k, w in enumerate(flow.widgets) if w.type == "trigger"]
    if not triggers:
        report.add("no_trigger", "the flow has no trigger widget; add one of type trigger", None, ("widgets",))
        return None
    for k in triggers[1:]:
        report.add("extra_trigger", f"a flow has exactly one trigger; '{flow.widgets[triggers[0]].name}' "
                   "is already the trigger", indexes[k], ("type",))
    return flow.widgets[triggers[0]]


def _check_starts(report, trigger, index: int, pos: dict) -> None:
    """A flow none of whose trigger events that this runtime runs leads to a widget
    ends every execution at once, with nothing done."""
    if any(trigger.next_for(event) in pos for event in RUNS):
        return
    others = [e.event for e in trigger.edges() if e.next in pos and e.event is not None]
    if others:
        report.warn("never_starts", f"the flow starts only on {', '.join(others)}, which this runtime does not "
                    f"run yet, so every execution here ends at once; connect {_runs()} to a widget to run it here",
                    index, ("transitions",))
    else:
        report.warn("never_starts", "nothing is connected to the Trigger, so the flow does nothing when it "
                    f"starts; connect one of its outputs to a widget: {_runs()}", index, ("transitions",))


def _runs() -> str:
    """The trigger events this runtime runs, as the editor's canvas labels them (what a
    person sees on the Trigger), each with its key in the flow file: "Incoming Message
    (incomingMessage)"."""
    labels = {e.name: e.label for e in TRIGGER.events}
    return ", ".join(f"{labels.get(e, e)} ({e})" for e in RUNS)


def _check_reachable(report, flow: Flow, indexes, succ: dict, start: str) -> None:
    reached = reachable(succ, start)
    for k, w in enumerate(flow.widgets):
        if w.name not in reached and flow.widget(w.name) is w:  # duplicates reported already
            report.warn("unreachable", "nothing leads here from the Trigger, so it never runs: connect an output to it",
                        indexes[k])


FAILURE_EVENTS = ("failed", "fail", "failedToEnqueue", "deliveryFailure")  # the engine's failure events
MAX_SHOWN_EXITS = 3


def _check_spin(report, flow: Flow, indexes, succ: dict, pos: dict) -> None:
    """Loops of widgets that never wait. One that nothing can leave except by failing
    spins until the step limit (an error); one that a split or another non-failure
    transition can leave (a bounded retry, a counter) gets a warning naming the exits."""
    waiting = _Waiting(getattr(report, "flows", None))
    # The graph of the widgets that do not wait, in flow order.
    busy_names = {w.name for w in flow.widgets if not waiting.widget(w)}
    busy = {name: [b for b in succ[name] if b in busy_names] for name in pos if name in busy_names}
    for component in strongly_connected(busy):
        if len(component) == 1:
            (only,) = component
            if only not in busy[only]:
                continue
        ordered = sorted(component, key=pos.__getitem__)
        loop = " → ".join(ordered[:MAX_SHOWN_PATH] + (["…"] if len(ordered) > MAX_SHOWN_PATH else []))
        first = pos[ordered[0]]
        through = [f"'{n}' runs '{waiting.child_of(flow.widgets[pos[n]])}', which never waits"
                   for n in ordered if flow.widgets[pos[n]].type == "run-subflow"]
        note = f" ({'; '.join(through)})" if through else ""
        exits = [e for n in ordered for e in _exits(flow.widgets[pos[n]], component)]
        if not exits:
            report.add("spin_loop", f"loop with no widget that waits for input ({loop} → {ordered[0]}){note}; "
                       "it would run until the step limit. Add a Send & Wait or Gather in the loop",
                       indexes[first], ("transitions",))
            continue
        shown = "; ".join(exits[:MAX_SHOWN_EXITS]) + ("; …" if len(exits) > MAX_SHOWN_EXITS else "")
        report.warn("busy_loop", f"loop with no widget that waits for input ({loop} → {ordered[0]}){note}; "
                    f"it leaves only by {shown}, so make sure that happens: an execution stops after "
                    f"{MAX_STEPS:,} steps", indexes[first], ("transitions",))


MAX_STEPS = 1000  # the engine's limit (engine/runner.py), named in messages


def reachable(succ: dict, start: str) -> set:
    """`start` and every node a path from it reaches in the graph `succ` (node ->
    its successors)."""
    seen = {start}
    todo = [start]
    while todo:
        for b in succ[todo.pop()]:
            if b not in seen:
                seen.add(b)
                todo.append(b)
    return seen


def strongly_connected(succ: dict) -> list[set]:
    """The strongly connected components of the graph `succ` (node -> its successors,
    every successor a node): Tarjan's algorithm, with a stack of iterators instead of
    recursion (a chain of thousands of widgets would overflow Python's stack)."""
    index: dict = {}
    low: dict = {}
    stack: list = []
    on_stack: set = set()
    found: list[set] = []
    for root in succ:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(succ[root]))]
        while work:
            v, successors = work[-1]
            for b in successors:
                if b not in index:   # a tree edge: go down, come back to v's next successor after
                    index[b] = low[b] = len(index)
                    stack.append(b)
                    on_stack.add(b)
                    work.append((b, iter(succ[b])))
                    break
                if b in on_stack:
                    low[v] = min(low[v], index[b])
            else:   # every successor of v done
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[v])
                if low[v] == index[v]:   # v is the root of a component: it is the stack down to v
                    component = set()
                    while True:
                        node = stack.pop()
                        on_stack.discard(node)
                        component.add(node)
                        if node == v:
                            break
                    found.append(component)
    return found


def _exits(widget, component: set) -> list[str]:
    """The non-failure transitions of `widget` that leave `component` (to another
    widget, or ending the flow), as `name.event → target` texts."""
    spec = registry.get(widget.type)
    if spec is None:
        return []
    out = []
    if spec.condition_schema is not None:  # a split: its match transitions, then noMatch
        for j, m in enumerate(widget.matches()):
            target = m.get("next")
            if target not in component and m.get("conditions"):
                out.append(f"{widget.name}.match.{j} → {target or 'the end'}")
        events = [e for e in spec.event_names if e != MATCH]
    else:
        events = [e for e in spec.event_names if e not in FAILURE_EVENTS]
    for event in events:
        target = widget.next_for(event)
        if target not in component:
            out.append(f"{widget.name}.{event} → {target or 'the end'}")
    return out


class _Waiting:
    """Which widgets wait for the outside world. Run Subflow waits only when its child
    can: a subflow whose widgets never wait (looked through, recursively) is as busy as
    a Set Variables. A child that cannot be found or read counts as waiting (its
    problems are reported elsewhere)."""

    def __init__(self, flows):
        self.flows = flows
        self._memo: dict[str, bool] = {}
        self._open: set[str] = set()  # flows being looked through (a subflow may run itself)

    def widget(self, widget) -> bool:
        """True when entering `widget` may hand control to the outside world."""
        spec = registry.get(widget.type)
        if spec is None or spec.enter is None:
            return True  # widgets this runtime does not run end the execution: no spin
        if widget.type == "run-subflow":
            child = self.child_of(widget)
            return True if child is None else self.flow(child)
        return spec.waits

    def child_of(self, widget) -> str | None:
        """The id of the flow a Run Subflow runs, when it can be read."""
        ref = widget.properties.get("flow_sid")
        if self.flows is None or not isinstance(ref, str) or "{" in ref:
            return None
        child = self.flows.resolve(ref)
        return child if child is not None and self.flows.flow(child) is not None else None

    def flow(self, flow_id: str) -> bool:
        """True when a run of `flow_id` as a subflow can wait somewhere."""
        if flow_id in self._memo:
            return self._memo[flow_id]
        if flow_id in self._open:
            return False  # running itself again waits only if something else in it does
        self._open.add(flow_id)
        child = self.flows.flow(flow_id)
        trigger = child.trigger if child else None
        start = trigger.next_for("incomingParent") if trigger else None
        seen, todo, waits = set(), [start] if start else [], False
        while todo and not waits:
            name = todo.pop()
            w = child.widget(name)
            if name in seen or w is None:
                continue
            seen.add(name)
            waits = self.widget(w)
            todo.extend(e.next for e in w.edges() if e.next)
        self._open.discard(flow_id)
        if not self._open:  # an answer found inside a recursion may rest on an open flow's guess
            self._memo[flow_id] = waits
        return waits


_A_MESSAGE = {"incomingMessage": "an incoming message", "incomingConversationMessage": "a Conversation message"}


def _check_channels(report, flow: Flow, indexes, pos: dict, trigger) -> None:
    rules = (
        ("incomingMessage", lambda s: s.voice_only, "voice_from_message",
         "{title} only works during a call, but an incoming message can reach it ({path}): an execution a "
         "message started ends there, failed"),
        ("incomingConversationMessage", lambda s: s.voice_only, "voice_from_message",
         "{title} only works during a call, but a Conversation message can reach it ({path}): an execution a "
         "message started ends there, failed"),
        ("incomingCall", lambda s: s.type == "send-and-wait-for-reply", "sms_wait_in_call",
         "{title} waits for a text reply, but an incoming call can reach it ({path})"),
    )
    for event, bad, code, template in rules:
        start = trigger.next_for(event)
        if start is None or start not in pos:
            continue
        # A message run stops at the first voice widget (engine/runner.py): nothing past it is reached.
        parents = _bfs(flow, start, stop=_voice_stop if code == "voice_from_message" else None)
        for name in parents:
            w = flow.widgets[pos[name]]
            spec = registry.get(w.type)
            if spec and bad(spec):
                path = _path_to(parents, name, f"{trigger.name}.{event}")
                if code == "voice_from_message" and spec.without_call:
                    # Studio runs it for messages too: the flow is valid, only this path differs here.
                    report.warn(code, f"{_A_MESSAGE[event]} can reach {spec.title} ({path}), which hands over only "
                                f"calls here: a message follows {spec.without_call} (Studio would redirect the "
                                "message)", indexes[pos[name]], ("type",))
                elif code == "voice_from_message":
                    # Studio publishes such flows (their calls run): a warning, not a refusal of the flow.
                    report.warn(code, template.format(title=spec.title, path=path), indexes[pos[name]], ("type",))
                else:
                    report.add(code, template.format(title=spec.title, path=path), indexes[pos[name]], ("type",))


def _voice_stop(spec) -> bool:
    """A message run ends at a voice widget, unless the widget has an event for that."""
    return spec.voice_only and not spec.without_call


def _bfs(flow: Flow, start: str, stop=None) -> dict:
    """Widgets reachable from `start` within the same channel, with BFS parents.
    A widget that starts a call (make-outgoing-call-v2 `answered`) leads into voice,
    so its call events are not followed; nor are the edges of a widget `stop(spec)`
    says a run does not get past."""
    parents = {start: None}
    queue = deque([start])
    while queue:
        w = flow.widget(queue.popleft())
        spec = registry.get(w.type)
        if spec and stop and stop(spec):
            continue
        for edge in w.edges():
            if edge.next is None or edge.next in parents or flow.widget(edge.next) is None:
                continue
            if spec and edge.event in spec.starts_call:
                continue
            parents[edge.next] = w.name
            queue.append(edge.next)
    return parents


def _path_to(parents: dict, name: str, origin: str) -> str:
    chain = []
    while name is not None:
        chain.append(name)
        name = parents[name]
    chain.reverse()
    if len(chain) > MAX_SHOWN_PATH:
        chain = chain[:2] + ["…"] + chain[-(MAX_SHOWN_PATH - 3):]
    return " → ".join([origin] + chain)
