"""Connect Call To: bridges the caller to a number, several numbers, a client, SIP or a conference.

Runs TwiML `<Dial>` with the matching noun; when the bridged call ends Twilio posts
`DialCallStatus`, `DialCallSid` and `DialCallDuration` (as `widgets.<name>.*`).
"""
from ..engine import effects as fx
from ..engine import events as ev
from ..engine.api import Outcome, Wait
from ..engine.state import WAIT_CALL
from .base import VOICE, VOICE_CATEGORY, Event, WidgetType, boolean, choice, integer, obj, text

NOUNS = {
    "number": "Single number",
    "number-multi": "Multiple numbers (first to answer)",
    "client": "Client (Voice SDK identity)",
    "sip": "SIP endpoint",
    "conference": "Conference",
    "sim": "SIM (Programmable Wireless)",
}


def enter(run) -> Outcome:
    """Dial the number(s), client, SIP address or conference and wait for it to end."""
    noun = run.text("noun", "number")
    target = run.text("sip_endpoint") if noun == "sip" else run.text("to")
    targets = tuple(t.strip() for t in target.split(",") if t.strip()) if noun == "number-multi" else (target,)
    dial = fx.Dial(run.name, noun=noun, to=targets, caller_id=run.text("caller_id", "{{flow.channel.address}}"),
                   record=run.flag("record", False), timeout=run.number("timeout", 30),
                   time_limit=run.number("time_limit", None),
                   # credentials are literal (not Liquid): a password may hold any characters
                   sip_username=str(run.properties.get("sip_username") or "") if noun == "sip" else "",
                   sip_password=str(run.properties.get("sip_password") or "") if noun == "sip" else "")
    return Outcome(effects=(dial,), wait=Wait(WAIT_CALL))


def resume(run, event) -> Outcome:
    """`callCompleted` with the Dial* results, or `hangup` when the caller hung up."""
    params = dict(getattr(event, "params", {}))
    outputs = params  # as in Studio: everything the callback posts (DialCallStatus, CallStatus, ...)
    hung_up = isinstance(event, ev.CallEnded) or params.get("CallStatus") in ("completed", "canceled")
    return Outcome(event="hangup" if hung_up else "callCompleted", outputs=outputs)


WIDGET = WidgetType(
    enter=enter,
    resume=resume,
    type="connect-call-to",
    title="Connect Call To",
    category=VOICE_CATEGORY,
    channels=(VOICE,),
    description="Put the caller through to someone else: a phone number, several numbers that "
                "ring at once, an app user, a SIP address or a conference.",
    properties=obj({
        "noun": choice("Connect call to", list(NOUNS), default="number", labels=NOUNS),
        "to": text("Destination", "A number, comma-separated numbers, a client identity or a "
                                  "conference name, depending on the choice above."),
        "caller_id": text("Caller ID", "The number shown to the person called.",
                          default="{{contact.channel.address}}"),
        "record": boolean("Record", "Record the connected call.", default=False),
        "timeout": integer("Timeout", "How long to let it ring.", default=30, minimum=1, maximum=600,
                           unit="seconds"),
        "time_limit": integer("Time limit", "The longest the connected call may last.", default=14400,
                              minimum=1, maximum=14400, unit="seconds"),
        "sip_endpoint": text("SIP endpoint", "e.g. sip:agent@example.com (for SIP only)."),
        "sip_username": text("SIP username", liquid=False),
        "sip_password": text("SIP password", liquid=False),
    }, **{
        "if": {"properties": {"noun": {"const": "sip"}}, "required": ["noun"]},
        "then": {"required": ["sip_endpoint"]},
        "else": {"required": ["to"]},
    }),
    events=(
        Event("callCompleted", "Connected Call Ended", "The connected call ended; see widgets.<name>.DialCallStatus."),
        Event("hangup", "Caller Hung Up", "The caller hung up."),
    ),
    waits=True,
    outputs=("DialCallStatus", "DialCallSid", "DialCallDuration"),
    example={"name": "to_support", "type": "connect-call-to",
             "properties": {"noun": "number", "to": "+15005550006",
                            "caller_id": "{{contact.channel.address}}", "timeout": 30},
             "transitions": {"callCompleted": None, "hangup": None}},
)
