"""The Twilio channel: sends messages, places calls and records calls through Twilio's
REST API (the official `twilio` package), for the service's `Channel` protocol.

Callback URLs follow the webhook conventions (`flowstudio.web.webhooks`): a call
Twilio places asks `{public_url}/webhooks/<flow>?execution=..&widget=..&token=..` for
TwiML once answered; status callbacks go to `{public_url}/webhooks/<flow>/status`.
Without a public URL messages still go out (with no delivery callback), calls fail.

Errors: HTTP 429, 5xx, connection errors and timeouts are transient and retried
(`retries` times, waiting `backoff * 2**attempt`); other refusals (4xx, e.g. 21211
"invalid 'To' number") fail at once. Either way the answer is
`{"status": "failed", "error": ...}`, so the widget follows its failure transition.
"""
from __future__ import annotations

import json
import time
from typing import Callable
from urllib.parse import urlencode

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ..engine import effects as fx
from ..engine.state import ExecutionState

NO_PUBLIC_URL = "FLOWSTUDIO_PUBLIC_URL must be set so Twilio can reach this server for outgoing calls"
HTTP_TIMEOUT = 10.0  # seconds per request: a turn holds its session's lock while it sends
ANSWERED = ("in-progress", "answered")
# PlaceCall's options that the Calls API takes under the same (snake_case) names.
_CALL_OPTIONS = ("machine_detection", "send_digits", "recording_channels", "recording_status_callback", "trim",
                 "machine_detection_timeout", "machine_detection_speech_threshold",
                 "machine_detection_speech_end_threshold", "machine_detection_silence_timeout",
                 "sip_auth_username", "sip_auth_password")


