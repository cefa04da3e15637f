"""Playing the phone: drive a flow as a contact would, through the real service.

Used by flow tests (`flowstudio test`), the terminal console (`flowstudio run`) and
the test suite. Time is a `FakeClock` that only moves when told to; HTTP widgets get
the answers given per widget (`MockHttp`), so a conversation replays exactly.
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .adapters.store import Store
from .engine import effects as fx
from .repository import FlowRepository
from .service import FlowService, TurnResult

DEFAULT_CONTACT = "+15555550142"
DEFAULT_NUMBER = "+15555550100"
START = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)  # a Monday, 10:00 UTC
MAX_TIMERS_PER_WAIT = 1000  # timers one wait may fire: a flow looping on a 0 s timeout stops here


class FakeClock:
    """A clock that stands still until `advance` moves it."""

    def __init__(self, now: datetime = START):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass."""
        self.now += timedelta(seconds=seconds)


class MockHttp:
    """Answers HTTP widgets by widget name; an unmocked request fails, saying so."""

    def __init__(self, answers: dict | None = None, fallback=None):
        self.answers = dict(answers or {})
        self.fallback = fallback
        self.requests: list[fx.HttpCall] = []

    def __call__(self, call: fx.HttpCall) -> dict:
        self.requests.append(call)
        answer = self.answers.get(call.widget)
        if answer is None:
            if self.fallback is not None:
                return self.fallback(call)
            return {"status_code": None, "content_type": "", "body": "",
                    "error": f"no mocked answer for '{call.widget}' (add one under http: in the test)"}
        body = answer.get("body", "")
        content_type = answer.get("content_type", "application/json" if not isinstance(body, str) else "text/plain")
        if not isinstance(body, str):
            body = json.dumps(body)
        return {"status_code": int(answer.get("status", 200)), "content_type": content_type, "body": body,
                "error": answer.get("error")}


CONVERSATION_CHANNELS = ("whatsapp", "sms", "chat")


def conversation_author(contact: str, channel: str) -> tuple[str, str]:
    """(Author, Source) of a Conversations message from `contact` on `channel`: Twilio
    writes WhatsApp authors as `whatsapp:+1…`, SMS authors as the number, and a web
    chat's as the chat user's identity (Source SDK)."""
    if channel == "whatsapp":
        return (contact if contact.startswith("whatsapp:") else f"whatsapp:{contact}"), "WHATSAPP"
    if channel == "sms":
        return contact, "SMS"
    if channel == "chat":
        return "web-" + "".join(ch for ch in contact if ch.isalnum()), "SDK"
    raise ValueError(f"unknown Conversations channel {channel!r}: one of {', '.join(CONVERSATION_CHANNELS)}")


def local_service(flows_dir: str | Path, clock: FakeClock | None = None, http=None,
                  database_url: str = "sqlite://", channel=None) -> FlowService:
    """A service on an in-memory database (by default), with a fake clock and mocked HTTP."""
    store = Store(database_url)
    store.create_schema()
    clock = clock or FakeClock()
    counter = itertools.count(1)
    return FlowService(store, FlowRepository(flows_dir, store, clock), http=http or MockHttp(), clock=clock,
                       channel=channel, new_id=lambda: f"FN{next(counter):032d}")


