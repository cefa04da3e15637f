"""What to do: the commands an engine step asks the service to carry out (imperative).

Voice effects become TwiML verbs in the answer to Twilio; messages become `<Message>`
replies or outbound sends; I/O effects (HTTP, placing a call, recording) are performed
by the service, which resumes the execution with the result. All are small frozen
dataclasses with a `type` tag and `to_dict()` for logs, the API and the console.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache


@dataclass(frozen=True)
class Effect:
    """Base of all effects: `widget` is the widget that asked for it."""

    widget: str = ""
    type = "effect"

    def to_dict(self) -> dict:
        """JSON-ready form with its type tag (tuples stay tuples: JSON writes them as lists)."""
        return {"type": self.type, **{name: getattr(self, name) for name in _field_names(type(self))}}


@dataclass(frozen=True)
class SendMessage(Effect):
    """Send a text message. `reply` is True when it goes to the contact from the
    flow's number, so a webhook can answer it with TwiML `<Message>`. A content
    template is sent as `content_sid` with `content_variables` (JSON text), Twilio's
    ContentSid and ContentVariables. With `conversation_sid` the message is posted to
    that Conversation (Conversations REST API; in `conversation_service` when it is not
    the default one) as `from_`, with `attributes` (JSON text)."""

    to: str = ""
    from_: str = ""
    body: str = ""
    media_urls: tuple[str, ...] = ()
    reply: bool = True
    content_sid: str = ""
    content_variables: str = ""
    conversation_sid: str = ""
    conversation_service: str = ""
    attributes: str = ""
    type = "message"


@dataclass(frozen=True)
class Say(Effect):
    """Speak text on the call (`<Say>`)."""

    text: str = ""
    voice: str = ""
    language: str = ""
    loop: int = 1
    type = "say"


@dataclass(frozen=True)
class Play(Effect):
    """Play audio or send keypad tones on the call (`<Play>`)."""

    url: str = ""
    digits: str = ""
    loop: int = 1
    type = "play"


@dataclass(frozen=True)
class Gather(Effect):
    """Collect key presses and/or speech (`<Gather>`), with prompts nested inside."""

    prompts: tuple = ()
    input: str = "dtmf speech"
    timeout: int = 5
    finish_on_key: str = "#"
    num_digits: int | None = None
    speech_timeout: str = "auto"
    speech_model: str = ""
    language: str = ""
    hints: str = ""
    profanity_filter: bool = True
    type = "gather"

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["prompts"] = [p.to_dict() for p in self.prompts]
        return out


@dataclass(frozen=True)
class Dial(Effect):
    """Connect the caller to another party (`<Dial>` with one noun)."""

    noun: str = "number"
    to: tuple[str, ...] = ()
    caller_id: str = ""
    record: bool = False
    timeout: int = 30
    time_limit: int | None = None
    sip_username: str = ""   # <Sip username password>: the SIP endpoint's credentials
    sip_password: str = ""
    type = "dial"


@dataclass(frozen=True)
class Record(Effect):
    """Record the caller (`<Record>`), e.g. a voicemail. The callbacks, when set, are
    Twilio's `transcribeCallback` and `recordingStatusCallback` (the flow's own URLs)."""

    timeout: int = 5
    finish_on_key: str = "#"
    max_length: int = 3600
    play_beep: bool = True
    trim: str = "trim-silence"
    transcribe: bool = False
    transcribe_callback: str = ""
    recording_status_callback: str = ""
    type = "record"


@dataclass(frozen=True)
class Enqueue(Effect):
    """Put the caller in a queue (`<Enqueue>`)."""

    queue_name: str = ""
    workflow_sid: str = ""
    wait_url: str = ""
    task_attributes: str = ""
    priority: int | None = None
    timeout: int | None = None
    wait_url_method: str = ""
    type = "enqueue"


@dataclass(frozen=True)
class Stream(Effect):
    """Fork the call's audio to a WebSocket (`<Start><Stream>`), or stop a stream by its
    name (`<Stop><Stream>`, `start=False`); the call goes on at once."""

    start: bool = True
    name: str = ""
    url: str = ""
    track: str = ""
    connector: str = ""
    parameters: tuple[tuple[str, str], ...] = ()
    type = "stream"


@dataclass(frozen=True)
class Pay(Effect):
    """Capture a payment on the call (`<Pay>`); its action callback resumes the widget."""

    connector: str = ""
    charge_amount: str = ""
    currency: str = ""
    payment_method: str = ""
    token_type: str = ""
    valid_card_types: str = ""
    security_code: bool | None = None
    postal_code: str = ""
    timeout: int | None = None
    max_attempts: int | None = None
    language: str = ""
    description: str = ""
    bank_account_type: str = ""
    type = "pay"


@dataclass(frozen=True)
class VirtualAgent(Effect):
    """Hand the call to a Dialogflow virtual agent (`<Connect><VirtualAgent>`); the
    `<Connect>` action callback resumes the widget when the agent is done."""

    connector: str = ""
    language: str = ""
    sentiment_analysis: bool | None = None
    status_callback: str = ""
    parameters: tuple[tuple[str, str], ...] = ()
    type = "virtualAgent"


@dataclass(frozen=True)
class Redirect(Effect):
    """Hand the call to other TwiML (`<Redirect>`); it returns with FlowEvent=return."""

    url: str = ""
    method: str = "POST"
    type = "redirect"


@dataclass(frozen=True)
class Hangup(Effect):
    """End the call (`<Hangup/>`)."""

    type = "hangup"


@dataclass(frozen=True)
class PlaceCall(Effect):
    """Place an outgoing call; its status comes back as a callback. The other fields are
    the Calls API's options of the same names (empty or None: not sent)."""

    to: str = ""
    from_: str = ""
    record: bool = False
    timeout: int = 60
    machine_detection: str = ""
    send_digits: str = ""
    recording_channels: str = ""
    recording_status_callback: str = ""
    trim: str = ""
    machine_detection_timeout: int | None = None
    machine_detection_speech_threshold: int | None = None
    machine_detection_speech_end_threshold: int | None = None
    machine_detection_silence_timeout: int | None = None
    sip_auth_username: str = ""
    sip_auth_password: str = ""
    type = "placeCall"


