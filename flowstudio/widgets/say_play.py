"""Say/Play: speaks text, plays an audio file or sends key tones on a call.

One of `say`, `play` or `digits` is needed; the schema asks for `say` when none is
given. Twilio runs the `<Say>`/`<Play>` TwiML and calls back when the audio is over.
"""
from ..engine.api import Outcome
from ._voice import prompt_effects
from ._speech import language, voice
from .base import VOICE, VOICE_CATEGORY, Event, WidgetType, advanced, integer, obj, text

NOTHING_TO_PLAY = {"not": {"anyOf": [{"required": ["say"]}, {"required": ["play"]}, {"required": ["digits"]}]}}


def enter(run) -> Outcome:
    """Say or play, then go on: the speech is part of the call's next TwiML answer."""
    return Outcome(event="audioComplete", effects=prompt_effects(run))


WIDGET = WidgetType(
    enter=enter,
    type="say-play",
    title="Say/Play",
    category=VOICE_CATEGORY,
    channels=(VOICE,),
    description="Read a message aloud to the caller, play a recording, or press keys on the "
                "line (DTMF), then continue.",
    properties=obj({
        "say": text("Text to say", "Read aloud to the caller. Type {{ or press {x} to put in a variable.",
                    multiline=True),
        "play": text("Audio URL", "The address of an audio file to play instead."),
        "digits": text("Digits", "Keys to press on the line (0-9, #, *; w waits half a second).", advanced=True),
        "voice": voice(),
        "language": language(default="en-US"),
        "loop": advanced(integer("Loops", "How many times to repeat.", default=1, minimum=1, maximum=99)),
    }, **{"if": NOTHING_TO_PLAY, "then": {"required": ["say"]}}),
    events=(
        Event("audioComplete", "Audio Complete", "The message finished playing."),
    ),
    example={"name": "welcome", "type": "say-play",
             "properties": {"say": "Thanks for calling. Your number is {{contact.channel.address}}.",
                            "voice": "Polly.Joanna", "language": "en-US", "loop": 1},
             "transitions": {"audioComplete": "menu"}},
)
