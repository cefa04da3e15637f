"""The service: load the flow and the execution, run the engine, perform, save.

Every way into a flow (webhooks, the REST API, timers, the browser console, the
terminal console, flow tests) goes through `FlowService`, so they all behave alike.

Per event, for one session (a contact's messages, or one call) at a time:
1. take the session (`Store.turn(key)`): events of one contact never overlap, in any process;
2. read the active execution; run `engine.start` or `engine.resume`;
3. perform the I/O the engine waits on (HTTP requests, sends) and resume at once;
4. save everything in ONE transaction (`Store.save_turn`). A crash before the commit
   leaves the execution exactly as it was before the event.

Steps 2 and 3 run within the turn's budget (engine/budget.py: CPU time and memory);
past it the execution fails and the turn is saved as usual. A turn that computes for
long lets other conversations through: on SQLite it opens the turn gate (the engine
needs no database) until it saves.

Decided here: an SMS for a contact whose execution is active but not waiting for a
message (it waits for a call's callback, say) does not start a second execution and
is not fed to the wrong widget: it is kept in that execution's log as "not used" and
gets no reply.
"""
from __future__ import annotations

import logging
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Protocol

from . import metrics
from .adapters.store import Conflict, Store, TurnRecord, utc
from .engine import budget as _budget
from .engine import effects as fx
from .engine import events as ev
from .engine.runner import EngineError, resume, start
from .engine.state import ACTIVE, WAIT_IO, WAIT_MESSAGE, ExecutionState, Step
from .repository import FlowRepository

log = logging.getLogger("flowstudio.service")
VOICE_EFFECTS = (fx.Say, fx.Play, fx.Gather, fx.Dial, fx.Record, fx.Enqueue, fx.Redirect, fx.Hangup, fx.Stream, fx.Pay,
                 fx.VirtualAgent)
MAX_RETRIES = 5


class ExecutionBusy(Exception):
    """The contact already has an active execution of this flow (REST start: 409)."""


class ExecutionNotFound(Exception):
    """No execution with this id (for this flow)."""


class HttpPerformer(Protocol):
    """Performs a widget's HTTP request; returns status_code, content_type, body, error."""

    def __call__(self, call: fx.HttpCall) -> dict: ...


class Channel(Protocol):
    """Sends what is not a webhook answer: messages, outgoing calls, call recordings."""

    def send_message(self, message: fx.SendMessage, execution: ExecutionState | None = None) -> dict: ...

    def place_call(self, call: fx.PlaceCall, execution: ExecutionState) -> dict: ...

    def record_call(self, effect: fx.StartRecording, execution: ExecutionState) -> dict: ...

    def create_flex_task(self, effect: fx.FlexTask, execution: ExecutionState) -> dict: ...

    def start_conversation(self, effect: fx.OpenConversation, execution: ExecutionState) -> dict: ...


class LocalChannel:
    """The channel used without Twilio credentials: accepts everything and sends
    nothing; what it accepted is kept in the outbox, visible in the API."""

    def send_message(self, message: fx.SendMessage, execution: ExecutionState | None = None) -> dict:
        return {"status": "sent", "sid": "SM" + uuid.uuid4().hex}

    def place_call(self, call: fx.PlaceCall, execution: ExecutionState) -> dict:
        return {"status": "queued", "sid": "CA" + uuid.uuid4().hex}

    def record_call(self, effect: fx.StartRecording, execution: ExecutionState) -> dict:
        return {"status": "recording", "sid": "RE" + uuid.uuid4().hex}

    def create_flex_task(self, effect: fx.FlexTask, execution: ExecutionState) -> dict:
        return {"status": "created", "sid": "KD" + uuid.uuid4().hex}

    def start_conversation(self, effect: fx.OpenConversation, execution: ExecutionState) -> dict:
        return {"status": "created", "sid": "CH" + uuid.uuid4().hex, "participant_sid": "MB" + uuid.uuid4().hex}