class TwilioChannel:
    """`Channel` over Twilio's REST API; `client`, `sleep` are injectable for tests."""

    def __init__(self, account_sid: str, auth_token: str, public_url: str | None, *, client: Client | None = None,
                 retries: int = 3, backoff: float = 0.5, sleep: Callable[[float], None] = time.sleep,
                 workspace_sid: str | None = None):
        self.client = client or Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=HTTP_TIMEOUT))
        self.public_url = public_url.rstrip("/") if public_url else None
        self.retries, self.backoff, self.sleep = retries, backoff, sleep
        self.workspace_sid = workspace_sid

    def send_message(self, message: fx.SendMessage, execution: ExecutionState | None = None) -> dict:
        """Send an SMS/MMS; with `execution` (and a public URL) ask for delivery callbacks.
        A message for a Conversation is posted to it instead (post_to_conversation)."""
        if message.conversation_sid:
            return self.post_to_conversation(message)
        extra = {"media_url": list(message.media_urls)} if message.media_urls else {}
        if message.content_sid:  # a content template: Twilio renders it, the body is not sent
            extra["content_sid"] = message.content_sid
            if message.content_variables:
                extra["content_variables"] = message.content_variables
        if self.public_url and execution is not None:
            ours = {"execution": execution.id, "widget": message.widget}
            extra["status_callback"] = self._url(execution, "/status", ours)
        sent, error = self._attempt(lambda: self.client.messages.create(
            to=message.to, from_=message.from_, **({} if message.content_sid else {"body": message.body}), **extra))
        return {"status": "sent", "sid": sent.sid} if error is None else _failed(error)

    def post_to_conversation(self, message: fx.SendMessage) -> dict:
        """`POST conversations.twilio.com/v1/Conversations/CH…/Messages` with Author (the
        widget's `from`, unless it is the Conversation itself: Twilio then writes
        "system"), Body or ContentSid/ContentVariables, and Attributes. Media URLs are
        not sent: Conversations takes media only as uploaded Media SIDs."""
        extra = {"author": message.from_} if message.from_ and message.from_ != message.conversation_sid else {}
        if message.content_sid:
            extra["content_sid"] = message.content_sid
            if message.content_variables:
                extra["content_variables"] = message.content_variables
        else:
            extra["body"] = message.body
        if message.attributes:
            extra["attributes"] = message.attributes
        api = self.client.conversations.v1
        scope = api.services(message.conversation_service) if message.conversation_service else api
        messages = scope.conversations(message.conversation_sid).messages
        posted, error = self._attempt(lambda: messages.create(**extra))
        return {"status": "sent", "sid": posted.sid} if error is None else _failed(error)

    def place_call(self, call: fx.PlaceCall, execution: ExecutionState) -> dict:
        """Place an outgoing call; Twilio fetches the flow's TwiML when it is answered and
        reports other endings (busy, no-answer, failed) to the status callback."""
        if not self.public_url:
            return _failed(NO_PUBLIC_URL)
        waiting = execution.waiting
        ours = {"execution": execution.id, "widget": waiting.widget if waiting else call.widget}
        if waiting is not None:
            ours["token"] = waiting.token
        extra = {k: getattr(call, k) for k in _CALL_OPTIONS if getattr(call, k) not in (None, "")}
        placed, error = self._attempt(lambda: self.client.calls.create(
            to=call.to, from_=call.from_, url=self._url(execution, "", ours),
            status_callback=self._url(execution, "/status", ours), status_callback_event=["completed"],
            timeout=call.timeout, record=call.record, **extra))
        return {"status": "queued", "sid": placed.sid} if error is None else _failed(error)

    def record_call(self, effect: fx.StartRecording, execution: ExecutionState) -> dict:
        """Start (or, with `record=False`, stop) recording the execution's call."""
        call_sid = call_of(execution)
        if not call_sid:
            return _failed("this execution has no call to record: it was not started by a call and "
                           "no outgoing call of it was answered")
        recordings = self.client.calls(call_sid).recordings
        if not effect.record:
            done, error = self._attempt(lambda: recordings("Twilio.CURRENT").update(status="stopped"))
            return {"status": "stopped", "sid": done.sid} if error is None else _failed(error)
        extra = {k: v for k, v in (("recording_status_callback", effect.status_callback),
                                   ("recording_status_callback_method", effect.status_callback_method),
                                   ("recording_status_callback_event", list(effect.status_callback_events)))
                 if v}
        rec, error = self._attempt(lambda: recordings.create(recording_channels=effect.channels, trim=effect.trim,
                                                             **extra))
        return {"status": "recording", "sid": rec.sid} if error is None else _failed(error)

    def create_flex_task(self, effect: fx.FlexTask, execution: ExecutionState) -> dict:
        """Hand a Conversation or a message to Flex: `POST flex-api.twilio.com/v1/Interactions`
        with `Channel` (the Conversation as `media_channel_sid`, or the contact's and the
        flow's addresses) and `Routing` (workspace, workflow, task channel, attributes,
        priority, timeout). The workspace is FLOWSTUDIO_TWILIO_WORKSPACE_SID, else the
        account's only TaskRouter workspace (Flex accounts have one)."""
        workspace, error = self._workspace()
        if error is not None:
            return _failed(error)
        routing = {"workspace_sid": workspace, "workflow_sid": effect.workflow_sid,
                   "attributes": json.loads(effect.attributes or "{}")}
        if effect.task_channel:
            key = "task_channel_sid" if effect.task_channel.startswith("TC") else "task_channel_unique_name"
            routing[key] = effect.task_channel
        if effect.priority is not None:
            routing["priority"] = effect.priority
        if effect.timeout is not None:
            routing["timeout"] = effect.timeout
        if effect.conversation_sid:
            channel = {"type": effect.channel_type, "initiated_by": "customer",
                       "properties": {"media_channel_sid": effect.conversation_sid}}
        else:
            channel = {"type": effect.channel_type, "initiated_by": "customer",
                       "participants": [{"address": effect.contact, "proxy_address": effect.flow_address}]}
        made, error = self._attempt(lambda: self.client.flex_api.v1.interaction.create(
            channel=channel, routing={"properties": routing}))
        return {"status": "created", "sid": made.sid} if error is None else _failed(error)

    def start_conversation(self, effect: fx.OpenConversation, execution: ExecutionState) -> dict:
        """Start Conversation: `POST conversations.twilio.com/v1/Conversations` (in the
        service when one is named), then its participant (`MessagingBinding.Address` and
        `.ProxyAddress`, or `Identity`), then a webhook (`Target=webhook`,
        `Configuration.Url` = this flow's webhook, `Configuration.Filters=onMessageAdded`)
        so the contact's answers come back to the execution."""
        if not self.public_url:
            return _failed(NO_PUBLIC_URL.replace("for outgoing calls", "for the Conversation's messages"))
        api = self.client.conversations.v1
        conversations = api.services(effect.service_sid).conversations if effect.service_sid else api.conversations
        fields = {k: v for k, v in (("friendly_name", effect.friendly_name), ("unique_name", effect.unique_name),
                                    ("attributes", effect.attributes)) if v}
        made, error = self._attempt(lambda: conversations.create(**fields))
        if error is not None:
            return _failed(error)
        conversation = conversations(made.sid)
        binding = ({"identity": effect.identity} if effect.identity else
                   {"messaging_binding_address": effect.address, "messaging_binding_proxy_address": effect.proxy_address})
        joined, error = self._attempt(lambda: conversation.participants.create(**binding))
        if error is None:
            _, error = self._attempt(lambda: conversation.webhooks.create(
                target="webhook", configuration_url=self._url(execution, "", {}).rstrip("?"),
                configuration_method="POST", configuration_filters=["onMessageAdded"]))
        if error is not None:
            return {**_failed(error), "sid": made.sid}
        return {"status": "created", "sid": made.sid, "participant_sid": joined.sid}

    def _workspace(self) -> tuple[str | None, str | None]:
        """The TaskRouter workspace Flex tasks go to, looked up once."""
        if self.workspace_sid:
            return self.workspace_sid, None
        found, error = self._attempt(lambda: self.client.taskrouter.v1.workspaces.list(limit=2))
        if error is not None:
            return None, error
        if len(found) != 1:
            return None, (f"the account has {len(found) or 'no'} TaskRouter workspaces: set "
                          "FLOWSTUDIO_TWILIO_WORKSPACE_SID to the one Flex uses")
        self.workspace_sid = found[0].sid
        return self.workspace_sid, None

    # ------------------------------------------------------------ helpers

    def _url(self, execution: ExecutionState, suffix: str, query: dict) -> str:
        return f"{self.public_url}/webhooks/{execution.flow_id}{suffix}?{urlencode(query)}"

    def _attempt(self, request: Callable[[], object]) -> tuple[object, str | None]:
        """Run `request`, retrying transient failures: (answer, None) or (None, error)."""
        error = ""
        for attempt in range(self.retries + 1):
            try:
                return request(), None
            except (TwilioRestException, TwilioServiceException) as exc:
                error = describe(exc)
                if not (exc.status == 429 or exc.status >= 500):
                    return None, error
            except (requests.ConnectionError, requests.Timeout) as exc:
                error = f"could not reach Twilio: {exc}"
            except TwilioException as exc:  # refused before sending (bad arguments, ...)
                return None, f"Twilio client error: {exc}"
            if attempt < self.retries:
                self.sleep(self.backoff * 2 ** attempt)
        return None, f"{error} (gave up after {self.retries + 1} attempts)"


def describe(exc: TwilioRestException | TwilioServiceException) -> str:
    """Twilio's message and code, e.g. "Twilio error 21211 (HTTP 400): The 'To' number ..."."""
    message = getattr(exc, "msg", None) or getattr(exc, "detail", None) or getattr(exc, "title", "")
    for prefix in ("Unable to create record: ", "Unable to update record: "):
        message = message[len(prefix):] if message.startswith(prefix) else message
    return f"Twilio error {exc.code} (HTTP {exc.status}): {message}"


def call_of(execution: ExecutionState) -> str | None:
    """The sid of the execution's call: the call that started it, else the latest
    answered outgoing call (a make-outgoing-call widget's `CallSid`)."""
    trigger_call = (execution.frames[0].context.get("trigger") or {}).get("call") or {} if execution.frames else {}
    if trigger_call.get("CallSid"):
        return trigger_call["CallSid"]
    for frame in reversed(execution.frames):
        for outputs in reversed(list((frame.context.get("widgets") or {}).values())):
            if isinstance(outputs, dict) and outputs.get("CallSid") and outputs.get("CallStatus") in ANSWERED:
                return outputs["CallSid"]
    return None


def _failed(error: str) -> dict:
    return {"status": "failed", "error": error}
