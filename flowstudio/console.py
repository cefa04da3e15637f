"""The browser's test-run console: one person playing the contact, on the current draft.

A `ConsoleSession` is one browser tab's console on one flow. It drives the app's real
store and engine through a `FlowService` that differs from the webhooks' one only where
a console must:

- the program: a new execution starts on the flow's current draft (recorded as a
  snapshot `<flow>~<sha12>`, never as a revision), and stays pinned to it;
- the session key: `console:<id>`, so a tab's conversation never meets a real phone's
  or another tab's, even with the same contact number; the executions view tells
  console executions from phone ones by this prefix;
- the channel: nothing is sent anywhere (the outbox records it), nothing costs money;
- HTTP: the real URL, or the answer the person typed for that widget;
- the clock: it stands at the moment the console opened and moves only when the person
  lets time pass, as in `flowstudio run` and flow tests, so a saved flow test replays
  exactly. Console timers fire only then: their row carries no reply timeout, only the
  30-day expiry (which cleans up abandoned console executions), so the webhooks'
  scheduler never fires a console timeout (it would send through the real channel).

A try of "Send to a list" (console_trial.py) gives one tab a session per test contact,
each with `published`: it runs the published version, as the list would get it.

Each action returns a JSON-ready dict: what the contact saw and heard, the steps with
their contexts, the log, what the execution waits for. `flow_test()` turns the
session's conversation into a flow test (the format of flowtests.py).
"""
from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from .adapters.flowstore import FlowStore
from .adapters.store import utc
from .conversation import CONVERSATION_CHANNELS, DEFAULT_CONTACT, DEFAULT_NUMBER, Conversation, MockHttp
from .editing import FlowEditor
from .engine import effects as fx
from .engine import jsontext
from .engine.state import ExecutionState
from .flowtests import observe
from .repository import FlowRepository, FlowUnavailable
from .service import FlowService, LocalChannel, TurnResult
from .spec.flowfile import dump_flow, write_atomic
from .spec.issues import FlowLoadError
from .spec.yamlio import dump_yaml, load_yaml

SESSION_PREFIX = "console:"
UPDATED = ("replies", "messages", "say", "play", "dial", "status", "waiting")  # as `flowstudio test --update`


class ConsoleError(Exception):
    """Something the person asked for cannot be done; the message says why, plainly."""


def is_console(session_key: str | None) -> bool:
    """Whether an execution's session key belongs to a console session."""
    return bool(session_key) and session_key.startswith(SESSION_PREFIX)


class ConsoleClock:
    """The time when the console (re)started, plus the time the person let pass."""

    def __init__(self, start: datetime):
        self.start = start
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return self.start + self.offset

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass for this console only."""
        self.offset += timedelta(seconds=max(0.0, seconds))


class DraftFlows:
    """The app's FlowRepository, except that new executions of the console's flow start on
    `program` (the draft snapshot). Pinned revisions and snapshots, other flows
    (subflows), everything else: the repository itself."""

    def __init__(self, base: FlowRepository, flow_id: str, program):
        self.base, self.flow_id, self.program_ = base, flow_id, program

    def latest(self, flow_id: str):
        """The draft for the console's flow, the published version for any other."""
        return self.program_ if flow_id == self.flow_id else self.base.latest(flow_id)

    def program(self, flow_id: str, revision: str | None = None):
        """A pinned program; with None, what `latest` gives."""
        if revision is None and flow_id == self.flow_id:
            return self.program_
        return self.base.program(flow_id, revision)

    def __getattr__(self, name):
        return getattr(self.base, name)