@dataclass
class Conversation:
    """One contact talking to one flow. Each method is one thing the person does and
    returns what the flow did (a TurnResult, or a list for `wait`)."""

    service: FlowService
    flow_id: str
    contact: str = DEFAULT_CONTACT
    number: str = DEFAULT_NUMBER
    execution_id: str | None = None
    waiting: dict | None = None
    call_sid: str | None = None
    log: list = field(default_factory=list)
    _sids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def send(self, body: str, media: tuple[str, ...] = ()) -> TurnResult:
        """Text the flow's number."""
        params = {"MessageSid": self._sid("SM"), "AccountSid": "AC" + "0" * 32, "From": self.contact,
                  "To": self.number, "Body": body, "NumMedia": str(len(media))}
        params.update({f"MediaUrl{i}": url for i, url in enumerate(media)})
        return self._track(self.service.inbound_message(self.flow_id, params))

    def chat(self, body: str, channel: str = "whatsapp") -> TurnResult:
        """Write in a Twilio Conversation with the flow (`channel`: whatsapp, sms or chat,
        a web chat), as the Conversations `onMessageAdded` webhook reports it. The
        Conversation is the same for every message of this contact."""
        author, source = conversation_author(self.contact, channel)
        params = {"EventType": "onMessageAdded", "AccountSid": "AC" + "0" * 32,
                  "ChatServiceSid": "IS" + "0" * 32, "ConversationSid": self.conversation_sid,
                  "MessageSid": self._sid("IM"), "ParticipantSid": "MB" + self.conversation_sid[2:],
                  "Author": author, "Body": body, "Source": source, "Attributes": "{}",
                  "Index": str(len(self.log)), "RetryCount": "0"}
        return self._track(self.service.inbound_conversation(self.flow_id, params))

    @property
    def conversation_sid(self) -> str:
        """The Conversation this contact writes in (`chat`)."""
        digits = "".join(ch for ch in self.contact if ch.isdigit())[-12:]
        return f"CH{digits:0>32}"

    def call(self) -> TurnResult:
        """Call the flow's number."""
        self.call_sid = self._sid("CA")
        params = {"CallSid": self.call_sid, "AccountSid": "AC" + "0" * 32, "From": self.contact, "To": self.number,
                  "CallStatus": "ringing", "Direction": "inbound"}
        return self._track(self.service.inbound_call(self.flow_id, params))

    def start(self, parameters: dict | None = None) -> TurnResult:
        """Start an execution through the REST API, as a backend would."""
        return self._track(self.service.start_request(self.flow_id, self.contact, self.number, parameters or {}))

    def press(self, digits: str) -> TurnResult:
        """Press keys on the call's keypad."""
        return self.callback({"Digits": digits})

    def speak(self, words: str, confidence: float = 0.92) -> TurnResult:
        """Say something to the call (speech recognition's result)."""
        return self.callback({"SpeechResult": words, "Confidence": str(confidence)})

    def no_input(self) -> TurnResult:
        """Stay silent until the gather gives up."""
        return self.callback({"FlowEvent": "timeout"})

    def callback(self, params: dict) -> TurnResult:
        """Anything Twilio posts back for the waiting widget (dial result, recording, ...)."""
        if not self.execution_id or not self.waiting:
            raise RuntimeError("nothing is waiting for a callback")
        full = {"CallSid": self.call_sid or "", "From": self.contact, "To": self.number,
                "CallStatus": "in-progress", **params}
        return self._track(self.service.callback(self.flow_id, self.execution_id, self.waiting["widget"], full,
                                                 self.waiting["token"]))

    def delivery_failure(self) -> TurnResult:
        """The message the flow waits on a reply to never reached the phone."""
        if not self.execution_id or not self.waiting:
            raise RuntimeError("no message is waiting for a reply")
        return self._track(self.service.delivery_failed(self.flow_id, self.execution_id, self.waiting["widget"],
                                                        {"MessageStatus": "undelivered", "ErrorCode": "30003"}))

    def hang_up(self) -> TurnResult:
        """Hang up the call."""
        if not self.execution_id:
            raise RuntimeError("there is no call to hang up")
        return self._track(self.service.call_ended(self.flow_id, self.execution_id,
                                                   {"CallSid": self.call_sid or "", "CallStatus": "completed"}))

    def wait(self, seconds: float) -> list[TurnResult]:
        """Let time pass; every timer that falls due meanwhile fires, in order, each at
        its own time (a reminder after 1 h, then the "no reply" an hour after that)."""
        clock = self.service.clock
        target = clock() + timedelta(seconds=max(0.0, seconds))
        results: list[TurnResult] = []
        for _ in range(MAX_TIMERS_PER_WAIT):
            due = self._next_due()
            if due is None or due > target:
                break
            clock.advance(max(0.0, (due - clock()).total_seconds()))
            fired = self._fire_due()
            if not fired:
                break   # nothing fired at its due time: stop rather than spin
            results += [self._track(result) for result in fired]
        clock.advance(max(0.0, (target - clock()).total_seconds()))
        return results

    def _next_due(self) -> datetime | None:
        """When the next timer falls due."""
        return self.service.store.next_due()

    def _fire_due(self) -> list[TurnResult]:
        """Fire what is due now."""
        return self.service.fire_due()

    def end(self) -> TurnResult:
        """End the execution by hand."""
        return self._track(self.service.end_execution(self.flow_id, self.execution_id, "ended by the tester"))

    def _sid(self, prefix: str) -> str:
        """A Twilio-like sid, unique per contact and repeatable from run to run."""
        digits = "".join(ch for ch in self.contact if ch.isdigit())[-12:]
        return f"{prefix}{digits:0>12}{next(self._sids):020d}"

    def _track(self, result: TurnResult) -> TurnResult:
        if result.execution_id:
            self.execution_id = result.execution_id
        self.waiting = result.waiting if result.status == "active" else None
        self.log.append(result)
        return result
