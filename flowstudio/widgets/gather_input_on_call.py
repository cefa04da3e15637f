"""Gather Input On Call: asks a question on a call and waits for key presses or speech.

Runs TwiML `<Gather input="dtmf speech">` with the prompt nested inside; the answer
arrives as `widgets.<name>.Digits` or `.SpeechResult` (+ `.Confidence`).
"""
from ..engine import effects as fx
from ..engine import events as ev
from ..engine.api import Outcome, Wait
from ..engine.state import WAIT_CALL
from ._voice import prompt_effects, raw_text
from ._speech import language, voice
from .base import VOICE, VOICE_CATEGORY, Event, WidgetType, advanced, boolean, integer, obj, text

SPEECH_TIMEOUT = {
    "type": ["string", "integer"], "title": "Speech timeout",
    "description": "Silence that ends speech: auto, or a number of seconds.",
    "default": "auto", "pattern": r"^\s*(auto|[0-9]+)\s*$", "minimum": 0,
    "x-message": "must be auto or a whole number of seconds", "examples": ["auto", "3"],
}


def enter(run) -> Outcome:
    """Ask (nested say/play) and wait for keys, speech, or the gather's own timeout."""
    gather = fx.Gather(
        run.name, prompts=prompt_effects(run), timeout=run.number("timeout", 5),
        finish_on_key=raw_text(run, "finish_on_key", "#"), num_digits=run.number("number_of_digits", None),
        speech_timeout=str(run.properties.get("speech_timeout") or "auto"), speech_model=run.text("speech_model"),
        language=run.text("gather_language", "en-US"), hints=run.text("hints"),
        profanity_filter=run.flag("profanity_filter", True))
    return Outcome(effects=(gather,), wait=Wait(WAIT_CALL))


def resume(run, event) -> Outcome:
    """`keypress` with Digits, `speech` with SpeechResult and Confidence, else `timeout`;
    the callback's other fields are stored beside them."""
    params = dict(getattr(event, "params", {})) if isinstance(event, ev.CallbackReceived) else {}
    # As in Studio, everything the callback posts (CallStatus, FinishedOnKey, ...) is kept.
    if params.get("Digits"):
        return Outcome(event="keypress", outputs=params)
    if params.get("SpeechResult"):
        return Outcome(event="speech", outputs={"Confidence": "", **params})
    return Outcome(event="timeout", outputs=params)


WIDGET = WidgetType(
    enter=enter,
    resume=resume,
    type="gather-input-on-call",
    title="Gather Input On Call",
    category=VOICE_CATEGORY,
    channels=(VOICE,),
    description="Ask the caller something and wait for them to press keys or speak; branch on "
                "keys, speech, or no answer.",
    properties=obj({
        "say": text("Text to say", "The question read aloud to the caller. Type {{ or press {x} to put in a "
                    "variable.", multiline=True),
        "play": text("Audio URL", "An audio file to play as the prompt instead."),
        "voice": voice("Who reads the question aloud. Twilio's default is a man's voice in the language below."),
        "language": language(description="The language of the question.", default="en-US"),
        "loop": advanced(integer("Loops", "How many times to repeat the prompt.", default=1, minimum=1, maximum=99)),
        "timeout": integer("Stop gathering after", "Seconds to wait for input.", default=5,
                           minimum=0, maximum=30, unit="seconds"),
        "finish_on_key": text("Finish on key", "The key that ends the input; empty for none.",
                              liquid=False, default="#", pattern=r"^[0-9#*]?$", advanced=True,
                              **{"x-message": "must be one key (0-9, # or *) or empty"}),
        "number_of_digits": integer("Stop after digits", "Continue as soon as this many keys are pressed.",
                                    minimum=1),
        "stop_gather": advanced(boolean("Stop gather on keypress or speech", "Stop the prompt as soon as the "
                                        "caller starts answering.", default=True)),
        "gather_language": language("Language the caller speaks", "For understanding what the caller says.",
                                    default="en-US", advanced=True),
        "hints": text("Hints", "Comma-separated words or phrases you expect, to help recognition.", advanced=True),
        "speech_timeout": advanced(SPEECH_TIMEOUT),
        "speech_model": text("Speech model", "Recognition model, e.g. default, numbers_and_commands, "
                             "phone_call.", liquid=False, examples=["default", "numbers_and_commands", "phone_call"],
                             advanced=True),
        "profanity_filter": advanced(boolean("Profanity filter", "Mask profanities in the speech result.",
                                             default="true")),
    }),
    events=(
        Event("keypress", "User Pressed Keys", "The caller pressed keys: widgets.<name>.Digits."),
        Event("speech", "User Said Something", "The caller spoke: widgets.<name>.SpeechResult."),
        Event("timeout", "Timeout", "No input before the timeout."),
    ),
    waits=True,
    outputs=("Digits", "SpeechResult", "Confidence", "FinishedOnKey", "CallStatus"),
    example={"name": "menu", "type": "gather-input-on-call",
             "properties": {"say": "Press 1 for sales or 2 for support.", "number_of_digits": 1,
                            "timeout": 5, "speech_timeout": "auto", "profanity_filter": "true"},
             "transitions": {"keypress": "route", "speech": "route", "timeout": "menu"}},
)
