"""Record Voicemail: records what the caller says, after an optional beep.

Runs TwiML `<Record>`; the recording lands in `widgets.<name>.RecordingUrl` and
`.RecordingDuration`. Studio stores `play_beep` as the string "true"/"false" but
`transcribe` as a real boolean; both forms are accepted.
"""
from .base import VOICE, VOICE_CATEGORY, Event, WidgetType, boolean, choice, integer, obj, text

WIDGET = WidgetType(
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
    example={"name": "voicemail", "type": "record-voicemail",
             "properties": {"timeout": 5, "max_length": 120, "play_beep": "true", "transcribe": True},
             "transitions": {"recordingComplete": "thanks", "noAudio": None, "hangup": None}},
)
