"""Turning jsonschema errors into short messages a flow author understands.

jsonschema's own messages quote Python reprs ("'abc' is not of type 'integer'"); ours
say what the field must be ("must be a whole number of seconds"), with the schema's
`x-message` when it has one.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable, Iterator

from .quickcheck import compile_check
from .schema import flow_validator_class

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

_TYPE_WORDS = {
    "string": "a string", "integer": "a whole number", "number": "a number", "boolean": "true or false",
    "array": "a list", "object": "a mapping of keys", "null": "empty",
}
_REQUIRED = re.compile(r"^'(?P<name>.+)' is a required property$")
# Keywords whose failure the schema's `x-message` explains better than we can.
_X_MESSAGE_KEYWORDS = {"type", "pattern", "enum"}


def describe(err: ValidationError) -> str:
    """A one-line message for one schema error (the location is reported separately)."""
    keyword, expected, schema = err.validator, err.validator_value, err.schema
    if keyword in _X_MESSAGE_KEYWORDS and isinstance(schema, dict) and "x-message" in schema:
        return schema["x-message"]
    if keyword == "required":
        match = _REQUIRED.match(err.message)
        return f"{match['name'] if match else err.message} is required"
    if keyword == "type":
        types = expected if isinstance(expected, list) else [expected]
        return "must be " + " or ".join(_TYPE_WORDS.get(t, t) for t in types)
    if keyword == "enum":
        return "must be one of: " + ", ".join(str(v) for v in expected)
    if keyword == "const":
        return f"must be {expected}"
    if keyword == "minimum":
        return f"must be at least {expected}"
    if keyword == "maximum":
        return f"must be at most {expected}"
    if keyword == "minLength":
        return "must not be empty" if expected == 1 else f"must be at least {expected} characters"
    if keyword == "maxLength":
        return f"must be at most {expected} characters"
    if keyword == "minItems":
        return "must not be empty" if expected == 1 else f"must have at least {expected} items"
    if keyword == "pattern":
        return f"must match the pattern {expected}"
    if keyword == "additionalProperties":
        return f"unknown key (expected one of: {', '.join(schema.get('properties', {}))})"
    return err.message


def _never(instance) -> bool:
    return False


class SchemaCheck:
    """A flow schema, checked first by its compiled quick check (quickcheck.py) and by
    jsonschema (a FlowValidator, made on first need) only for a value that check does
    not pass, for the located, worded errors."""

    def __init__(self, schema: dict):
        self.schema = schema
        self.quick: Callable[[object], bool] = compile_check(schema) or _never
        self._validator = None

    @property
    def validator(self):
        """The jsonschema validator of the schema."""
        if self._validator is None:
            self._validator = flow_validator_class()(self.schema)
        return self._validator


def located_errors(check: SchemaCheck, instance) -> Iterator[tuple[tuple, str]]:
    """Every schema problem of `instance` as (path, message), once each: an unknown key
    is reported at its own path, and a value of the wrong type gets only its type
    message (not also "must be one of ..." for the same value)."""
    if check.quick(instance):
        return
    errors = list(check.validator.iter_errors(instance))
    wrong_type = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    seen: set[tuple[tuple, str]] = set()
    for err in errors:
        path = tuple(err.absolute_path)
        if err.validator != "type" and path in wrong_type:
            continue
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            found = [(path + (k,), describe(err)) for k in err.instance if k not in err.schema.get("properties", {})]
        else:
            found = [(path, describe(err))]
        for item in found:
            if item not in seen:
                seen.add(item)
                yield item
