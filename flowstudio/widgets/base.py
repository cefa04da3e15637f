"""What every widget module declares, and small helpers to write property schemas.

A widget module holds one `WIDGET = WidgetType(...)`: its Studio type name, the title
and category shown in the palette, the channels it works on, a JSON Schema of its
properties (defaults and `x-ui` hints for the editor's form) and its transition events
with Studio's labels. The validator, the catalog API and the editor all read this one
declaration, so nothing about a widget is written twice.

Studio exports sometimes hold numbers and booleans as strings (`timeout: "3600"`,
`profanity_filter: "true"`); the helpers below accept both so imported flows keep their
exact values and still validate.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

SMS = "sms"
VOICE = "voice"

# Palette categories, in Studio's order.
MESSAGING = "Messaging"
VOICE_CATEGORY = "Voice"
FLOW_CONTROL = "Flow Control"
TOOLS = "Tools & Execute Code"
TRIGGER = "Trigger"


@dataclass(frozen=True)
class Event:
    """A transition event: Studio's `name` (e.g. `incomingMessage`) and the label the
    canvas shows on its output handle (e.g. "Reply")."""

    name: str
    label: str
    description: str = ""


@dataclass(frozen=True)
class WidgetType:
    """The declaration of one widget type (see module docstring).

    `waits` is True when the widget hands control back to the outside world and only
    continues on a later event (a reply, a key press, a callback): a loop through such a
    widget cannot spin. `starts_call` marks widgets whose success leads into a voice
    call even when the flow started from a message (make-outgoing-call-v2).
    `without_call` names the event a voice widget follows when an execution without a
    call reaches it (add-twiml-redirect: Studio redirects messages too, FlowStudio only
    calls); the validator then warns instead of refusing the flow.
    `condition_schema`, for split-based-on only, is the schema of one condition on a
    `match` transition.
    `outputs` lists the variables the widget exposes to later widgets, as paths under
    `widgets.<name>` (e.g. `inbound.Body`): the editor suggests them in Liquid fields
    of the widgets that run after this one. Only the paths the engine really stores are
    listed (a test runs widgets and checks); dynamic ones (a subflow's variables, the
    fields of a parsed JSON answer) are not, beyond their fixed prefix.
    """

    type: str
    title: str
    category: str
    channels: tuple[str, ...]
    description: str
    properties: dict
    events: tuple[Event, ...]
    waits: bool = False
    starts_call: tuple[str, ...] = ()
    without_call: str | None = None
    condition_schema: dict | None = None
    outputs: tuple[str, ...] = ()
    supported: bool = True
    example: dict = field(default_factory=dict)
    # Behaviour (see flowstudio/engine/api.py): enter(run) -> Outcome, and for widgets
    # that wait, resume(run, event) -> Outcome.
    enter: Callable | None = field(default=None, compare=False, repr=False)
    resume: Callable | None = field(default=None, compare=False, repr=False)

    @property
    def failure_event(self) -> str | None:
        """The event a widget follows when it fails (Studio names it `failed`, `fail`...)."""
        return next((e for e in ("failed", "fail", "failedToEnqueue") if e in self.event_names), None)

    @property
    def event_names(self) -> tuple[str, ...]:
        """The names of this widget's transition events, in Studio's order."""
        return tuple(e.name for e in self.events)

    @property
    def voice_only(self) -> bool:
        """True when the widget only makes sense during a call."""
        return self.channels == (VOICE,)

    def template_fields(self) -> list[str]:
        """Top-level property names whose values are Liquid templates."""
        return [name for name, sub in self.properties.get("properties", {}).items()
                if sub.get("x-ui", {}).get("liquid")]

    def defaults(self) -> dict:
        """The default value of every property that has one (for new widgets)."""
        return {name: sub["default"] for name, sub in self.properties.get("properties", {}).items()
                if "default" in sub}

    def to_dict(self) -> dict:
        """The JSON-ready catalog entry served to the editor."""
        out = {
            "type": self.type,
            "title": self.title,
            "category": self.category,
            "channels": list(self.channels),
            "description": self.description,
            "supported": self.supported,
            "waits": self.waits,
            "properties": self.properties,
            "events": [{"name": e.name, "label": e.label, "description": e.description} for e in self.events],
            "outputs": list(self.outputs),
        }
        if self.condition_schema is not None:
            out["condition_schema"] = self.condition_schema
        if self.example:
            out["example"] = self.example
        return out


# ---------------------------------------------------------------- schema helpers


def obj(properties: dict, required: tuple[str, ...] = (), **extra) -> dict:
    """An object schema. Unknown properties are allowed: Studio adds fields over time
    and imported flows must keep them."""
    schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    return schema


def text(title: str, description: str = "", *, liquid: bool = True, multiline: bool = False,
         default: str | None = None, min_length: int | None = None, advanced: bool = False,
         offers: dict | None = None, other: str = "", **extra) -> dict:
    """A string property; `liquid` marks it as a template (checked and suggested);
    `advanced`, a setting most flows leave alone (the editor folds it under "More settings");
    `offers`, values the editor lists in words ({value: words}), `other` naming the choice
    of typing any other value (still allowed: the list is not all Twilio knows)."""
    ui: dict = {}
    if liquid:
        ui["liquid"] = True
    if advanced:
        ui["advanced"] = True
    if offers:
        ui["offers"] = dict(offers)
        ui["other"] = other or "Another value"
    if multiline:
        ui["widget"] = "textarea"
    schema: dict = {"type": "string", "title": title}
    if description:
        schema["description"] = description
    if default is not None:
        schema["default"] = default
    if min_length is not None:
        schema["minLength"] = min_length
    if ui:
        schema["x-ui"] = ui
    schema.update(extra)
    return schema


def advanced(schema: dict) -> dict:
    """`schema` marked as a setting most flows leave alone: the editor folds it under "More
    settings" (any kind of property; `text` also takes `advanced=True`)."""
    return {**schema, "x-ui": {**schema.get("x-ui", {}), "advanced": True}}


