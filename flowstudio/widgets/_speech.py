"""The voice and language settings of the voice widgets, offered in plain words: the editor
lists "Joanna: a woman, American English" and stores Twilio's name for it ("Polly.Joanna").
Any other name Twilio knows may still be typed (not a widget: the registry skips `_` modules)."""
from .base import text

# Twilio's <Say> voices (its basic two, and Amazon Polly's standard voices for the languages
# most flows use), each as people would describe it. Not every voice Twilio has: any other
# one ("Polly.Joanna-Neural", "Google.en-GB-Standard-A") may be typed.
VOICES = {
    "woman": "A woman (Twilio's basic voice)",
    "man": "A man (Twilio's basic voice)",
    "Polly.Joanna": "Joanna: a woman, American English",
    "Polly.Salli": "Salli: a woman, American English",
    "Polly.Matthew": "Matthew: a man, American English",
    "Polly.Joey": "Joey: a man, American English",
    "Polly.Amy": "Amy: a woman, British English",
    "Polly.Brian": "Brian: a man, British English",
    "Polly.Nicole": "Nicole: a woman, Australian English",
    "Polly.Russell": "Russell: a man, Australian English",
    "Polly.Raveena": "Raveena: a woman, Indian English",
    "Polly.Lupe": "Lupe: a woman, American Spanish",
    "Polly.Miguel": "Miguel: a man, American Spanish",
    "Polly.Conchita": "Conchita: a woman, Spanish (Spain)",
    "Polly.Celine": "Céline: a woman, French",
    "Polly.Mathieu": "Mathieu: a man, French",
    "Polly.Chantal": "Chantal: a woman, Canadian French",
    "Polly.Marlene": "Marlene: a woman, German",
    "Polly.Hans": "Hans: a man, German",
    "Polly.Carla": "Carla: a woman, Italian",
    "Polly.Giorgio": "Giorgio: a man, Italian",
    "Polly.Camila": "Camila: a woman, Brazilian Portuguese",
    "Polly.Ricardo": "Ricardo: a man, Brazilian Portuguese",
}

LANGUAGES = {
    "en-US": "English (United States)",
    "en-GB": "English (United Kingdom)",
    "en-AU": "English (Australia)",
    "en-IN": "English (India)",
    "es-US": "Spanish (United States)",
    "es-MX": "Spanish (Mexico)",
    "es-ES": "Spanish (Spain)",
    "fr-FR": "French (France)",
    "fr-CA": "French (Canada)",
    "de-DE": "German",
    "it-IT": "Italian",
    "pt-BR": "Portuguese (Brazil)",
    "pt-PT": "Portuguese (Portugal)",
    "nl-NL": "Dutch",
}


def voice(description: str = "Who reads the text aloud. Twilio's default is a man's voice in the language below.",
          **extra) -> dict:
    """The `voice` property: a text-to-speech voice, offered by name and accent."""
    return text("Voice", description, liquid=False, offers=VOICES, other="Another voice (type Twilio's name for it)",
                **extra)


def language(title: str = "Language", description: str = "The language of the text.", **extra) -> dict:
    """A language and region (`en-US`), offered by name."""
    return text(title, description, liquid=False, offers=LANGUAGES, other="Another language (type its code)", **extra)
