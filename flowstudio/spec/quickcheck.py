"""A yes/no check of the flow schemas, compiled once into plain Python closures.

jsonschema's `iter_errors` builds a validator object per keyword and per level (its
`descend`/`evolve`), which is most of what a clean widget costs: checking the
properties of the 2,000 widgets of the benchmark flow took about 165 ms of CPU with it
(on the shared benchmark machine, busy), and about 20 ms with these closures. Nearly every widget is
valid, so `schema_errors.located_errors` asks here first and runs jsonschema (for its
located, worded errors) only on a value this check does not pass.

The check never passes what jsonschema refuses: it knows the keywords the flow schemas
use (with FlowValidator's ranges, which also check whole numbers written as strings);
`enum` and `const` match only a value of the same type; and a schema with any other
keyword gets no quick check at all (`compile_check` returns None), so jsonschema
checks everything as before.
"""
from __future__ import annotations

import re
from numbers import Number
from typing import Callable

from .schema import WHOLE_NUMBER

Check = Callable[[object], bool]

# Keywords that say nothing about validity (descriptions for people and editors).
_ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "default", "examples", "x-ui",
                          "x-message", "x-open", "$comment", "deprecated", "readOnly", "writeOnly"})


class Unsupported(Exception):
    """The schema uses a keyword this check does not know."""


def compile_check(schema) -> Check | None:
    """A function telling whether a value is valid against `schema` (never True for a
    value jsonschema would refuse), or None when the schema uses an unknown keyword."""
    try:
        return _compile(schema)
    except Unsupported:
        return None


# jsonschema's type checker (jsonschema._types), test for test.
def _is_integer(value) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, Number)


_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


def _compile(schema) -> Check:
    if schema is True or schema == {}:
        return lambda v: True
    if not isinstance(schema, dict):
        raise Unsupported
    checks: list[Check] = []
    for keyword, expected in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        make = _KEYWORDS.get(keyword)
        if make is None:
            raise Unsupported
        check = make(expected, schema)
        if check is not None:
            checks.append(check)
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    return _every(checks)


def _every(checks: list) -> Check:
    """A check passing what all `checks` pass, in order, stopping at the first refusal.
    (A loop: `all()` over a generator made a generator per value, and this runs for
    every value of a flow: the quick checks of the 2,000-widget flow's 3,700 widget
    properties and conditions, about 11.3 -> 9.1 ms CPU, best of 15.)"""
    def check(v):
        for one in checks:
            if not one(v):
                return False
        return True
    return check


def _type(expected, schema) -> Check:
    names = expected if isinstance(expected, list) else [expected]
    if any(name not in _TYPES for name in names):
        raise Unsupported
    tests = [_TYPES[name] for name in names]
    if len(tests) == 1:
        return tests[0]
    return lambda v: any(test(v) for test in tests)


def _properties(expected, schema) -> Check:
    subs = [(key, _compile(sub)) for key, sub in expected.items()]

    def check(v):
        if not isinstance(v, dict):
            return True
        for key, sub in subs:
            if key in v and not sub(v[key]):
                return False
        return True
    return check


def _additional(expected, schema) -> Check:
    declared = frozenset(schema.get("properties", ()))
    if "patternProperties" in schema:
        raise Unsupported
    sub = _compile(expected) if expected is not False else None

    def check(v):
        if not isinstance(v, dict):
            return True
        for key in v:
            if key not in declared and (sub is None or not sub(v[key])):
                return False
        return True
    return check


def _required(expected, schema) -> Check:
    names = list(expected)
    return lambda v: not isinstance(v, dict) or all(name in v for name in names)


def _same(expected: list) -> Check:
    if all(isinstance(e, str) for e in expected):
        # jsonschema compares with a string by ==: exactly this.
        strings = frozenset(expected)
        return lambda v: isinstance(v, str) and v in strings
    # Same type and equal: then jsonschema's equality holds too (it tells 1 from True).
    return lambda v: any(type(v) is type(e) and v == e for e in expected)