@dataclass(frozen=True)
class HttpCall(Effect):
    """Perform an HTTP request (make-http-request, run-function); resumes with the answer."""

    method: str = "GET"
    url: str = ""
    content_type: str = "application/x-www-form-urlencoded;charset=utf-8"
    body: str | None = None
    parameters: tuple[tuple[str, str], ...] = ()
    add_twilio_auth: bool = False
    type = "http"


@dataclass(frozen=True)
class StartRecording(Effect):
    """Start or stop recording the whole call (record-call); resumes with the result."""

    record: bool = True
    channels: str = "mono"
    trim: str = "do-not-trim"
    status_callback: str = ""
    status_callback_method: str = ""
    status_callback_events: tuple[str, ...] = ()
    type = "recordCall"


@dataclass(frozen=True)
class FlexTask(Effect):
    """Hand a message or Conversation to Flex (send-to-flex outside a call): Flex's
    Interactions API creates a TaskRouter task with the widget's workflow, task
    channel and `attributes` (JSON text) for `conversation_sid`, or, for a plain
    message, for the contact's address and the flow's (`contact`, `flow_address`)."""

    workflow_sid: str = ""
    task_channel: str = ""
    attributes: str = "{}"
    priority: int | None = None
    timeout: int | None = None
    conversation_sid: str = ""
    channel_type: str = "sms"
    contact: str = ""
    flow_address: str = ""
    type = "flexTask"


@dataclass(frozen=True)
class OpenConversation(Effect):
    """Create a Twilio Conversation (start-conversation) with one participant: the
    contact's `address` through the flow's `proxy_address` (SMS, WhatsApp), or a chat
    `identity`; its onMessageAdded webhook is pointed at the flow."""

    service_sid: str = ""
    friendly_name: str = ""
    unique_name: str = ""
    attributes: str = ""
    address: str = ""
    proxy_address: str = ""
    identity: str = ""
    type = "openConversation"


_TYPES = {cls.type: cls for cls in (SendMessage, Say, Play, Gather, Dial, Record, Enqueue, Redirect, Hangup,
                                   PlaceCall, HttpCall, StartRecording, FlexTask, OpenConversation, Stream, Pay,
                                   VirtualAgent)}


def from_dict(data: dict) -> Effect:
    """Rebuild an effect from `to_dict()` output (e.g. a stored webhook answer)."""
    data = dict(data)
    cls = _TYPES[data.pop("type")]
    if cls is Gather:
        data["prompts"] = tuple(from_dict(p) for p in data.get("prompts", ()))
    for key, value in data.items():
        if isinstance(value, list):
            data[key] = tuple(tuple(v) if isinstance(v, list) else v for v in value)
    return cls(**data)


@cache
def _field_names(cls) -> tuple[str, ...]:
    """The field names of an effect class (dataclasses.fields() takes 2 µs a call, and
    every stored webhook answer lists its effects)."""
    return tuple(f.name for f in fields(cls))
