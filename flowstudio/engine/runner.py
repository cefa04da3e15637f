"""The interpreter: `start` and `resume` walk a flow's graph, purely.

Both take the flow (as a `Program`), the execution state, an event and the time, and
return a `Step`: the new state, the effects to perform and the trace. Nothing here
reads a clock, a file, the network or the database: the service does that around us.
(The turn's budget measures the CPU time the walk takes: it decides only whether the
walk may go on, never what a flow does.)

Rules kept here (Studio's): at most 1,000 steps per execution and 10 runs of the same
widget in a row; a template or property error follows the widget's failure transition
(`failed`, `fail`...) or ends the execution; an unsupported widget ends it. Ours: the
turn's budget (budget.py), checked before every widget and inside templates and
regexes; past it the execution fails, with an error entry on the widget it was at.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from ..spec.flowindex import is_flow_sid
from ..spec.model import Flow, Widget
from ..widgets import registry
from . import budget as _budget
from . import context as ctx
from . import events as ev
from . import jsontext
from .calls import in_call
from .api import Outcome, WidgetError, WidgetRun
from .liquid import Templates
from .state import (ACTIVE, CONVERSATION, ENDED, FAILED, WAIT_MESSAGE, WAIT_SUBFLOW, ExecutionState, Frame, Step,
                    Waiting)

MAX_STEPS = 1000
FAILURE_EVENTS = ("failed", "fail", "failedToEnqueue", "deliveryFailure")
MAX_REPEATS = 10
ENDED_NAME = "Ended"


class EngineError(Exception):
    """Misuse of the engine: resuming an ended execution, an event it does not wait for."""


class Program:
    """One flow revision ready to run; its templates are parsed once and reused."""

    def __init__(self, flow: Flow, flow_id: str, revision: str):
        self.flow = flow
        self.flow_id = flow_id
        self.revision = revision
        self.templates = Templates()

    def widget(self, name: str | None) -> Widget | None:
        """The widget called `name`."""
        return self.flow.widget(name) if name else None


class Library(Protocol):
    """Where the engine finds programs: a pinned revision, or the latest (revision None)."""

    def program(self, flow_id: str, revision: str | None = None) -> Program | None: ...


class _Single:
    """A library of one program (flows without subflows)."""

    def __init__(self, program: Program):
        self._program = program

    def program(self, flow_id: str, revision: str | None = None) -> Program | None:
        return self._program if flow_id == self._program.flow_id else None


def start(program: Program, event: ev.Event, now: datetime, execution_id: str,
          library: Library | None = None) -> Step:
    """Start a new execution of `program` for a trigger `event` (message, call, REST)."""
    contact, address, channel, trigger, data = _trigger_of(event)
    state = ExecutionState(id=execution_id, flow_id=program.flow_id, revision=program.revision, contact=contact,
                           flow_address=address, channel=channel, started_at=now.isoformat())
    state.frames.append(Frame(program.flow_id, program.revision,
                              new_context(trigger, data, address, contact, execution_id,
                                          program.flow.sid or program.flow_id, ctx.channel_sid(trigger))))
    run = _Run(library or _Single(program), state, now)
    try:
        run.begin(event.kind)
    except _budget.BudgetExceeded as exc:
        run.out_of_budget(exc)
    return run.step


def resume(library: Library, state: ExecutionState, event: ev.Event, now: datetime, *, owned: bool = False) -> Step:
    """Continue `state` with `event` (a reply, a callback, a timeout, an I/O result...).

    `state` is left as it was, unless the caller hands it over with `owned=True` (the
    service does: it has just read it from the database), which saves a copy."""
    if not state.active:
        raise EngineError(f"execution {state.id} has already ended")
    run = _Run(library, state if owned else state.copy(), now)
    try:
        run.handle(event)
    except _budget.BudgetExceeded as exc:
        run.out_of_budget(exc)
    return run.step


def new_context(trigger: dict, data: dict, address: str, contact: str, execution_id: str, flow_id: str,
                channel_sid: str = "") -> dict:
    """Studio's template context for a new execution or subflow (`flow_id`: the flow's
    Studio SID when its file records one, else its id; see engine/context.py for
    `trigger` and `channel_sid`)."""
    return {
        "trigger": trigger,
        "flow": {"variables": {}, "data": data, "channel": {"address": address, "sid": channel_sid},
                 "sid": execution_id, "flow_sid": flow_id},
        "contact": {"channel": {"address": contact}},
        "widgets": {},
    }


def _trigger_of(event: ev.Event) -> tuple[str, str, str, dict, dict]:
    """(contact, flow address, channel, trigger context, flow.data) for a trigger event."""
    if isinstance(event, ev.ConversationMessageReceived):
        # The contact is the message's author; the flow's address is the Conversation
        # itself, where replies are posted (widgets/send_message.py).
        p = dict(event.params)
        return p.get("Author", ""), p.get("ConversationSid", ""), CONVERSATION, ctx.conversation_trigger(p), {}
    if isinstance(event, ev.MessageReceived):
        p = dict(event.params)
        return p.get("From", ""), p.get("To", ""), "sms", ctx.message_trigger(p), {}
    if isinstance(event, ev.CallReceived):
        p = dict(event.params)
        return p.get("From", ""), p.get("To", ""), "voice", ctx.call_trigger(p), {}
    if isinstance(event, ev.RequestReceived):
        params = dict(event.parameters)
        return event.to, event.from_, "rest", ctx.request_trigger(event.to, event.from_, params), params
    raise EngineError(f"{type(event).__name__} cannot start an execution")


class _Run:
    """One engine call in progress: mutates its own copy of the state."""

    def __init__(self, library: Library, state: ExecutionState, now: datetime):
        self.library = library
        self.state = state
        self.now = now
        self.at = now.isoformat()  # every step this call takes is stamped with it
        self.step = Step(state)

    # ------------------------------------------------------------ entry points

    def begin(self, trigger_event: str) -> None:
        program = self._program()
        trigger = program.flow.trigger if program else None
        if trigger is None:
            return self._end(FAILED, "the flow has no trigger widget")
        target = trigger.next_for(trigger_event)
        self._record(trigger_event, trigger.name, target)
        self._advance(target)

    def handle(self, event: ev.Event) -> None:
        if isinstance(event, (ev.EndRequested, ev.ExecutionExpired)):
            reason = event.reason if isinstance(event, ev.EndRequested) else "the execution expired"
            return self._end(ENDED, reason)
        waiting = self.state.waiting
        if waiting is None:
            raise EngineError(f"execution {self.state.id} is not waiting for anything")
        if isinstance(event, ev.CallEnded) and not self._has_event(waiting.widget, "hangup"):
            return self._end(ENDED, "the call ended")
        if isinstance(event, ev.MessageReceived) and waiting.kind != WAIT_MESSAGE:
            raise EngineError(f"execution {self.state.id} is not waiting for a message")
        target = getattr(event, "widget", "") or waiting.widget
        token = getattr(event, "token", None)
        if target != waiting.widget or (token is not None and token != waiting.token):
            raise EngineError(f"execution {self.state.id} waits at '{waiting.widget}', not for this event")
        widget = self._program().widget(waiting.widget)
        spec = registry.get(widget.type)
        self.state.waiting = None
        self._trace("resumed", widget.name, event=event.kind)
        target = self._continue(widget, self._call(widget, lambda r: spec.resume(r, event)), entering=False)
        if target is not _WAITING:
            self._advance(target)

    def out_of_budget(self, exc: _budget.BudgetExceeded) -> None:
        """The turn's budget ran out in the middle of a widget: the execution fails,
        with the reason on that widget. (Its failure transition is not followed: with
        the budget spent, the next widget could not run either.)"""
        if self.state.active:
            at = self.state.last_widget
            self._end(FAILED, f"stopped at '{at}': {exc}" if at else str(exc))

    # ------------------------------------------------------------ the walk

    def _advance(self, name: str | None) -> None:
        """Enter widgets from `name` until something waits or the flow ends."""
        while self.state.active:
            if name is None:
                if len(self.state.frames) == 1:
                    return self._end(ENDED, "the flow reached an end")
                name = self._return_from_subflow()
                continue
            program = self._program()
            widget = program.widget(name)
            if widget is None:
                return self._end(FAILED, f"the flow goes to '{name}', which does not exist")
            if not self._guard(widget.name):
                return
            spec = registry.get(widget.type)
            if spec is None or spec.enter is None:
                self._trace("error", widget.name, message=f"'{widget.type}' widgets are not supported by this runtime")
                return self._end(FAILED, f"'{widget.name}' ({widget.type}) is not supported by this runtime")
            if spec.voice_only and not spec.without_call and not in_call(self.state):
                # Studio publishes flows whose messages reach voice widgets; such a run cannot go on.
                return self._end(FAILED, f"'{widget.name}' ({spec.title}) only works during a call, and this "
                                         "execution has none (it did not start from one, nor answer one it placed)")
            self._trace("entered", widget.name, widget_type=widget.type)
            name = self._continue(widget, self._call(widget, spec.enter, program), entering=True)
            if name is _WAITING:
                return

    def _continue(self, widget: Widget, outcome: Outcome, entering: bool):
        """Apply an outcome: store outputs, queue effects, then wait, end, descend into
        a subflow, or follow the transition. Returns the next widget to enter (None
        when the branch ends) or _WAITING when the walk stops here."""
        frame = self.state.frame
        outputs = frame.context["widgets"]
        if entering:
            outputs[widget.name] = dict(outcome.outputs or {})
        elif outcome.outputs:
            outputs.setdefault(widget.name, {}).update(outcome.outputs)
        if outcome.channel is not None:  # Start Conversation: later messages go to the Conversation
            self.state.channel, self.state.flow_address, sid = outcome.channel
            for f in self.state.frames:
                f.context["flow"]["channel"] = {"address": self.state.flow_address, "sid": sid}
        if outcome.variables:
            frame.context["flow"]["variables"].update(outcome.variables)
            self._trace("variables", widget.name, values=dict(outcome.variables))
        for note in outcome.notes:
            self._trace("note", widget.name, message=note)
        self.step.effects.extend(outcome.effects)
        if outcome.failed is not None:
            if len(self.state.frames) > 1:  # a subflow failed: its parent follows `failed`
                self._trace("error", widget.name, message=outcome.failed)
                child = self.state.frames.pop()
                self.state.waiting = None
                parent = self._program().widget(child.parent_widget)
                return self._continue(parent, Outcome(event="failed", outputs={"error": outcome.failed}), False)
            self._end(FAILED, outcome.failed)
            return _WAITING
        if outcome.wait is not None:
            self._wait(widget.name, outcome.wait.kind, outcome.wait.timeout)
            return _WAITING
        if outcome.subflow is not None:
            return self._enter_subflow(widget, *outcome.subflow)
        target = _target(widget, outcome)
        self._record(outcome.event, widget.name, target)
        if target is None and len(self.state.frames) == 1 and outcome.event in FAILURE_EVENTS:
            # Studio ends the flow here; say why, so the failure is not mistaken for a normal end.
            why = (outcome.outputs or {}).get("error") or (
                f"HTTP status {(outcome.outputs or {}).get('status_code')}" if widget.type == "make-http-request"
                else outcome.event)
            spec = registry.get(widget.type)
            label = next((e.label for e in spec.events if e.name == outcome.event), outcome.event) if spec \
                else outcome.event
            self._trace("error", widget.name, message=f"failed: {why}")
            self._end(ENDED, f"'{widget.name}' failed ({why}) and its \"{label}\" output is not connected, "
                             "so the flow ended there")
            return _WAITING
        if target is None and len(self.state.frames) > 1 and outcome.event in FAILURE_EVENTS:
            # A subflow that fails with nowhere to go fails as a whole: its parent follows `failed`.
            return self._continue(widget, Outcome(failed=f"'{widget.name}' ended the subflow with "
                                                        f"'{outcome.event}'"), entering=False)
        return target

    def _call(self, widget: Widget, behaviour, program: Program | None = None) -> Outcome:
        """Run a behaviour (of a widget of `program`, the current frame's by default);
        a flow problem follows the failure transition."""
        run = WidgetRun(widget, self.state.frames[-1].context, self.now, (program or self._program()).templates,
                        self.state)
        try:
            return behaviour(run)
        except WidgetError as exc:
            spec = registry.get(widget.type)
            self._trace("error", widget.name, message=str(exc))
            failure = spec.failure_event if spec else None
            if failure is None:
                return Outcome(failed=f"'{widget.name}' failed and has no failure transition: {exc}")
            return Outcome(event=failure, outputs={"error": str(exc)})

    # ------------------------------------------------------------ waits, frames, guards

    def _wait(self, widget: str, kind: str, timeout: int | None) -> None:
        self.state.tokens += 1
        due = (self.now + timedelta(seconds=timeout)).isoformat() if timeout is not None else None
        self.state.waiting = Waiting(widget, kind, self.state.tokens, due)
        self._trace("waiting", widget, waits_for=kind, due=due)

    def _enter_subflow(self, widget: Widget, flow_id: str, parameters: dict):
        """Push a frame for the subflow; the child sees only its parameters, as in Studio."""
        child = self.library.program(flow_id) or _by_sid(self.library, flow_id)
        trigger = child.flow.trigger if child else None
        if trigger is None:
            message = (f"'{flow_id}' has no trigger" if child is not None
                       else f"no flow records the Studio SID {flow_id} (sid: in its file)" if is_flow_sid(flow_id)
                       else f"there is no flow '{flow_id}' to run")
            self._trace("error", widget.name, message=message)
            return self._continue(widget, Outcome(event="failed", outputs={"error": message}), entering=False)
        parent = self.state.frame.context
        context = new_context(ctx.parent_trigger(parameters, parent), {}, self.state.flow_address,
                              self.state.contact, self.state.id, child.flow.sid or child.flow_id,
                              parent["flow"].get("channel", {}).get("sid", ""))
        self.state.waiting = Waiting(widget.name, WAIT_SUBFLOW, self.state.tokens)  # restored on return
        self.state.frames.append(Frame(child.flow_id, child.revision, context, parent_widget=widget.name))
        self._trace("subflow", widget.name, flow=child.flow_id, revision=child.revision)
        target = trigger.next_for("incomingParent")
        self._record("incomingParent", trigger.name, target)
        return target

    def _return_from_subflow(self):
        """A subflow's branch ended: its variables become the parent widget's outputs."""
        child = self.state.frames.pop()
        self.state.waiting = None
        widget = self._program().widget(child.parent_widget)
        variables = dict(child.context["flow"]["variables"])
        self._trace("subflow_returned", widget.name, variables=variables)
        return self._continue(widget, Outcome(event="completed", outputs=variables), entering=False)

    def _guard(self, name: str) -> bool:
        state = self.state
        state.steps += 1
        state.repeats = state.repeats + 1 if state.last_widget == name else 1
        state.last_widget = name
        if state.steps > MAX_STEPS:
            self._end(FAILED, f"stopped at '{name}': an execution may take at most {MAX_STEPS:,} steps")
            return False
        if state.repeats > MAX_REPEATS:
            self._end(FAILED, f"stopped at '{name}': the same widget may run at most {MAX_REPEATS} times in a row")
            return False
        _budget.check()  # raises BudgetExceeded: see out_of_budget
        return True

    def _end(self, status: str, reason: str) -> None:
        if status == ACTIVE:
            raise ValueError(status)
        if self.state.frames and status == FAILED:
            self._trace("error", self.state.last_widget, message=reason)
        self.state.status = status
        self.state.waiting = None
        self.state.ended_reason = reason
        self._trace("ended", None, status=status, reason=reason)

    # ------------------------------------------------------------ records

    def _program(self):
        frame = self.state.frames[-1]
        program = self.library.program(frame.flow_id, frame.revision)
        if program is None:
            raise EngineError(f"revision {frame.revision} of flow '{frame.flow_id}' is not available")
        return program

    def _has_event(self, widget_name: str, event: str) -> bool:
        widget = self._program().widget(widget_name)
        spec = registry.get(widget.type) if widget else None
        return bool(spec and event in spec.event_names)

    def _record(self, event: str | None, source: str, target: str | None) -> None:
        frame = self.state.frame
        # The snapshot is serialised here, once: it is stored as JSON text as it is.
        context = jsontext.dumps(frame.context)
        budget = _budget.current()
        if budget is not None:  # what a turn stores grows with every step: it counts against the budget
            budget.allocate(len(context), "the snapshots of its steps")
        self.step.steps.append({
            "event": event, "from": source, "to": target or ENDED_NAME, "flow": frame.flow_id,
            "at": self.at, "context": context,
        })
        self._trace("transition", source, event=event, to=target or ENDED_NAME)

    def _trace(self, entry_type: str, widget: str | None, **facts) -> None:
        frames = self.state.frames
        flow = frames[-1].flow_id if frames else None
        self.step.trace.append({**facts, "type": entry_type, "widget": widget, "flow": flow})


class _Waiting:
    """Marker: the walk stopped (waiting, ended or handed over)."""


_WAITING = _Waiting()


_SID_IDS: dict[str, str] = {}  # Studio flow SID -> the flow id last found recording it


def _by_sid(library: Library, ref: str) -> Program | None:
    """The newest program of the flow that records Studio SID `ref` (`sid:` in its
    file): Studio's Run Subflow names its child by SID. A library that can list its
    flows (`ids()`) is searched once per SID; the answer is checked on every use."""
    if not is_flow_sid(ref):
        return None
    known = _SID_IDS.get(ref)
    program = library.program(known) if known else None
    if program is not None and program.flow.sid == ref:
        return program
    for flow_id in (library.ids() if hasattr(library, "ids") else ()):
        program = library.program(flow_id)
        if program is not None and program.flow.sid == ref:
            _SID_IDS[ref] = flow_id
            return program
    return None


def _target(widget: Widget, outcome: Outcome) -> str | None:
    if outcome.event is None:
        return None
    if outcome.match is not None:
        matches = widget.matches()
        return matches[outcome.match].get("next") if outcome.match < len(matches) else None
    return widget.next_for(outcome.event)
