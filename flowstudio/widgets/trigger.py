"""Trigger: where every flow starts. Each of its events is one way an execution begins."""
from .base import SMS, TRIGGER, VOICE, Event, WidgetType, obj

# The trigger events this runtime starts executions on (the validator warns about a flow
# that starts on none of them).
RUNS = ("incomingMessage", "incomingCall", "incomingConversationMessage", "incomingRequest", "incomingParent")

WIDGET = WidgetType(
    type="trigger",
    title="Trigger",
    category=TRIGGER,
    channels=(SMS, VOICE),
    description="Starts the flow when a message, a Conversation message or a call comes in, when Send to a list "
                "or another program starts it, or when a parent flow runs this one as a subflow.",
    properties=obj({}),
    events=(
        Event("incomingMessage", "Incoming Message", "A text message arrives at the flow's number."),
        Event("incomingCall", "Incoming Call", "A call arrives at the flow's number."),
        Event("incomingConversationMessage", "Incoming Conversation",
              "A message arrives in a Twilio Conversation (WhatsApp, web chat...)."),
        Event("incomingRequest", "Started by a list or app",
              "Send to a list starts the flow this way for each contact, and so can another program "
              "(through the REST API)."),
        Event("incomingParent", "Subflow", "A parent flow runs this flow with Run Subflow."),
    ),
    example={"name": "Trigger", "type": "trigger", "transitions": {"incomingMessage": "greet"}},
)