@dataclass
class TurnResult:
    """What processing one event did, for the caller to answer with (TwiML, JSON)."""

    execution_id: str | None
    status: str
    replies: list = field(default_factory=list)
    voice: list = field(default_factory=list)
    sent: list = field(default_factory=list)
    waiting: dict | None = None
    trace: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    note: str = ""
    duplicate: bool = False

    def to_dict(self, details: bool = True) -> dict:
        """JSON-ready form (effects as dicts); without `details`, only what answering
        the webhook again needs (stored for retried deliveries)."""
        out = {"execution_id": self.execution_id, "status": self.status, "note": self.note,
               "replies": [e.to_dict() for e in self.replies], "voice": [e.to_dict() for e in self.voice],
               "sent": self.sent, "waiting": self.waiting}
        if details:
            out["trace"] = self.trace
            out["steps"] = [{k: v for k, v in s.items() if k != "context"} for s in self.steps]
        return out

    @classmethod
    def from_dict(cls, data: dict, duplicate: bool = False) -> "TurnResult":
        """Rebuild a stored answer (a retried webhook gets the same answer)."""
        return cls(data.get("execution_id"), data.get("status", ""), [fx.from_dict(e) for e in data.get("replies", [])],
                   [fx.from_dict(e) for e in data.get("voice", [])], data.get("sent", []), data.get("waiting"),
                   data.get("trace", []), data.get("steps", []), data.get("note", ""), duplicate)


def utcnow() -> datetime:
    """The real clock, in UTC (tests pass a FakeClock instead)."""
    return datetime.now(timezone.utc)


