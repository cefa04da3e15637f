"""Call Recording: switches recording of the current call on or off.

Starts or stops a recording through the Calls API and continues straight away; it
does not wait for the recording. Only for calls already answered.
"""
from ..engine import effects as fx
from ..engine.api import Outcome, Wait
from ..engine.state import WAIT_IO
from .base import VOICE, VOICE_CATEGORY, Event, WidgetType, boolean, choice, obj, text


def enter(run) -> Outcome:
    """Ask the service to start (or stop) recording the whole call."""
    effect = fx.StartRecording(run.name, record=run.flag("record_call", True),
                               channels=run.text("recording_channels", "mono"), trim=run.text("trim", "do-not-trim"),
                               status_callback=run.text("recording_status_callback"),
                               status_callback_method=run.text("recording_status_callback_method").upper(),
                               status_callback_events=tuple(run.text("recording_status_callback_events").split()))
    return Outcome(effects=(effect,), wait=Wait(WAIT_IO))


def resume(run, event) -> Outcome:
    """`success`, or `failed` when the recording could not be started."""
    result = getattr(event, "result", {})
    failed = result.get("status") == "failed"
    return Outcome(event="failed" if failed else "success", outputs={k: v for k, v in result.items() if k != "status"})


WIDGET = WidgetType(
    enter=enter,
    resume=resume,
    type="record-call",
    title="Call Recording",
    category=VOICE_CATEGORY,
    channels=(VOICE,),
    description="Start or stop recording the call from this point; tell callers first where the "
                "law requires it.",
    properties=obj({
        "record_call": boolean("Record call", "On to start recording, off to stop.", default=False),
        "recording_status_callback": text("Recording status callback URL"),
        "recording_status_callback_method": choice("Callback method", ["GET", "POST"], default="POST"),
        "recording_status_callback_events": text("Callback events", "Space-separated: in-progress, "
                                                                     "completed, absent.", liquid=False),
        "recording_channels": choice("Recording channels", ["mono", "dual"], default="mono"),
        "trim": choice("Trim silence", ["trim-silence", "do-not-trim"], default="do-not-trim"),
    }, required=("record_call",)),
    events=(
        Event("success", "Success", "Recording was switched on or off."),
        Event("failed", "Failed", "Recording could not be changed."),
    ),
    outputs=("sid",),
    example={"name": "start_recording", "type": "record-call",
             "properties": {"record_call": True, "recording_channels": "dual"},
             "transitions": {"success": "menu", "failed": "menu"}},
)
