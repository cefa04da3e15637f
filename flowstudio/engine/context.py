"""The parts of Studio's template context that come from how an execution started.

Studio puts what started an execution under `trigger`: `trigger.message.*` (the inbound
SMS webhook), `trigger.call.*` (the inbound call webhook), `trigger.request.*` (a REST
start: `to`, `from`, `parameters`), `trigger.conversation.*` (a Conversations message:
`Body`, `ConversationSid`, `Author`, `ParticipantSid`, `MessageSid`, `Source`,
`ChannelAttributes`...) and, inside a subflow, `trigger.parent.*` (`parameters`,
`trigger_type`). Fields Twilio sends as JSON text (`ChannelAttributes`, `Attributes`,
a Conversation message's `Media`) are kept as data, so `{{trigger.message.ChannelAttributes.channel_type}}`
reads a field, as in Studio. `flow.channel.sid` is the SID of the channel the
execution runs on, when the start says (see `channel_sid`).
"""
from __future__ import annotations

from . import jsontext

# Webhook fields that hold JSON text; Studio exposes them as objects.
JSON_FIELDS = ("ChannelAttributes", "Attributes", "Media")
# The trigger event that starts an execution, by the key it fills under `trigger`.
TRIGGER_EVENTS = {"message": "incomingMessage", "call": "incomingCall", "request": "incomingRequest",
                  "conversation": "incomingConversationMessage", "parent": "incomingParent"}


def webhook_fields(params: dict) -> dict:
    """Twilio's webhook parameters as Studio stores them: JSON-text fields as data."""
    out = dict(params)
    for key in JSON_FIELDS:
        value = out.get(key)
        if isinstance(value, str):
            out[key] = jsontext.data_or_text(value)
    return out


def message_trigger(params: dict) -> dict:
    """`trigger` for an inbound message (`trigger.message.*`)."""
    return {"message": webhook_fields(params)}


def call_trigger(params: dict) -> dict:
    """`trigger` for an inbound call (`trigger.call.*`)."""
    return {"call": dict(params)}


def request_trigger(to: str, from_: str, parameters: dict) -> dict:
    """`trigger` for a REST start: `trigger.request.to`, `.from`, `.parameters.*`
    (the parameters are also `flow.data.*`)."""
    return {"request": {"to": to, "from": from_, "parameters": dict(parameters)}}


def conversation_trigger(params: dict) -> dict:
    """`trigger` for a Conversations message (the `onMessageAdded` webhook's fields:
    `Body`, `ConversationSid`, `Author`, `ParticipantSid`, `MessageSid`, `Source`,
    `ChannelAttributes`, `Attributes`, `Media`, `Index`, `DateCreated`...)."""
    return {"conversation": webhook_fields(params)}


def parent_trigger(parameters: dict, parent_context: dict | None) -> dict:
    """`trigger` inside a subflow: the parameters it was given, and `trigger_type`,
    the event that started the outermost execution (e.g. `incomingMessage`)."""
    return {"parent": {"parameters": dict(parameters), "trigger_type": trigger_type(parent_context)}}


def trigger_type(context: dict | None) -> str:
    """The trigger event behind a frame's context (a subflow's is its parent's)."""
    trigger = (context or {}).get("trigger") or {}
    if "parent" in trigger:
        return trigger["parent"].get("trigger_type", "")
    return next((TRIGGER_EVENTS[k] for k in trigger if k in TRIGGER_EVENTS), "")


def channel_sid(trigger: dict) -> str:
    """`flow.channel.sid`: the Conversation of a Conversations start; for a message,
    the chat channel or messaging service it came through; else empty."""
    if "conversation" in trigger:
        return str(trigger["conversation"].get("ConversationSid", ""))
    message = trigger.get("message")
    if isinstance(message, dict):
        return str(message.get("ChannelSid") or message.get("MessagingServiceSid") or "")
    return ""