class FlowService:
    """Runs flows for inbound events; see the module docstring."""

    def __init__(self, store: Store, flows: FlowRepository, *, http: HttpPerformer | None = None,
                 channel: Channel | None = None, clock: Callable[[], datetime] = utcnow,
                 new_id: Callable[[], str] | None = None, expiry: timedelta = timedelta(days=30),
                 turn_cpu_seconds: float = _budget.DEFAULT_CPU_SECONDS,
                 turn_memory_bytes: int = _budget.DEFAULT_MEMORY_BYTES):
        self.store = store
        self.flows = flows
        self.http = http or default_http()
        self.channel = channel or LocalChannel()
        self.clock = clock
        self.new_id = new_id or (lambda: "FN" + uuid.uuid4().hex)
        self.expiry = expiry
        # Each turn's budget (engine/budget.py): FLOWSTUDIO_TURN_CPU_SECONDS, FLOWSTUDIO_TURN_MEMORY_MB.
        self.turn_cpu_seconds = turn_cpu_seconds
        self.turn_memory_bytes = turn_memory_bytes
        # Called with (flow_id, session_key, TurnResult) after each saved turn: the
        # browser's live view and test-run console (web/live.py) listen here.
        self.listeners: list[Callable[[str, str, TurnResult], None]] = []
        # How long a claimed timer stays with this process (see fire_due): longer than
        # firing one takes (HTTP widgets wait up to 10 s), short enough that a timer
        # claimed by a process that died fires soon after.
        self.timer_lease = timedelta(seconds=60)

    # ------------------------------------------------------------ entry points

    def inbound_message(self, flow_id: str, params: dict, session: str | None = None) -> TurnResult:
        """An SMS arrived: resume the contact's waiting execution or start one. `session`
        replaces the contact's address as the session key (the browser console keeps
        each tab's conversation apart from real phones and from other tabs)."""
        contact = session or params.get("From", "")
        key = f"sms:{flow_id}:{params['MessageSid']}" if params.get("MessageSid") else None

        def decide(row, now):
            if row is None:
                return start(self.flows.latest(flow_id), ev.MessageReceived(params), now, self.new_id(), self.flows)
            state = ExecutionState.from_dict(row.state)
            if state.waiting is None or state.waiting.kind != WAIT_MESSAGE:
                return _unused_message(state, params, now)
            return resume(self.flows, state, ev.MessageReceived(params), now, owned=True)

        return self._turn(flow_id, contact, decide, key, replies=True)

    def inbound_conversation(self, flow_id: str, params: dict, session: str | None = None) -> TurnResult:
        """A message was added to a Twilio Conversation (`onMessageAdded`): resume the
        execution waiting in that Conversation or start one. Each Conversation is one
        session, so its events run one at a time; a retried delivery (same MessageSid)
        gets the stored answer. Replies are posted to the Conversation by the channel,
        never as TwiML (`session`: see inbound_message)."""
        session = session or self._conversation_session(flow_id, params)
        if self._handed_to_flex(flow_id, session):
            return TurnResult(None, "ignored", note="this Conversation was handed to Flex: its messages are the "
                                                    "agent's now, not the flow's")
        key = f"conv:{flow_id}:{params['MessageSid']}" if params.get("MessageSid") else None
        event = ev.ConversationMessageReceived(params)

        def decide(row, now):
            if row is None:
                return start(self.flows.latest(flow_id), event, now, self.new_id(), self.flows)
            state = ExecutionState.from_dict(row.state)
            if state.waiting is None or state.waiting.kind != WAIT_MESSAGE:
                return _unused_message(state, params, now)
            return resume(self.flows, state, event, now, owned=True)

        return self._turn(flow_id, session, decide, key, replies=False)

    def _conversation_session(self, flow_id: str, params: dict) -> str:
        """The session of a Conversation's messages: its own, or, for a Conversation a
        Start Conversation widget opened, the session of the execution that opened it
        (found by the author, who is that execution's contact)."""
        conversation = params.get("ConversationSid", "")
        own = "conversation:" + conversation
        if self.store.active_execution(flow_id, own) is None and params.get("Author"):
            for row in self.store.executions(flow_id, contact=params["Author"], status=ACTIVE, limit=20):
                if row.state.get("flow_address") == conversation:
                    return row.session_key
        return own

    def _handed_to_flex(self, flow_id: str, session: str) -> bool:
        """True when the session's latest execution ended by handing its Conversation to
        Flex (Send to Flex): as Studio does, the flow lets go of the Conversation then."""
        if self.store.active_execution(flow_id, session) is not None:
            return False
        latest = self.store.executions(flow_id, session_key=session, limit=1)
        frames = latest[0].state.get("frames") or [] if latest else []
        return any(isinstance(out, dict) and out.get("handed_off")
                   for frame in frames for out in (frame["context"].get("widgets") or {}).values())

    def inbound_call(self, flow_id: str, params: dict, session: str | None = None) -> TurnResult:
        """A call arrived: each call is its own execution (`session`: see inbound_message)."""
        key = f"call:{flow_id}:{params.get('CallSid')}:start" if params.get("CallSid") else None
        session = session or "call:" + (params.get("CallSid") or uuid.uuid4().hex)

        def decide(row, now):
            if row is not None:
                raise ExecutionBusy(f"call {params.get('CallSid')} already has an execution")
            return start(self.flows.latest(flow_id), ev.CallReceived(params), now, self.new_id(), self.flows)

        return self._turn(flow_id, session, decide, key, call_sid=params.get("CallSid"))

    def start_request(self, flow_id: str, to: str, from_: str, parameters: dict,
                      session: str | None = None, key: str | None = None) -> TurnResult:
        """Start an execution through the REST API (`incomingRequest`); `session` as
        for inbound_message. `key` makes the start idempotent (campaigns.py): saved with
        the execution, a start with a key already used returns that start's answer."""
        def decide(row, now):
            if row is not None:
                raise ExecutionBusy(f"{to} already has an active execution of '{flow_id}' ({row.id})")
            event = ev.RequestReceived(to=to, from_=from_, parameters=parameters)
            return start(self.flows.latest(flow_id), event, now, self.new_id(), self.flows)

        return self._turn(flow_id, session or to, decide, key)

    def callback(self, flow_id: str, execution_id: str, widget: str, params: dict,
                 token: int | None = None) -> TurnResult:
        """Twilio called back for a waiting voice widget (or an outgoing call's status)."""
        key = f"cb:{execution_id}:{widget}:{token}" if token is not None else None
        event = ev.CallbackReceived(widget, params, token)
        return self._resume_by_id(flow_id, execution_id, event, key, call_sid=params.get("CallSid"))

    def execution_of_call(self, flow_id: str, call_sid: str) -> str | None:
        """The active execution a call belongs to (for callbacks that only name the call)."""
        row = self.store.active_call(flow_id, call_sid) if call_sid else None
        return row.id if row else None

    def delivery_failed(self, flow_id: str, execution_id: str, widget: str, params: dict) -> TurnResult:
        """A message the waiting widget sent was not delivered (message status callback)."""
        return self._resume_by_id(flow_id, execution_id, ev.DeliveryFailed(widget, params), None)

    def conversation_delivery_failed(self, flow_id: str, params: dict) -> TurnResult:
        """A message in a Conversation was not delivered (`onDeliveryUpdated` with Status
        failed or undelivered): the execution waiting in that Conversation for a reply
        follows `deliveryFailure`; anything else is ignored (a note says why)."""
        session = self._conversation_session(flow_id, params)
        row = self.store.active_execution(flow_id, session)
        waiting = (row.state.get("waiting") or {}) if row is not None else {}
        if row is None or waiting.get("kind") != WAIT_MESSAGE:
            return TurnResult(row.id if row else None, "ignored",
                              note="no execution waits for a reply in this Conversation")
        return self.delivery_failed(flow_id, row.id, waiting["widget"], params)

    def call_ended(self, flow_id: str, execution_id: str, params: dict) -> TurnResult:
        """The call behind an execution ended (status callback)."""
        return self._resume_by_id(flow_id, execution_id, ev.CallEnded(params), None)

    def end_execution(self, flow_id: str, execution_id: str, reason: str = "ended by request") -> TurnResult:
        """End an active execution by hand."""
        return self._resume_by_id(flow_id, execution_id, ev.EndRequested(reason), None)

    def fire_due(self, now: datetime | None = None, limit: int = 100) -> list[TurnResult]:
        """Fire up to `limit` timers due by `now` (timeouts and expiries), each once.

        They are claimed first (`Store.claim_due`): schedulers of other processes fire
        other timers meanwhile instead of queueing on these. A timer that fails is
        retried when its claim (`timer_lease`) runs out; the others still fire, then
        the first failure is raised."""
        now = now or self.clock()
        results, failure = [], None
        for row in self.store.claim_due(now, now + self.timer_lease, limit):
            try:
                result = self._turn(row.flow_id, row.session_key, lambda r, n: _timer_event(self.flows, r, now),
                                    execution_id=row.id, now=now)
            except Exception as exc:  # noqa: BLE001 - raised below, once every claimed timer had its turn
                failure = failure or exc
                continue
            if result.status != "ignored":
                results.append(result)
        if failure is not None:
            raise failure
        return results

    def fire_timer(self, flow_id: str, execution_id: str, now: datetime | None = None) -> TurnResult:
        """Fire one execution's timer if it is due at `now` (the browser console lets
        time pass for its own execution only, never for anyone else's)."""
        row = self.store.execution(execution_id)
        if row is None or row.flow_id != flow_id:
            raise ExecutionNotFound(f"no execution {execution_id} of flow '{flow_id}'")
        now = now or self.clock()
        return self._turn(flow_id, row.session_key, lambda r, n: _timer_event(self.flows, r, now),
                          execution_id=execution_id, now=now)

    # ------------------------------------------------------------ the turn

    def _resume_by_id(self, flow_id, execution_id, event, key, call_sid=None) -> TurnResult:
        row = self.store.execution(execution_id)
        if row is None or row.flow_id != flow_id:
            raise ExecutionNotFound(f"no execution {execution_id} of flow '{flow_id}'")

        def decide(current, now):
            if current is None or current.status != ACTIVE:
                return TurnResult(execution_id, "ignored", note="the execution has already ended")
            try:
                return resume(self.flows, ExecutionState.from_dict(current.state), event, now, owned=True)
            except EngineError as exc:
                return TurnResult(execution_id, "ignored", note=str(exc))

        return self._turn(flow_id, row.session_key, decide, key, execution_id=execution_id, call_sid=call_sid)

    def _turn(self, flow_id, session_key, decide, inbound_key=None, *, replies=False, execution_id=None,
              now=None, call_sid=None) -> TurnResult:
        started = time.perf_counter()   # for /metrics: the turn's time, waiting for the lock included
        for _ in range(MAX_RETRIES):
            # the session's lock, then the gate (store.turn): a turn waiting for its
            # contact must not hold up the others
            with self.store.turn(f"{flow_id}|{session_key}") as conn:
                stored, row = self.store.begin_turn(flow_id, session_key, execution_id, inbound_key, conn)
                if stored is not None:
                    return TurnResult.from_dict(stored, duplicate=True)
                when = now or self.clock()
                with ExitStack() as let_through:
                    # A long turn opens the gate until it saves: the engine needs no database.
                    budget = _budget.Budget(self.turn_cpu_seconds, self.turn_memory_bytes,
                                            on_long=lambda: let_through.enter_context(self.store.gate.opened()))
                    with _budget.running(budget):
                        outcome = decide(row, when)
                        if isinstance(outcome, TurnResult):
                            return outcome
                        result, record = self._settle(outcome, row, session_key, when, replies)
                record.inbound_key, record.call_sid = inbound_key, call_sid
                record.response = result.to_dict(details=False) if inbound_key else None
                try:
                    self.store.save_turn(record, conn)
                except Conflict:
                    continue  # someone else moved first: run the event again on fresh state
                metrics.turn(flow_id, result.status, time.perf_counter() - started)
                self._notify(flow_id, session_key, result)
                return result
        raise Conflict(f"gave up after {MAX_RETRIES} attempts: the execution kept changing")

    def _notify(self, flow_id: str, session_key: str, result: TurnResult) -> None:
        """Tell the listeners (the browser's live view) about a saved turn; a listener
        that fails must not fail the event, which is already committed."""
        for listener in self.listeners:
            try:
                listener(flow_id, session_key, result)
            except Exception:  # noqa: BLE001 - logged; the turn stands
                log.exception("a turn listener failed")

    def _settle(self, step: Step, row, session_key: str, now: datetime, replies_allowed: bool):
        """Perform what the engine waits on (I/O), resuming until it waits for the outside
        world or ends; sort the effects into replies, voice verbs and sends."""
        result = TurnResult(step.state.id, step.state.status)
        outbox: list[dict] = []
        trace, steps = list(step.trace), list(step.steps)
        while True:
            outcome = {}
            for effect in step.effects:
                outcome[effect.widget] = self._perform(effect, step.state, result, outbox, replies_allowed)
            waiting = step.state.waiting if step.state.active else None
            follow = None
            if waiting and waiting.kind == WAIT_IO:
                follow = ev.IoCompleted(waiting.widget, outcome.get(waiting.widget, {"status": "failed",
                                                                                       "error": "nothing was done"}))
            elif waiting and waiting.kind == WAIT_MESSAGE and outcome.get(waiting.widget, {}).get("status") == "failed":
                follow = ev.DeliveryFailed(waiting.widget, outcome[waiting.widget])
            if follow is None:
                break
            step = resume(self.flows, step.state, follow, now, owned=True)
            trace += step.trace
            steps += step.steps
        state = step.state
        result.status, result.trace, result.steps = state.status, trace, steps
        result.waiting = _waiting_dict(state)
        expires = utc(row.expires_at) if row is not None else now + self.expiry
        record = TurnRecord(
            execution_id=state.id, flow_id=state.flow_id, revision_id=state.revision, session_key=session_key,
            contact=state.contact, flow_address=state.flow_address, channel=state.channel, status=state.status,
            state=state.to_dict(), version=row.version if row is not None else None, now=now, expires_at=expires,
            was_active=row is not None and row.status == ACTIVE,
            waiting_widget=state.waiting.widget if state.waiting else None,
            waiting_kind=state.waiting.kind if state.waiting else None,
            wait_due=datetime.fromisoformat(state.waiting.due) if state.waiting and state.waiting.due else None,
            ended_reason=state.ended_reason, steps=steps, trace=trace, outbox=outbox)
        return result, record

    def _perform(self, effect, state: ExecutionState, result: TurnResult, outbox: list, replies_allowed: bool):
        """Carry out one effect; return its result (for the widget waiting on it)."""
        if isinstance(effect, VOICE_EFFECTS):
            result.voice.append(effect)
            return {"status": "rendered"}
        if isinstance(effect, fx.SendMessage) and effect.reply and replies_allowed:
            result.replies.append(effect)
            return {"status": "sent"}
        with self.store.gate.opened():  # I/O, however slow, never holds up other conversations
            if isinstance(effect, fx.HttpCall):
                return self.http(effect)
            if isinstance(effect, fx.SendMessage):
                answer = self.channel.send_message(effect, execution=state)
            elif isinstance(effect, fx.PlaceCall):
                answer = self.channel.place_call(effect, state)
            elif isinstance(effect, fx.FlexTask):
                answer = self.channel.create_flex_task(effect, state)
            elif isinstance(effect, fx.OpenConversation):
                answer = self.channel.start_conversation(effect, state)
            else:
                answer = self.channel.record_call(effect, state)
        entry = {"effect": _logged(effect), "status": answer.get("status", ""), "result": answer}
        outbox.append(entry)
        result.sent.append(entry)
        return answer


