"""JSON Schemas of the flow file.

The validator uses two passes and never one giant `oneOf` (whose errors say nothing
useful): `ENVELOPE` checks the file's shape, then each widget's properties are checked
against that widget's own schema from the catalog. `combined_schema()` joins them with
`if/then` per type for YAML editors (`# yaml-language-server: $schema=...`).
"""
from __future__ import annotations

import operator
import re
from functools import lru_cache

from ..widgets import registry
from .migrations import CURRENT_VERSION

DRAFT = "https://json-schema.org/draft/2020-12/schema"

WIDGET_ENVELOPE = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "title": "Widget name",
                 "description": "Unique; starts with a letter; letters, digits, _ and -."},
        "type": {"type": "string", "title": "Widget type"},
        "properties": {"type": "object"},
        "transitions": {"type": ["object", "array"]},
    },
    "required": ["name", "type"],
    "additionalProperties": False,
}

ENVELOPE = {
    "$schema": DRAFT,
    "title": "FlowStudio flow",
    "type": "object",
    "properties": {
        "spec_version": {"type": "integer", "minimum": 1, "maximum": CURRENT_VERSION},
        "name": {"type": "string", "minLength": 1},
        "sid": {"type": "string", "title": "Studio flow SID", "pattern": "^FW[0-9a-fA-F]{32}$",
                "description": "The flow's Twilio Studio SID, when it came from Studio; Run Subflow "
                               "widgets of other flows may name this flow by it.",
                "x-message": "must be a Studio flow SID: FW followed by 32 hexadecimal digits"},
        "description": {"type": "string"},
        "flags": {"type": "object"},
        "widgets": {"type": "array", "items": WIDGET_ENVELOPE},
        "ui": {"type": "object", "additionalProperties": {"type": "object"}},
    },
    "required": ["spec_version", "name", "widgets"],
    "additionalProperties": False,
}


WHOLE_NUMBER = re.compile(r"^\s*-?[0-9]+\s*$")


def _range(compare, word: str):
    """A `minimum`/`maximum` keyword that also checks whole numbers written as strings
    (`loop: "100"`), which Studio exports and our schemas accept."""
    def keyword(validator, bound, instance, schema):
        from jsonschema import ValidationError

        if isinstance(instance, str) and WHOLE_NUMBER.match(instance):
            instance = int(instance)
        elif not validator.is_type(instance, "number"):
            return
        if not compare(instance, bound):
            yield ValidationError(f"{instance!r} is {word} the {'minimum' if word == 'less than' else 'maximum'} "
                                  f"of {bound!r}")
    return keyword


@lru_cache(maxsize=None)
def flow_validator_class():
    """The validator class for flow schemas: JSON Schema 2020-12, with ranges that also
    check numeric strings. Made on first use: jsonschema takes a noticeable part of
    `flowstudio validate`'s start-up, and a valid flow never needs it (quickcheck.py)."""
    from jsonschema import Draft202012Validator, validators

    return validators.extend(Draft202012Validator, {
        "minimum": _range(operator.ge, "less than"),
        "maximum": _range(operator.le, "greater than"),
    })


def __getattr__(name: str):
    # `FlowValidator`, the class above, for code that names it (made on first use).
    if name == "FlowValidator":
        return flow_validator_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def combined_schema() -> dict:
    """One schema for editors: the envelope plus, per known widget type, its properties
    schema (and for split-based-on, its conditions)."""
    branches = []
    for widget in registry.all_widgets().values():
        then: dict = {"properties": {"properties": widget.properties}}
        if widget.condition_schema is not None:
            then["properties"]["transitions"] = {
                "type": "object",
                "properties": {"match": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"next": {"type": ["string", "null"]},
                                   "conditions": {"type": "array", "items": widget.condition_schema}},
                }}},
            }
        branches.append({"if": {"properties": {"type": {"const": widget.type}}, "required": ["type"]},
                         "then": then})
    widget_schema = dict(WIDGET_ENVELOPE)
    widget_schema["properties"] = dict(WIDGET_ENVELOPE["properties"])
    widget_schema["properties"]["type"] = {
        "type": "string", "title": "Widget type",
        "anyOf": [{"enum": sorted(registry.all_widgets())}, {"type": "string"}],
    }
    widget_schema["allOf"] = branches
    out = dict(ENVELOPE)
    out["$id"] = "https://flowstudio.dev/schema/flow.json"
    out["properties"] = dict(ENVELOPE["properties"])
    out["properties"]["widgets"] = {"type": "array", "items": widget_schema}
    return out
