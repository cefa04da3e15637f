"""Make Outgoing Call: calls the contact, so a flow started by a text or the REST API
continues as a voice call once they answer.

Uses the Calls API; answering machine detection (`machine_detection_*`, Twilio's AMD
parameters, all strings in Studio exports) sets `widgets.<name>.AnsweredBy`.
"""
from ..engine import effects as fx
from ..engine.api import Outcome, Wait
from ..engine.state import WAIT_CALL
from .base import SMS, VOICE, VOICE_CATEGORY, Event, WidgetType, boolean, choice, integer, obj, text

_EVENTS = {"in-progress": "answered", "answered": "answered", "busy": "busy", "no-answer": "noAnswer"}


# Studio's older "true"/"false" for trim, as the Calls API names them.
_TRIM = {"true": "trim-silence", "false": "do-not-trim"}
_AMD_TUNING = ("machine_detection_timeout", "machine_detection_speech_threshold",
               "machine_detection_speech_end_threshold", "machine_detection_silence_timeout")


def enter(run) -> Outcome:
    """Place the call and wait for Twilio to say how it went."""
    record, detect = run.flag("record", False), run.flag("detect_answering_machine", False)
    trim = run.text("trim", "trim-silence") if record else ""
    # Studio's switches decide: recording and detection options only apply when theirs is on.
    recording = {"recording_channels": run.text("recording_channels", "mono"),
                 "recording_status_callback": run.text("recording_status_callback").strip(),
                 "trim": _TRIM.get(trim, trim)} if record else {}
    tuning = {name: run.number(name, None) for name in _AMD_TUNING} if detect else {}
    effect = fx.PlaceCall(run.name, to=run.text("to", "{{contact.channel.address}}"),
                          from_=run.text("from", "{{flow.channel.address}}"), record=record,
                          timeout=run.number("timeout", 60),
                          machine_detection=run.text("machine_detection", "Enable") if detect else "",
                          send_digits=run.text("send_digits"),
                          # credentials are literal (not Liquid): a password may hold any characters
                          sip_auth_username=str(run.properties.get("sip_auth_username") or ""),
                          sip_auth_password=str(run.properties.get("sip_auth_password") or ""), **recording, **tuning)
    return Outcome(effects=(effect,), wait=Wait(WAIT_CALL))


def resume(run, event) -> Outcome:
    """`answered`, `busy`, `noAnswer`, or `failed`, by the call's status."""
    params = dict(getattr(event, "params", {}))
    outputs = params  # as in Studio: everything the status callback posts (CallSid, CallStatus, ...)
    return Outcome(event=_EVENTS.get(params.get("CallStatus", ""), "failed"), outputs=outputs)


WIDGET = WidgetType(
    enter=enter,
    resume=resume,
    type="make-outgoing-call-v2",
    title="Make Outgoing Call",
    category=VOICE_CATEGORY,
    channels=(SMS, VOICE),
    description="Phone the contact from the flow's number; once they answer, the rest of the "
                "flow runs on the call.",
    properties=obj({
        "from": text("Number to call from", "Caller ID.", default="{{flow.channel.address}}"),
        "to": text("Number to call", default="{{contact.channel.address}}"),
        "timeout": integer("Ring timeout", "How long to let it ring.", default=60, minimum=1,
                           maximum=600, unit="seconds"),
        "record": boolean("Record call", default=False),
        "recording_channels": choice("Recording channels", ["mono", "dual"], default="mono"),
        "recording_status_callback": text("Recording status callback URL"),
        # "true"/"false": Studio's older spelling, still in Twilio's own flow-definition sample
        # (docs/studio.md); kept as written so the flow round-trips, sent as trim-silence/do-not-trim.
        "trim": choice("Trim silence", ["trim-silence", "do-not-trim"], default="trim-silence", older=("true", "false"),
                       labels={"true": "Trim silence (older Studio value)",
                               "false": "Do not trim (older Studio value)"}),
        "send_digits": text("Send digits", "Keys to press once answered (w waits half a second)."),
        "sip_auth_username": text("SIP auth username", liquid=False),
        "sip_auth_password": text("SIP auth password", liquid=False),
        "detect_answering_machine": boolean("Detect answering machine", default=False),
        "machine_detection": choice("Machine detection", ["Enable", "DetectMessageEnd"], default="Enable",
                                    labels={"Enable": "Answer as soon as detected",
                                            "DetectMessageEnd": "Wait for the greeting to end"}),
        "machine_detection_timeout": integer("Detection timeout", default=30, minimum=3, maximum=120,
                                             unit="seconds"),
        "machine_detection_speech_threshold": integer("Speech threshold", default=2400, minimum=1000,
                                                      maximum=6000, unit="milliseconds"),
        "machine_detection_speech_end_threshold": integer("Speech end threshold", default=1200, minimum=500,
                                                          maximum=5000, unit="milliseconds"),
        "machine_detection_silence_timeout": integer("Silence timeout", default=5000, minimum=2000,
                                                     maximum=10000, unit="milliseconds"),
    }),
    events=(
        Event("answered", "Answered", "The call was answered; the flow continues on the call."),
        Event("busy", "Busy", "The line was busy."),
        Event("noAnswer", "No Answer", "Nobody answered before the timeout."),
        Event("failed", "Call Failed", "The call could not be placed."),
    ),
    waits=True,
    starts_call=("answered",),
    outputs=("CallSid", "CallStatus", "AnsweredBy", "To", "From"),
    example={"name": "call_back", "type": "make-outgoing-call-v2",
             "properties": {"from": "{{flow.channel.address}}", "to": "{{contact.channel.address}}",
                            "timeout": 60, "detect_answering_machine": True, "machine_detection": "Enable"},
             "transitions": {"answered": "greet", "busy": "text_later", "noAnswer": "text_later",
                             "failed": None}},
)
