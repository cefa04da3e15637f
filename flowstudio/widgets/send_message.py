"""Send Message: sends one SMS (or other channel message) and moves on without waiting."""
from .base import MESSAGING, SMS, VOICE, Event, WidgetType, obj, text

WIDGET = WidgetType(
    type="send-message",
    title="Send Message",
    category=MESSAGING,
    channels=(SMS, VOICE),
    description="Send a message to the contact (or any number) and continue straight away.",
    properties=obj({
        "body": text("Message body", "What to send. Liquid templates allowed.", multiline=True),
        "from": text("Send message from", "The sending number.", default="{{flow.channel.address}}"),
        "to": text("Send message to", "The receiving number.", default="{{contact.channel.address}}"),
        "media_url": text("Media URL", "A picture or file to attach (MMS)."),
        "service": text("Messaging service", liquid=False),
        "channel": text("Channel", liquid=False),
        "attributes": text("Attributes", "JSON attributes (Conversations).", multiline=True),
    }, required=("body",)),
    events=(
        Event("sent", "Sent", "The message was handed to the carrier."),
        Event("failed", "Failed", "The message could not be sent."),
    ),
    example={"name": "say_thanks", "type": "send-message",
             "properties": {"body": "Thanks, {{contact.channel.address}}!"},
             "transitions": {"sent": None}},
)
