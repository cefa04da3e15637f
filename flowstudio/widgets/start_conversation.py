"""Start Conversation: Studio's widget that opens a Twilio Conversation from a flow
started through the REST API, and makes it the execution's channel.

Declared here so flows that use it validate and keep it (with its events) on import
and export; this runtime does not run it yet (an execution that reaches it ends), and
the validator says so. Its properties are kept as Studio wrote them: none are checked.
"""
from .base import MESSAGING, SMS, Event, WidgetType, obj

WIDGET = WidgetType(
    type="start-conversation",
    title="Start Conversation",
    category=MESSAGING,
    channels=(SMS,),
    description="Open a new Conversation with the contact from a flow started through the REST API; "
                "later messages go to that Conversation and replies continue the flow.",
    # Studio's own settings (service, address, channel...) are kept as written.
    properties=obj({}, **{"x-open": True}),
    events=(
        Event("created", "Created", "The Conversation was created."),
        Event("failed", "Failed", "The Conversation could not be created (for example, the execution "
                                  "already has a channel)."),
    ),
    supported=False,
    example={"name": "open_conversation", "type": "start-conversation",
             "transitions": {"created": "welcome", "failed": "sorry"}},
)