def integer(title: str, description: str = "", *, default: int | None = None,
            minimum: int | None = None, maximum: int | None = None, unit: str = "") -> dict:
    """A whole number, also accepted as a numeric string (as Studio exports it)."""
    schema: dict = {"type": ["integer", "string"], "title": title, "pattern": r"^\s*-?[0-9]+\s*$",
                    "x-message": "must be a whole number" + (f" of {unit}" if unit else "")}
    if description:
        schema["description"] = description
    if default is not None:
        schema["default"] = default
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    if unit:
        schema["x-ui"] = {"unit": unit}  # shown beside the editor's input ("seconds")
    return schema


def boolean(title: str, description: str = "", *, default: bool | None = None) -> dict:
    """A yes/no switch, also accepted as "true"/"false" strings (as Studio exports it)."""
    schema: dict = {"type": ["boolean", "string"], "title": title, "enum": [True, False, "true", "false"],
                    "x-message": "must be true or false"}
    if description:
        schema["description"] = description
    if default is not None:
        schema["default"] = default
    return schema


def choice(title: str, options: list, description: str = "", *, default=None, labels: dict | None = None,
           older: tuple = ()) -> dict:
    """One of a fixed list of values (a drop-down in the editor). `older` values are
    valid (older Studio spellings that real flows have) but offered only to a widget
    that has one: a new choice is always Studio's current value."""
    schema: dict = {"type": "string", "title": title, "enum": list(options) + list(older)}
    if description:
        schema["description"] = description
    if default is not None:
        schema["default"] = default
    ui = {**({"labels": labels} if labels else {}), **({"older": list(older)} if older else {})}
    if ui:
        schema["x-ui"] = ui
    return schema


def key_values(title: str, description: str = "", *, advanced: bool = False) -> dict:
    """A list of `{key, value}` pairs whose values are Liquid (set-variables, HTTP parameters)."""
    item = obj({"key": text("Key", liquid=False, min_length=1), "value": text("Value")}, required=("key",))
    schema: dict = {"type": "array", "title": title, "items": item,
                    "x-ui": {"widget": "keyvalue", **({"advanced": True} if advanced else {})}}
    if description:
        schema["description"] = description
    return schema
