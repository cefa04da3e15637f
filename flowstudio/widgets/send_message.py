"""Send Message: sends one SMS (or other channel message) and moves on without waiting."""
import json

from ..engine import effects as fx
from ..engine.api import Outcome, Wait
from ..engine.state import CONVERSATION, WAIT_IO
from ._conversations import conversation_service
from .base import MESSAGING, SMS, VOICE, Event, WidgetType, key_values, obj, text


def outbound(run, to_default: str) -> fx.SendMessage:
    """The message a send widget sends, rendered; a reply when it goes to the contact
    from the flow's own number. With `message_type: content_template` it is the content
    template `content_sid` with its variables, which goes through the REST API (a
    TwiML reply cannot carry a template)."""
    to = run.text("to", to_default)
    from_ = run.text("from", "{{flow.channel.address}}")
    media = run.text("media_url")
    content_sid = run.text("content_sid") if run.text("message_type").strip() == CONTENT else ""
    state = run.state
    # In a Conversation, a message to the contact is posted to the Conversation (whatever
    # `from` says: it becomes the message's author, as Studio's web chat flows use it).
    conversation = state.flow_address if state.channel == CONVERSATION and to == state.contact else ""
    return fx.SendMessage(run.name, to=to, from_=from_, body="" if content_sid else run.text("body"),
                          media_urls=(media,) if media and not content_sid else (),
                          reply=not content_sid and not conversation and to == state.contact
                          and from_ == state.flow_address,
                          content_sid=content_sid, content_variables=_content_variables(run) if content_sid else "",
                          conversation_sid=conversation, attributes=run.text("attributes") if conversation else "",
                          conversation_service=conversation_service(state) if conversation else "")


def _content_variables(run) -> str:
    """The template's variables as the JSON text Twilio takes: Studio's list of
    `{key, value}` (each value Liquid), or one JSON object written as text."""
    value = run.properties.get("content_variables")
    if isinstance(value, list):
        return json.dumps(dict(run.pairs("content_variables")), ensure_ascii=False)
    if isinstance(value, dict):
        return json.dumps({str(k): run.render(v) if isinstance(v, str) else v for k, v in value.items()},
                          ensure_ascii=False)
    return run.text("content_variables")


# Studio's message settings shared by Send Message and Send & Wait For Reply.
CONTENT = "content_template"
MESSAGE_TYPE = {
    # Free text, not a closed list: a message type Studio adds later must not make a flow invalid.
    "message_type": text("Message type", "custom: the body below; content_template: a content template "
                         "(content_sid) with its variables.", liquid=False, default="custom",
                         examples=["custom", CONTENT], advanced=True),
    "content_sid": text("Content template", "The template's SID (HX…), sent as ContentSid.", liquid=False,
                        advanced=True),
    "content_variables": key_values("Template variables", "Values for the template's placeholders "
                                    "({{1}}, {{2}}...), sent as ContentVariables.", advanced=True),
}
# Body is required, except for a content template, which carries its own text.
# (`required` first: most sends have no message_type, and the `if` then fails at once.)
BODY_RULE = {"if": {"required": ["message_type"], "properties": {"message_type": {"const": CONTENT}}},
             "then": {"required": ["content_sid"]}, "else": {"required": ["body"]}}


def outbound_outputs(msg: fx.SendMessage, result: dict | None = None) -> dict:
    """`widgets.<name>.outbound`: what was sent, and its sid/status once known."""
    out = {"To": msg.to, "From": msg.from_, "Body": msg.body, "MediaUrl": list(msg.media_urls)}
    if result:
        out.update({"Sid": result.get("sid", ""), "Status": result.get("status", "")})
    return {"outbound": out}


def enter(run) -> Outcome:
    """Send the message, then wait for the service to say whether it went out."""
    msg = outbound(run, "{{contact.channel.address}}")
    return Outcome(effects=(msg,), outputs=outbound_outputs(msg), wait=Wait(WAIT_IO))


def resume(run, event) -> Outcome:
    """`sent`, or `failed` when the send was refused."""
    result = getattr(event, "result", {})
    failed = result.get("status") == "failed"
    previous = run.context["widgets"].get(run.name, {}).get("outbound", {})
    previous = dict(previous, Sid=result.get("sid", ""), Status=result.get("status", ""))
    notes = (f"the message could not be sent: {result.get('error', 'unknown error')}",) if failed else ()
    return Outcome(event="failed" if failed else "sent", outputs={"outbound": previous}, notes=notes)


WIDGET = WidgetType(
    enter=enter,
    resume=resume,
    type="send-message",
    title="Send Message",
    category=MESSAGING,
    channels=(SMS, VOICE),
    description="Send a message to the contact (or any number) and continue straight away.",
    properties=obj({
        "body": text("Message body", "What to send. Type {{ or press {x} to put in a variable, such as the "
                     "contact's reply.", multiline=True),
        "from": text("Send message from", "The sending number.", default="{{flow.channel.address}}"),
        "to": text("Send message to", "The receiving number.", default="{{contact.channel.address}}"),
        "media_url": text("Media URL", "A picture or file to attach (MMS)."),
        "service": text("Messaging service", "A Twilio Messaging Service to send through, instead of the number.",
                        liquid=False, advanced=True),
        "channel": text("Channel", liquid=False, advanced=True),
        "attributes": text("Attributes", "JSON attributes (Conversations).", multiline=True, advanced=True),
        **MESSAGE_TYPE,
    }, **BODY_RULE),
    events=(
        Event("sent", "Sent", "The message was handed to the carrier."),
        Event("failed", "Failed", "The message could not be sent."),
    ),
    outputs=("outbound.Body", "outbound.To", "outbound.From", "outbound.MediaUrl", "outbound.Sid", "outbound.Status"),
    example={"name": "say_thanks", "type": "send-message",
             "properties": {"body": "Thanks, {{contact.channel.address}}!"},
             "transitions": {"sent": None}},
)