def _enum(expected, schema) -> Check:
    if not all(isinstance(e, (str, int, float, bool)) or e is None for e in expected):
        raise Unsupported
    return _same(list(expected))


def _const(expected, schema) -> Check:
    if not (isinstance(expected, (str, int, float, bool)) or expected is None):
        raise Unsupported
    return _same([expected])


def _pattern(expected, schema) -> Check:
    search = re.compile(expected).search
    return lambda v: not isinstance(v, str) or search(v) is not None


def _min_length(expected, schema) -> Check:
    return lambda v: not isinstance(v, str) or len(v) >= expected


def _max_length(expected, schema) -> Check:
    return lambda v: not isinstance(v, str) or len(v) <= expected


def _bound(at_least: bool) -> Callable:
    """FlowValidator's `minimum`/`maximum` (schema._range): numbers, and whole numbers
    written as strings."""
    def make(bound, schema) -> Check:
        def check(v):
            if isinstance(v, str):
                if not WHOLE_NUMBER.match(v):
                    return True
                v = int(v)
            elif not _is_number(v):
                return True
            return v >= bound if at_least else v <= bound
        return check
    return make


def _items(expected, schema) -> Check:
    if not isinstance(expected, dict):
        raise Unsupported   # prefixItems-style lists
    sub = _compile(expected)
    return lambda v: not isinstance(v, list) or all(sub(item) for item in v)


def _min_items(expected, schema) -> Check:
    return lambda v: not isinstance(v, list) or len(v) >= expected


def _if(expected, schema) -> Check:
    # Which branch applies must be decided as jsonschema decides it.
    if not _exact(expected):
        raise Unsupported
    test = _compile(expected)
    then = _compile(schema.get("then", True))
    otherwise = _compile(schema.get("else", True))
    return lambda v: then(v) if test(v) else otherwise(v)


def _not(expected, schema) -> Check:
    # `not` turns a "no" into a "yes": only an exact inner check may be turned.
    if not _exact(expected):
        raise Unsupported
    inner = _compile(expected)
    return lambda v: not inner(v)


def _any_of(expected, schema) -> Check:
    subs = [_compile(sub) for sub in expected]
    return lambda v: any(sub(v) for sub in subs)


def _all_of(expected, schema) -> Check:
    subs = [_compile(sub) for sub in expected]
    return lambda v: all(sub(v) for sub in subs)


_KEYWORDS: dict[str, Callable] = {
    "type": _type, "properties": _properties, "additionalProperties": _additional, "required": _required,
    "enum": _enum, "const": _const, "pattern": _pattern, "minLength": _min_length, "maxLength": _max_length,
    "minimum": _bound(True), "maximum": _bound(False), "items": _items, "minItems": _min_items,
    "if": _if, "then": lambda e, s: None, "else": lambda e, s: None, "not": _not, "anyOf": _any_of,
    "allOf": _all_of,
}
# Keywords whose check here is exactly jsonschema's (never a "no" where jsonschema says
# yes), as `if` and `not` need; `enum` and `const` are, when they list strings only.
_EXACT = frozenset({"type", "required", "pattern", "minLength", "maxLength", "minimum", "maximum", "minItems"})


def _exact(schema) -> bool:
    if schema is True:
        return True
    if not isinstance(schema, dict):
        return False
    for keyword, sub in schema.items():
        if keyword in _ANNOTATIONS or keyword in _EXACT:
            continue
        if keyword == "properties":
            exact = all(_exact(s) for s in sub.values())
        elif keyword in ("items", "not"):
            exact = _exact(sub)
        elif keyword in ("anyOf", "allOf"):
            exact = all(_exact(s) for s in sub)
        elif keyword == "enum":
            exact = all(isinstance(e, str) for e in sub)
        elif keyword == "const":
            exact = isinstance(sub, str)
        else:
            exact = False
        if not exact:
            return False
    return True
