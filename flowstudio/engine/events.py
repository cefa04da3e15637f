"""What happened: the events that start or resume an execution (past tense).

Each is a small frozen dataclass with a `kind` tag; `params` hold Twilio's webhook
parameters exactly as posted (strings), because Studio exposes them as they are.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Event:
    """Base of all events."""

    kind = "event"


@dataclass(frozen=True)
class MessageReceived(Event):
    """An SMS arrived from the contact (Twilio's messaging webhook parameters)."""

    params: dict = field(default_factory=dict)
    kind = "incomingMessage"


@dataclass(frozen=True)
class ConversationMessageReceived(MessageReceived):
    """A message was added to a Twilio Conversation (the `onMessageAdded` webhook's
    parameters: ConversationSid, MessageSid, Author, Body, Source...). It starts an
    execution on `incomingConversationMessage` and is a reply like any message."""

    kind = "incomingConversationMessage"


@dataclass(frozen=True)
class CallReceived(Event):
    """A call arrived (Twilio's voice webhook parameters)."""

    params: dict = field(default_factory=dict)
    kind = "incomingCall"


@dataclass(frozen=True)
class RequestReceived(Event):
    """An execution was started through the REST API: `to` is the contact, `from_` the
    flow's number, `parameters` become `flow.data`."""

    to: str = ""
    from_: str = ""
    parameters: dict = field(default_factory=dict)
    kind = "incomingRequest"


@dataclass(frozen=True)
class CallbackReceived(Event):
    """Twilio called back for the waiting voice widget (Gather/Dial/Record/Enqueue
    action, an outgoing call's status, a TwiML redirect's return)."""

    widget: str = ""
    params: dict = field(default_factory=dict)
    token: int | None = None
    kind = "callback"


@dataclass(frozen=True)
class TimeoutElapsed(Event):
    """The waiting widget's timeout fell due."""

    widget: str = ""
    token: int | None = None
    kind = "timeout"


@dataclass(frozen=True)
class IoCompleted(Event):
    """The service performed the waiting widget's I/O effect (HTTP request, send,
    recording); `result` says how it went."""

    widget: str = ""
    result: dict = field(default_factory=dict)
    kind = "io"


@dataclass(frozen=True)
class DeliveryFailed(Event):
    """A message the waiting widget sent could not be delivered."""

    widget: str = ""
    params: dict = field(default_factory=dict)
    kind = "deliveryFailure"


@dataclass(frozen=True)
class CallEnded(Event):
    """The call behind this execution ended (status callback: completed, failed...)."""

    params: dict = field(default_factory=dict)
    kind = "callEnded"


@dataclass(frozen=True)
class ExecutionExpired(Event):
    """The execution reached its maximum age."""

    kind = "expired"


@dataclass(frozen=True)
class EndRequested(Event):
    """Someone ended the execution by hand (API, console)."""

    reason: str = "ended by request"
    kind = "endRequested"
