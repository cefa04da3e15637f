"""Send & Wait For Reply: sends a message, then waits for the contact's answer."""
from ..engine import events as ev
from ..engine.api import Outcome, Wait
from ..engine.state import WAIT_MESSAGE
from .send_message import BODY_RULE, MESSAGE_TYPE, outbound, outbound_outputs
from .base import MESSAGING, SMS, Event, WidgetType, integer, obj, text


def enter(run) -> Outcome:
    """Send the question to the contact and wait for a reply until the timeout."""
    msg = outbound(run, "{{contact.channel.address}}")
    return Outcome(effects=(msg,), outputs=outbound_outputs(msg), wait=Wait(WAIT_MESSAGE, run.number("timeout", 3600)))


def resume(run, event) -> Outcome:
    """The reply (`incomingMessage`, kept as `inbound`), `timeout`, or `deliveryFailure`."""
    if isinstance(event, ev.MessageReceived):
        return Outcome(event="incomingMessage", outputs={"inbound": dict(event.params)})
    if isinstance(event, ev.DeliveryFailed):
        return Outcome(event="deliveryFailure", outputs={"delivery": dict(event.params)},
                       notes=("the message could not be delivered",))
    return Outcome(event="timeout")


WIDGET = WidgetType(
    enter=enter,
    resume=resume,
    type="send-and-wait-for-reply",
    title="Send & Wait For Reply",
    category=MESSAGING,
    channels=(SMS,),
    description="Send a message to the contact and wait for their reply; continue on "
                "\"No Reply\" after the timeout.",
    properties=obj({
        "body": text("Message body", "What to send. Type {{ or press {x} to put in a variable, such as the "
                     "contact's reply.", multiline=True),
        "from": text("Send message from", "The sending number.", default="{{flow.channel.address}}"),
        "timeout": integer("Stop gathering after", "How long to wait for a reply.",
                           default=3600, minimum=0, unit="seconds"),
        "media_url": text("Media URL", "A picture or file to attach (MMS)."),
        "service": text("Messaging service", "A Twilio Messaging Service to send through, instead of the number.",
                        liquid=False, advanced=True),
        "channel": text("Channel", liquid=False, advanced=True),
        "attributes": text("Attributes", "JSON attributes (Conversations).", multiline=True, advanced=True),
        **MESSAGE_TYPE,
    }, **BODY_RULE),
    events=(
        Event("incomingMessage", "Reply", "The contact replied; the reply is in widgets.<name>.inbound."),
        Event("timeout", "No Reply", "No reply arrived before the timeout."),
        Event("deliveryFailure", "Delivery Failure", "The message could not be delivered."),
    ),
    waits=True,
    # The reply is the whole inbound webhook (MediaUrl0 only when a picture came with it).
    outputs=("inbound.Body", "inbound.From", "inbound.To", "inbound.MessageSid", "inbound.NumMedia",
             "inbound.MediaUrl0", "inbound.MediaContentType0",
             "outbound.Body", "outbound.To", "outbound.From", "outbound.MediaUrl"),
    example={"name": "ask", "type": "send-and-wait-for-reply",
             "properties": {"body": "Reply YES to confirm", "timeout": 3600},
             "transitions": {"incomingMessage": "check", "timeout": "remind"}},
)
