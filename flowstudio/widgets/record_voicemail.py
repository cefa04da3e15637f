"""Record Voicemail: records what the caller says, after an optional beep.

Runs TwiML `<Record>`; the recording lands in `widgets.<name>.RecordingUrl` and
`.RecordingDuration`. Studio stores `play_beep` as the string "true"/"false" but
`transcribe` as a real boolean; both forms are accepted.
"""
from ..engine import effects as fx
from ..engine import events as ev
from ..engine.api import Outcome, Wait
from ..engine.state import WAIT_CALL
from ._voice import raw_text
from .base import VOICE, VOICE_CATEGORY, Event, WidgetType, boolean, choice, integer, obj, text


def enter(run) -> Outcome:
    """Record the caller after an optional beep, until silence, a key or the maximum length."""
    trim = run.properties.get("trim")
    record = fx.Record(run.name, timeout=run.number("timeout", 5), finish_on_key=raw_text(run, "finish_on_key", "#"),
                       max_length=run.number("max_length", 3600), play_beep=run.flag("play_beep", True),
                       trim="do-not-trim" if trim in (False, "false", "do-not-trim") else "trim-silence",
                       transcribe=run.flag("transcribe", False),
                       transcribe_callback=run.text("transcription_callback_url").strip(),
                       recording_status_callback=run.text("recording_status_callback_url").strip())
    return Outcome(effects=(record,), wait=Wait(WAIT_CALL))


def resume(run, event) -> Outcome:
    """`recordingComplete` with RecordingUrl and RecordingDuration, `noAudio`, or `hangup`."""
    params = dict(getattr(event, "params", {}))
    outputs = params  # as in Studio: everything the callback posts (RecordingUrl, CallStatus, ...)
    duration = str(params.get("RecordingDuration", "0")).strip()
    if params.get("RecordingUrl") and duration.isdigit() and int(duration) > 0:
        return Outcome(event="recordingComplete", outputs=outputs)
    if isinstance(event, ev.CallEnded) or params.get("CallStatus") in ("completed", "canceled"):
        return Outcome(event="hangup", outputs=outputs)
    return Outcome(event="noAudio", outputs=outputs)


WIDGET = WidgetType(
    enter=enter,
    resume=resume,
    type="record-voicemail",
    title="Record Voicemail",
    category=VOICE_CATEGORY,
    channels=(VOICE,),
    description="Record a message from the caller, optionally with a transcription; stops on "
                "silence, a key press or the maximum length.",
    properties=obj({
        "timeout": integer("Stop recording after silence", default=5, minimum=0, unit="seconds"),
        "finish_on_key": text("Stop recording on key", "Keys that end the recording; empty for none.",
                              liquid=False, default="#", pattern=r"^[0-9#*]*$",
                              **{"x-message": "must be keys from 0-9, # and *, or empty"}),
        "max_length": integer("Maximum length", default=3600, minimum=1, maximum=14400, unit="seconds"),
        "play_beep": boolean("Play beep", "Beep before recording starts.", default="true"),
        "trim": choice("Trim silence", ["trim-silence", "do-not-trim"], default="trim-silence"),
        "transcribe": boolean("Transcribe audio", default=False),
        "transcription_callback_url": text("Transcription callback URL",
                                           "Receives the transcription text when it is ready."),
        "recording_status_callback_url": text("Recording status callback URL",
                                              "Receives the recording when it is ready."),
    }),
    events=(
        Event("recordingComplete", "Recording Complete", "The message was recorded."),
        Event("noAudio", "No Audio", "Nothing was recorded."),
        Event("hangup", "User Hung Up", "The caller hung up while recording."),
    ),
    waits=True,
    # What Twilio posts to <Record>'s action URL.
    outputs=("RecordingUrl", "RecordingDuration", "RecordingSid"),
    example={"name": "voicemail", "type": "record-voicemail",
             "properties": {"timeout": 5, "max_length": 120, "play_beep": "true", "transcribe": True},
             "transitions": {"recordingComplete": "thanks", "noAudio": None, "hangup": None}},
)
