"""What a widget's behaviour receives and returns.

A widget module's `enter(run)` is called when the flow reaches it, and for widgets that
wait, `resume(run, event)` when the awaited event arrives. Both return an `Outcome`:
take a transition now (`event`, for a split also `match`), `wait` for something, run
a `subflow`, or end the execution as `failed`,
with `effects` to perform, `outputs` to store under `widgets.<name>` and `variables`
to set, or a new `channel` for the execution. Behaviours read their properties through `WidgetRun`, which renders Liquid
with the execution's context and turns bad values into `WidgetError`.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import NamedTuple

from .liquid import Templates, TemplateError


class WidgetError(Exception):
    """A widget could not do its job because of the flow (bad template or value); the
    execution follows the widget's failure transition, or ends."""


class Wait(NamedTuple):
    """Wait for `kind` (see state.WAIT_*), for at most `timeout` seconds when given."""

    kind: str
    timeout: int | None = None


class Outcome(NamedTuple):
    """The result of entering or resuming a widget (see module docstring). Immutable;
    a named tuple rather than a frozen dataclass, which takes three times as long to
    make (every widget run makes one)."""

    event: str | None = None
    match: int | None = None
    outputs: dict | None = None
    effects: tuple = ()
    wait: Wait | None = None
    variables: dict | None = None
    subflow: tuple[str, dict] | None = None
    failed: str | None = None
    notes: tuple[str, ...] = ()
    # (channel, address, sid): the execution moves to a new channel (Start Conversation)
    channel: tuple[str, str, str] | None = None


_WHOLE = re.compile(r"^\s*-?\d+\s*$")


class WidgetRun:
    """One widget being run: the widget, its frame's context, the clock and the
    execution state (read-only for behaviours: contact, flow address)."""

    def __init__(self, widget, context: dict, now: datetime, templates: Templates, state):
        self.widget = widget
        self.name = widget.name
        self.properties = widget.properties
        self.context = context
        self.now = now
        self.state = state
        self._templates = templates

    def render(self, source) -> str:
        """Render a template with this execution's context."""
        try:
            return self._templates.render(source, self.context, self.now)
        except TemplateError as exc:
            raise WidgetError(f"template error: {exc}") from None

    def text(self, prop: str, default: str = "") -> str:
        """A property rendered as text (its default when absent or empty)."""
        value = self.properties.get(prop)
        if value is None or value == "":
            value = default
        return self.render(value)

    def number(self, prop: str, default: int | None) -> int | None:
        """A whole-number property (numbers may be written as strings, or as Liquid)."""
        value = self.properties.get(prop)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise WidgetError(f"{prop} must be a whole number, not {value}")
        if isinstance(value, int):
            return value
        text = self.render(value)
        if not _WHOLE.match(text):
            raise WidgetError(f"{prop} must be a whole number, got {text!r}")
        return int(text)

    def flag(self, prop: str, default: bool) -> bool:
        """A true/false property (Studio writes some as "true"/"false")."""
        value = self.properties.get(prop)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return self.render(value).strip().lower() == "true"

    def pairs(self, prop: str) -> tuple[tuple[str, str], ...]:
        """A `[{key, value}]` property with each value rendered."""
        items = self.properties.get(prop) or []
        return tuple((str(i.get("key", "")), self.render(i.get("value", ""))) for i in items
                     if isinstance(i, dict) and i.get("key"))
