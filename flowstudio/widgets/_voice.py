"""Helpers shared by the voice widgets' behaviours (not a widget: the registry skips `_` modules)."""
from ..engine import effects as fx


def prompt_effects(run) -> tuple:
    """The `<Say>` or `<Play>` a widget's say/play/digits properties ask for (none if empty)."""
    loop = run.number("loop", 1)
    say = run.text("say")
    if say:
        return (fx.Say(run.name, text=say, voice=run.text("voice"), language=run.text("language"), loop=loop),)
    play = run.text("play")
    if play:
        return (fx.Play(run.name, url=play, loop=loop),)
    digits = run.text("digits")
    if digits:
        return (fx.Play(run.name, digits=digits),)
    return ()


def raw_text(run, prop: str, default: str) -> str:
    """A property where an empty string means "none" (finish_on_key), not "use the default"."""
    value = run.properties.get(prop)
    return default if value is None else run.render(value)