class ConsoleService(FlowService):
    """A FlowService for one console session (see the module docstring)."""

    def __init__(self, base: FlowService, flows: DraftFlows, session_key: str, http, clock: ConsoleClock):
        super().__init__(base.store, flows, http=http, channel=LocalChannel(), clock=clock, new_id=base.new_id,
                         expiry=base.expiry)
        self.session_key = session_key
        self.listeners = base.listeners   # the live view hears console turns too

    def inbound_message(self, flow_id, params, session=None):
        return super().inbound_message(flow_id, params, session or self.session_key)

    def inbound_call(self, flow_id, params, session=None):
        return super().inbound_call(flow_id, params, session or f"{self.session_key}:call:{params.get('CallSid')}")

    def start_request(self, flow_id, to, from_, parameters, session=None):
        return super().start_request(flow_id, to, from_, parameters, session or self.session_key)

    def inbound_conversation(self, flow_id, params, session=None):
        return super().inbound_conversation(flow_id, params, session or self.session_key)

    def fire_due(self, now=None, limit=100):
        raise ConsoleError("the console fires only its own timer (ConsoleSession.wait)")

    def _settle(self, *args, **kwargs):
        result, record = super()._settle(*args, **kwargs)
        # The reply timeout stays in the state (fire_timer reads it) but not in the row:
        # console timers wait for the person, never for the webhooks' scheduler.
        record.wait_due = None
        return result, record


class _Phone(Conversation):
    """Conversation with Twilio-like sids unique across tabs and processes (they key
    retried deliveries), and time that passes for this console's execution only."""

    def _sid(self, prefix: str) -> str:
        return prefix + uuid.uuid4().hex

    def _next_due(self) -> datetime | None:
        """This console's execution's next timer: its reply timeout (kept in the state,
        not in the row the scheduler reads) or its expiry."""
        row = self.service.store.execution(self.execution_id) if self.execution_id else None
        if row is None or row.status != "active":
            return None
        waiting = ExecutionState.from_dict(row.state).waiting
        times = [utc(row.expires_at)] + ([datetime.fromisoformat(waiting.due)] if waiting and waiting.due else [])
        return min(times)

    def _fire_due(self) -> list[TurnResult]:
        result = self.service.fire_timer(self.flow_id, self.execution_id)
        return [] if result.status == "ignored" else [result]


class _ConsoleHttp(MockHttp):
    """The answers the person typed for HTTP widgets (read at each request, so one typed
    mid-conversation counts), the real address for the others; remembers which answer
    each widget was given, for `flow_test()`."""

    def __init__(self, fallback):
        super().__init__(fallback=fallback)
        self.used: dict[str, dict] = {}

    def __call__(self, call: fx.HttpCall) -> dict:
        answer = self.answers.get(call.widget)
        if answer is not None:
            self.used.setdefault(call.widget, dict(answer))
        return super().__call__(call)


@dataclass
class _Step:
    """One thing the person did and what it did, for `flow_test()`."""

    action: str
    arg: object
    turns: list
    variables: dict = field(default_factory=dict)


