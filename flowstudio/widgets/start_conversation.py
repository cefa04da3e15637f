"""Start Conversation: opens a Twilio Conversation from a flow started through the REST
API and makes it the execution's channel.

As in Studio: it fails at once when the execution already has a channel (it started
from a message, a call or a Conversation, or already opened one). Otherwise the
service's channel creates the Conversation (`OpenConversation`: the Conversation, its
participant, and an `onMessageAdded` webhook pointing at this flow); on success the
execution's channel becomes the Conversation (`flow.channel.sid`), so Send Message and
Send & Wait For Reply post there and the contact's answers resume the execution.
Outputs: `ConversationSid`, `ParticipantSid`, `ChatServiceSid`; on failure `error`.
"""
from ..engine import effects as fx
from ..engine.api import Outcome, Wait
from ..engine.state import CONVERSATION, WAIT_IO
from .base import MESSAGING, SMS, Event, WidgetType, obj, text

REST = "rest"


def enter(run) -> Outcome:
    """Ask for the Conversation, or fail when the execution already has a channel."""
    state = run.state
    if state.channel != REST:
        why = ("it already runs in a Conversation" if state.channel == CONVERSATION
               else f"it started from {'a call' if state.channel == 'voice' else 'a message'}")
        return Outcome(event="failed", outputs={"error": f"the execution already has a channel: {why}"})
    address = run.text("participant_address", "{{contact.channel.address}}")
    identity = run.text("participant_identity")
    effect = fx.OpenConversation(run.name, service_sid=run.text("conversation_service_sid"),
                                 friendly_name=run.text("friendly_name"), unique_name=run.text("unique_name"),
                                 attributes=run.text("attributes"), address="" if identity else address,
                                 proxy_address="" if identity else run.text("proxy_address",
                                                                            "{{flow.channel.address}}"),
                                 identity=identity)
    return Outcome(effects=(effect,), wait=Wait(WAIT_IO))


def resume(run, event) -> Outcome:
    """`created` (the execution now runs in the Conversation) or `failed`."""
    result = dict(getattr(event, "result", {}))
    if result.get("status") != "created":
        return Outcome(event="failed", outputs={"error": result.get("error", "unknown error")},
                       notes=(f"the Conversation could not be created: {result.get('error', 'unknown error')}",))
    sid = result.get("sid", "")
    outputs = {"ConversationSid": sid, "ParticipantSid": result.get("participant_sid", ""),
               "ChatServiceSid": run.text("conversation_service_sid")}
    return Outcome(event="created", outputs=outputs, channel=(CONVERSATION, sid, sid))


WIDGET = WidgetType(
    enter=enter,
    resume=resume,
    type="start-conversation",
    title="Start Conversation",
    category=MESSAGING,
    channels=(SMS,),
    description="Open a new Conversation with the contact from a flow started through the REST API; "
                "later messages go to that Conversation and replies continue the flow.",
    properties=obj({
        "conversation_service_sid": text("Conversation service", "IS…; empty: the account's default service.",
                                         liquid=False),
        "participant_address": text("Contact address", "The contact's phone or whatsapp: address.",
                                    default="{{contact.channel.address}}"),
        "proxy_address": text("Flow address", "The number (or whatsapp: sender) the contact talks to.",
                              default="{{flow.channel.address}}"),
        "participant_identity": text("Chat identity", "A chat user instead of an address (web chat)."),
        "friendly_name": text("Friendly name", "The Conversation's name (no personal data)."),
        "unique_name": text("Unique name", "An optional unique name of the Conversation."),
        "attributes": text("Attributes", "JSON attributes of the Conversation.", multiline=True),
    # Open: Studio's own names for further settings are not published; they are kept as written.
    }, **{"x-open": True}),
    events=(
        Event("created", "Created", "The Conversation was created."),
        Event("failed", "Failed", "The Conversation could not be created (for example, the execution "
                                  "already has a channel)."),
    ),
    outputs=("ConversationSid", "ParticipantSid", "ChatServiceSid"),
    example={"name": "open_conversation", "type": "start-conversation",
             "transitions": {"created": "welcome", "failed": "sorry"}},
)