def _logged(effect: fx.Effect) -> dict:
    """The effect as the turn's log keeps it (API answers, the console): a password is
    shown as set, never its value (Make Outgoing Call's SIP credentials)."""
    out = effect.to_dict()
    for key, value in out.items():
        if key.endswith("password") and value:
            out[key] = "(set)"
    return out


def _waiting_dict(state: ExecutionState) -> dict | None:
    if not state.active or state.waiting is None:
        return None
    w = state.waiting
    return {"widget": w.widget, "kind": w.kind, "token": w.token, "due": w.due}


def _unused_message(state: ExecutionState, params: dict, now: datetime) -> Step:
    """The decided policy for a message the active execution does not wait for."""
    waiting = state.waiting
    why = f"waits at '{waiting.widget}' for a {waiting.kind}" if waiting else "is busy"
    entry = {"type": "note", "widget": waiting.widget if waiting else None, "flow": state.frame.flow_id,
             "message": f"message not used: the execution {why}", "inbound": dict(params)}
    return Step(state, [], [entry], [])


def _timer_event(flows, row, now: datetime):
    """The event a due timer stands for, or a TurnResult when it is stale."""
    if row is None or row.status != ACTIVE:
        return TurnResult(row.id if row else None, "ignored", note="already ended")
    state = ExecutionState.from_dict(row.state)
    if utc(row.expires_at) <= now:
        return resume(flows, state, ev.ExecutionExpired(), now)
    waiting = state.waiting
    if waiting is None or waiting.due is None or datetime.fromisoformat(waiting.due) > now:
        return TurnResult(state.id, "ignored", note="not due (another process fired it)")
    return resume(flows, state, ev.TimeoutElapsed(waiting.widget, waiting.token), now)


def default_http(twilio_auth: tuple[str, str] | None = None) -> HttpPerformer:
    """Real HTTP for widgets, through the HTTP client adapter (10 s, 64 KB); widgets with
    `add_twilio_auth` sign in with `twilio_auth` (account sid, auth token) when given."""
    from .adapters.http import HttpClient, HttpRequest

    client = HttpClient()

    def perform(call: fx.HttpCall) -> dict:
        auth = twilio_auth if call.add_twilio_auth else None
        response = client.perform(HttpRequest(method=call.method, url=call.url, content_type=call.content_type,
                                              body=call.body, parameters=call.parameters, auth=auth))
        return {"status_code": response.status_code, "content_type": response.content_type,
                "body": response.body, "error": response.error}

    return perform