class ConsoleSession:
    """One browser tab's console on one flow: start, act, look, save as a flow test."""

    def __init__(self, service: FlowService, flow_id: str, contact: str = DEFAULT_CONTACT,
                 number: str = DEFAULT_NUMBER, session_id: str | None = None, published: bool = False):
        if not service.flows.exists(flow_id):
            raise ConsoleError(f"there is no flow '{flow_id}'")
        self.base = service
        self.flow_id = flow_id
        # A campaign's try (console_trial.py) runs what the list would get: the published
        # version, not the draft the console usually runs.
        self.published = published
        self.id = session_id or uuid.uuid4().hex
        self.http = _ConsoleHttp(fallback=service.http)
        self.mocks: dict[str, dict] = self.http.answers   # one dict: an answer typed now is used at once
        self._fresh(_clean_number(contact, "contact"), _clean_number(number, "flow number"))

    # ------------------------------------------------------------ what the person does

    def act(self, action: str, arg=None) -> dict:
        """Do one thing as the contact: send, chat (a Conversation message), call, start,
        press, speak, no_input, callback (what Twilio posts back: an agent taking a Flex
        call, a payment's Result, a virtual agent's status), hang_up, wait (seconds;
        None: until the waiting widget times out), end."""
        talk = self.phone
        if self.service is None or (action in ("send", "chat", "call", "start") and self._active() is None):
            self._load_draft()   # a new execution: run the draft as it is now
        try:
            if action == "send":
                turns = [talk.send(_text(arg, "message"))]
            elif action == "chat":   # a message in a Conversation: {body, channel: whatsapp|sms|chat}
                arg = dict(arg) if isinstance(arg, dict) else {"body": arg}
                channel = str(arg.get("channel") or "whatsapp")
                if channel not in CONVERSATION_CHANNELS:
                    raise ConsoleError(f"a Conversation is WhatsApp, SMS or web chat, not '{channel}'")
                arg = {"body": _text(arg.get("body"), "message"), "channel": channel}
                turns = [talk.chat(arg["body"], channel)]
            elif action == "call":
                turns, arg = [talk.call()], {}
            elif action == "start":
                arg = dict(arg or {})
                turns = [talk.start(arg)]
            elif action == "press":
                self._need("call", "press keys")
                turns = [talk.press(_digits(arg))]
            elif action == "speak":
                self._need("call", "speak")
                turns = [talk.speak(_text(arg, "words"))]
            elif action == "no_input":
                self._need("call", "stay silent")
                turns, arg = [talk.no_input()], {}
            elif action == "callback":
                self._need("call", "answer the call's widget")
                arg = {str(k): str(v) for k, v in dict(arg or {}).items()}
                turns = [talk.callback(arg)]
            elif action == "hang_up":
                if self._active() is None or not talk.call_sid:
                    raise ConsoleError("there is no call to hang up")
                turns, arg = [talk.hang_up()], {}
            elif action == "wait":
                arg = self._seconds(arg)
                turns = talk.wait(arg)
            elif action == "end":
                if self._active() is None:
                    raise ConsoleError("nothing is running")
                turns, arg = [talk.end()], {}
            else:
                raise ConsoleError(f"unknown action '{action}'")
        except FlowUnavailable as exc:
            raise ConsoleError(f"the flow cannot run: {exc}") from None
        except RuntimeError as exc:  # Conversation: nothing waits for this
            raise ConsoleError(str(exc)) from None
        self.steps.append(_Step(action, arg, turns, self._variables()))
        return self._report(action, arg, turns)

    def restart(self, contact: str | None = None, number: str | None = None) -> dict:
        """Start over: end what runs, forget the conversation (optionally as someone else)."""
        self.close("ended: the tester started over")
        self._fresh(_clean_number(contact, "contact") if contact else self.phone.contact,
                    _clean_number(number, "flow number") if number else self.phone.number)
        return self.state()

    def mock(self, widget: str, answer: dict | None) -> dict:
        """Answer HTTP requests of `widget` with `answer` ({status, body, content_type});
        None: call the real URL again."""
        if not isinstance(widget, str) or not widget:
            raise ConsoleError("say which widget the answer is for")
        if answer is None:
            self.mocks.pop(widget, None)
        else:
            status = answer.get("status", 200)
            try:
                status = int(status)
            except (TypeError, ValueError, OverflowError):
                raise ConsoleError("the status code must be a number, like 200") from None
            if not 100 <= status <= 599:   # what an HTTP answer can carry (and a flow test can replay)
                raise ConsoleError(f"the status code must be from 100 to 599, like 200, not {str(status)[:20]}")
            body = answer.get("body", "")
            if isinstance(body, str):
                body = jsontext.data_or_text(body)   # typed JSON is JSON (and saved as such in a flow test)
            self.mocks[widget] = {"status": status, "body": body}
        return self.state()

    def close(self, reason: str = "ended: the test phone was closed") -> None:
        """End the session's active execution, if any (the tab went away, or started over)."""
        row = self._active()
        if row is not None:
            self.base.end_execution(self.flow_id, row.id, reason)

    # ------------------------------------------------------------ looking

    def state(self) -> dict:
        """The session as the panel shows it when it opens."""
        last = self.base.store.execution(self.phone.execution_id) if self.phone.execution_id else None
        row = last if last is not None and last.status == "active" else None
        return {"session": self.id, "flow": self.flow_id, "contact": self.phone.contact,
                "number": self.phone.number, "revision": self.program.revision if self.program else None,
                "execution_id": self.phone.execution_id, "status": last.status if last is not None else "idle",
                "waiting": self.phone.waiting if row else None, "now": self.clock().isoformat(),
                "mocks": dict(self.mocks), "in_call": bool(self.phone.call_sid and row is not None),
                "steps": len(self.steps), "published": self.published, "draft_differs": self.draft_differs}

    def flow_test(self, name: str) -> dict:
        """The conversation so far as one flow test (flowtests.py's format)."""
        if not self.steps:
            raise ConsoleError("there is nothing to save yet: talk to the flow first")
        test: dict = {"name": name.strip() or "a conversation from the test console"}
        if self.phone.contact != DEFAULT_CONTACT:
            test["contact"] = self.phone.contact
        if self.phone.number != DEFAULT_NUMBER:
            test["number"] = self.phone.number
        test["start_at"] = self.started_at.isoformat().replace("+00:00", "Z")
        if self.http.used:   # the answers the conversation was given, not those typed since
            test["http"] = dict(self.http.used)
        test["steps"] = []
        before = None
        for step in self.steps:
            seen = observe(step.turns, self.phone.contact, step.variables, before)
            before = step.turns[-1] if step.turns else before
            entry = {step.action: step.arg if step.arg is not None else {}}
            for key in UPDATED:
                if seen[key] or (key == "status" and seen[key] is not None):
                    entry[key] = seen[key]
            test["steps"].append(entry)
        return test

    def save_flow_test(self, name: str) -> dict:
        """Append the conversation as a test to `<flow>.test.yaml` beside the flow file
        (created if missing); returns the file's path and the test."""
        test = self.flow_test(name)
        path = Path(self.base.flows.path(self.flow_id)).with_suffix(".test.yaml")
        # The file is rewritten with the test added: one that cannot be read, or whose
        # `tests` is not a list, is left as it is (and said why) rather than replaced.
        try:
            raw = path.read_bytes() if path.exists() else b""
            spec = load_yaml(raw, str(path)).data if raw.strip() else {}
        except FlowLoadError as exc:
            first = exc.issues[0]
            raise ConsoleError(f"{path.name}{f', line {first.line}' if first.line else ''} cannot be read, so the "
                               f"test was not added to it: {first.message}") from None
        spec.setdefault("tests", [])
        if not isinstance(spec["tests"], list):
            raise ConsoleError(f"{path.name}: tests must be a list, so the test was not added to it; fix the file")
        taken = {x.get("name") for x in spec["tests"] if isinstance(x, dict) and isinstance(x.get("name"), str)}
        base, n = test["name"], 2
        while test["name"] in taken:
            test["name"], n = f"{base} ({n})", n + 1
        spec["tests"].append(test)
        write_atomic(path, dump_yaml(spec))
        # "draft": the test checks a draft not published yet (a try ran the published version)
        return {"path": str(path), "file": path.name, "test": test, "draft": self.draft_differs and not self.published}

    # ------------------------------------------------------------ inside

    def _fresh(self, contact: str, number: str) -> None:
        self.http.used.clear()
        self.key = f"{SESSION_PREFIX}{self.id}:{uuid.uuid4().hex[:8]}"
        self.clock = ConsoleClock(self.base.clock())
        self.program = None
        self.draft_differs = False
        self.steps: list[_Step] = []
        self.started_at = self.clock.start
        self.service: ConsoleService | None = None   # made by _load_draft, at the first action
        self.phone = _Phone(None, self.flow_id, contact=contact, number=number)

    def _load_draft(self) -> None:
        """Run the flow's current draft (or, without one or when `published`, the
        published version)."""
        editor = FlowEditor(self.base.flows, self.base.clock)
        flow = editor.get(self.flow_id)
        if self.published:
            try:
                program = self.base.flows.latest(self.flow_id)
            except FlowUnavailable as exc:
                raise ConsoleError("the list would get the published version, and it cannot run: "
                                   + "; ".join(i.format() for i in exc.issues[:3]) + ". Fix the flow and publish it"
                                   ) from None
            self._use(program, flow["draft"] is not None)
            return
        errors = [i for i in flow["issues"] if i.is_error]
        if flow["document"] is None or errors:
            where = "; ".join(_where(i, flow["document"]) + i.message for i in errors[:3])
            raise ConsoleError("the flow has problems to fix before it can run" + (f": {where}" if where else ""))
        if flow["draft"] is None:
            program, self.draft_differs = self.base.flows.latest(self.flow_id), False
        else:
            text = dump_flow(flow["document"])
            sha = hashlib.sha256(text.encode()).hexdigest()
            snap = FlowStore(self.base.store).snapshot(self.flow_id, sha, flow["document"], self.base.clock())
            program = self.base.flows.program(self.flow_id, snap)
            self.draft_differs = True
        self._use(program, self.draft_differs)

    def _use(self, program, draft_differs: bool) -> None:
        """New executions of this console run `program`."""
        self.program, self.draft_differs = program, draft_differs
        self.service = ConsoleService(self.base, DraftFlows(self.base.flows, self.flow_id, program), self.key,
                                      self.http, self.clock)
        self.phone.service = self.service

    def _active(self):
        """The session's execution row while it is active, else None."""
        ex_id = self.phone.execution_id
        row = self.base.store.execution(ex_id) if ex_id else None
        return row if row is not None and row.status == "active" else None

    def _need(self, kind: str, what: str) -> None:
        waiting = self.phone.waiting if self._active() is not None else None
        if not waiting or waiting["kind"] != kind:
            raise ConsoleError(f"you cannot {what} now: " + ("nothing is running" if not waiting else
                                                             f"the flow waits for a {_KINDS.get(waiting['kind'], waiting['kind'])}"))

    def _seconds(self, arg) -> float:
        if arg in (None, ""):
            waiting = self.phone.waiting if self._active() is not None else None
            if not waiting or not waiting.get("due"):
                raise ConsoleError("nothing is waiting for time to pass: the flow has no timeout running")
            due = datetime.fromisoformat(waiting["due"])
            return max(0, int(-(-(due - self.service.clock()).total_seconds() // 1)))
        try:
            seconds = float(arg)
        except (TypeError, ValueError):
            raise ConsoleError("say how many seconds should pass, like 60") from None
        if seconds < 0 or seconds > 400 * 86400:
            raise ConsoleError("time can pass by 0 seconds up to 400 days")
        return int(seconds) if seconds == int(seconds) else seconds

    def _variables(self) -> dict:
        row = self.base.store.execution(self.phone.execution_id) if self.phone.execution_id else None
        return row.state["frames"][0]["context"]["flow"]["variables"] if row else {}

    def _report(self, action: str, arg, turns: list) -> dict:
        """What one action did, for the panel: transcript items, steps, log, state."""
        items = []
        for turn in turns:
            items += _transcript(turn, self.phone.contact)
        steps, log = [], []
        for turn in turns:
            for s in turn.steps:
                ctx = s.get("context")
                steps.append({"event": s["event"], "from": s["from"], "to": s["to"], "flow": s["flow"], "at": s["at"],
                              "context": json.loads(ctx) if isinstance(ctx, str) else ctx})
            log += turn.trace
        last = turns[-1] if turns else None
        state = self.state()
        return {"action": action, "arg": arg, "transcript": items, "steps": steps, "log": log,
                "status": last.status if last else state["status"], "note": last.note if last else "",
                "execution_id": self.phone.execution_id, "ended_reason": self._ended_reason(),
                "state": state}

    def _ended_reason(self) -> str | None:
        row = self.base.store.execution(self.phone.execution_id) if self.phone.execution_id else None
        return row.ended_reason if row is not None and row.status != "active" else None


_KINDS = {"message": "text message", "call": "caller's answer", "io": "request", "subflow": "subflow"}


def _transcript(turn: TurnResult, contact: str) -> list[dict]:
    """The turn as the phone shows it: messages to the contact, what the call says and
    plays, what it asks for; messages to other people as notes."""
    out = []
    for m in turn.replies:
        out.append({"kind": "message", "widget": m.widget, "body": m.body, "media": list(m.media_urls)})
    for sent in turn.sent:
        e = sent["effect"]
        if e["type"] == "message" and e.get("conversation_sid"):
            out.append({"kind": "message", "widget": e["widget"], "body": e["body"], "media": [],
                        "author": e["from_"] if e["from_"] != e["conversation_sid"] else ""})
            continue
        if e["type"] in _HANDOVERS:
            out.append(_HANDOVERS[e["type"]](e, sent.get("result") or {}))
            continue
        if e["type"] == "message" and e["to"] == contact:
            out.append({"kind": "message", "widget": e["widget"], "body": e["body"], "media": list(e["media_urls"])})
        elif e["type"] == "message":
            out.append({"kind": "note", "widget": e["widget"], "text": f"text to {e['to']}: {e['body']}"})
        elif e["type"] == "placeCall":
            out.append({"kind": "note", "widget": e["widget"], "text": f"the flow calls {e['to']}"})
    for v in turn.voice:
        out += _voice_items(v)
    return out


def _voice_items(v) -> list[dict]:
    if isinstance(v, fx.Say):
        return [{"kind": "say", "widget": v.widget, "text": v.text, "language": v.language, "loop": v.loop}]
    if isinstance(v, fx.Play):
        return [{"kind": "play", "widget": v.widget, "url": v.url, "digits": v.digits}]
    if isinstance(v, fx.Gather):
        items = [i for p in v.prompts for i in _voice_items(p)]
        what = {"dtmf": "keys", "speech": "speech", "dtmf speech": "keys or speech"}.get(v.input, v.input)
        return items + [{"kind": "gather", "widget": v.widget, "input": v.input, "timeout": v.timeout,
                         "num_digits": v.num_digits, "finish_on_key": v.finish_on_key,
                         "text": f"listening for {what} ({v.timeout} s)"}]
    if isinstance(v, fx.Dial):
        return [{"kind": "dial", "widget": v.widget, "to": list(v.to), "text": f"connecting the caller to {', '.join(v.to)}"}]
    if isinstance(v, fx.Record):
        return [{"kind": "record", "widget": v.widget, "text": "recording the caller (beep)" if v.play_beep else "recording the caller"}]
    if isinstance(v, fx.Enqueue) and v.workflow_sid:
        # `text` in plain words; `detail`, what Twilio would get, shown smaller under it.
        return [{"kind": "handover", "widget": v.widget, "to": "flex", "workflow": v.workflow_sid,
                 "attributes": v.task_attributes, "priority": v.priority, "timeout": v.timeout,
                 "text": "the call is handed to Flex: the caller waits for an agent",
                 "detail": f"TaskRouter workflow {v.workflow_sid}, task attributes {v.task_attributes or '{}'}"
                           + (f", priority {v.priority}" if v.priority is not None else "")
                           + (f", timeout {v.timeout} s" if v.timeout is not None else "")
                           + ". Twilio would be asked: <Enqueue workflowSid> with a <Task>"}]
    if isinstance(v, fx.Enqueue):
        return [{"kind": "note", "widget": v.widget, "text": f"the caller waits in queue {v.queue_name}"}]
    if isinstance(v, fx.Stream):
        text = (f"the call's audio ({v.track or 'inbound_track'}) streams to {v.url or v.connector}"
                + (f" as '{v.name}'" if v.name else "") if v.start else f"the stream '{v.name}' stops")
        return [{"kind": "note", "widget": v.widget, "text": text}]
    if isinstance(v, fx.Pay):
        amount = f"{v.charge_amount} {v.currency}".strip() if v.charge_amount not in ("", "0") else "a card token"
        return [{"kind": "pay", "widget": v.widget, "connector": v.connector, "amount": v.charge_amount,
                 "currency": v.currency, "text": f"asking the caller to pay {amount}",
                 "detail": f"with connector {v.connector or 'Default'} (<Pay>)"}]
    if isinstance(v, fx.VirtualAgent):
        return [{"kind": "agent", "widget": v.widget, "connector": v.connector,
                 "text": f"the caller talks with virtual agent {v.connector}", "detail": "<Connect><VirtualAgent>"}]
    if isinstance(v, fx.Redirect):
        return [{"kind": "note", "widget": v.widget, "text": f"the call is handed to {v.url}"}]
    if isinstance(v, fx.Hangup):
        return [{"kind": "hangup", "widget": v.widget, "text": "the flow hung up"}]
    return []


def _flex_task(e: dict, result: dict) -> dict:
    where = f"Conversation {e['conversation_sid']}" if e.get("conversation_sid") else f"messages from {e['contact']}"
    outcome = (f"Flex refused it: {result['error']}" if result.get("status") == "failed"
               else "an agent answers from now on (nothing is sent from the test phone)")
    return {"kind": "handover", "widget": e["widget"], "to": "flex", "workflow": e["workflow_sid"],
            "task_channel": e["task_channel"], "attributes": e["attributes"], "status": result.get("status", ""),
            "text": f"{where} handed to Flex: {outcome}",
            "detail": f"TaskRouter workflow {e['workflow_sid']}, task channel {e['task_channel'] or 'default'}, "
                      f"attributes {e['attributes']}. Twilio would be asked: POST flex-api.twilio.com/v1/Interactions"}


def _open_conversation(e: dict, result: dict) -> dict:
    who = e["identity"] or f"{e['address']} through {e['proxy_address']}"
    return {"kind": "note", "widget": e["widget"], "text": f"a Conversation is opened with {who}",
            "detail": f"{result.get('sid', '')}. Twilio would be asked: "
                      "POST conversations.twilio.com/v1/Conversations, its participant and its webhook"}


_HANDOVERS = {"flexTask": _flex_task, "openConversation": _open_conversation}
_NUMBER = re.compile(r"^[+\w:@.\-]{1,64}$")


def _clean_number(value, what: str) -> str:
    value = (value or "").strip() if isinstance(value, str) else ""
    if not _NUMBER.match(value):
        raise ConsoleError(f"the {what} must look like a phone number, like +15555550142")
    return value


def _text(value, what: str) -> str:
    if not isinstance(value, str):
        raise ConsoleError(f"type the {what} first")
    if len(value) > 1600:
        raise ConsoleError(f"the {what} is too long: at most 1,600 characters")
    return value


def _digits(value) -> str:
    value = value if isinstance(value, str) else ""
    if not re.fullmatch(r"[0-9*#w]{1,40}", value):
        raise ConsoleError("press keys from the keypad: 0-9, * and #")
    return value


def _where(issue, document) -> str:
    """"widget, Field label: " for a problem, so "must be one of ..." says of what."""
    if not issue.widget:
        return ""
    parts = (issue.path or "").split(".")
    if len(parts) >= 2 and parts[0] == "properties":
        from .widgets import registry

        wtype = next((w.get("type") for w in (document or {}).get("widgets", [])
                      if isinstance(w, dict) and w.get("name") == issue.widget), None)
        spec = registry.get(wtype) if isinstance(wtype, str) else None
        title = ((spec.properties or {}).get("properties", {}).get(parts[1], {}).get("title") if spec else None)
        if title:
            return f"{issue.widget}, {title}: "
    return f"{issue.widget}: "
