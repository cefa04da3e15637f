"""The quick schema check never passes a value jsonschema refuses (and, on the flow
schemas, passes what jsonschema passes, so it saves the slow check)."""
import copy
import random

import pytest

from flowstudio.spec.quickcheck import compile_check
from flowstudio.spec.schema import ENVELOPE, FlowValidator
from flowstudio.widgets import registry

# Values of every kind, numbers written as strings, and the strings the schemas name.
VALUES = ["", "x", "12", " 7 ", "-3", "1e3", "99999999", "0", 0, 1, -1, 5.0, 2.5, 10**9, True, False, None,
          [], {}, ["a"], {"a": 1}, "{{flow.data.x}}", "FW" + "a" * 32, 3600, "3600", "86400"]


def _named(schema, out):
    if isinstance(schema, dict):
        for key, sub in schema.items():
            if key == "enum":
                out.extend(sub)
            elif key == "const":
                out.append(sub)
            else:
                _named(sub, out)
    elif isinstance(schema, list):
        for sub in schema:
            _named(sub, out)
    return out


def _variants(schema, rng, n=300):
    """Values built from the schema's own property names with values of every kind."""
    pool = VALUES + _named(schema, [])
    keys = list(schema.get("properties", {})) + ["unknown"]
    for _ in range(n):
        value = {}
        for key in rng.sample(keys, rng.randint(0, len(keys))):
            value[key] = rng.choice(pool)
            if isinstance(value[key], (list, dict)):
                value[key] = copy.deepcopy(value[key])
        yield value if rng.random() < 0.95 else rng.choice(pool)


SCHEMAS = [(f"{w.type} {part}", schema) for w in registry.all_widgets().values()
           for part, schema in (("properties", w.properties), ("conditions", w.condition_schema)) if schema]
SCHEMAS.append(("envelope", ENVELOPE))


@pytest.mark.parametrize("name, schema", SCHEMAS, ids=[name for name, _ in SCHEMAS])
def test_quick_check_agrees_with_jsonschema(name, schema):
    check = compile_check(schema)
    assert check is not None, f"{name}: every flow schema gets a quick check"
    validator = FlowValidator(schema)
    rng = random.Random(name)
    for value in _variants(schema, rng):
        valid = next(validator.iter_errors(value), None) is None
        assert check(value) == valid, (value, [e.message for e in validator.iter_errors(value)])


def test_numbers_written_as_strings_are_checked_against_ranges():
    check = compile_check({"type": ["integer", "string"], "minimum": 1, "maximum": 10})
    assert check(5) and check("5") and check(" 10 ") and check("{{x}}")
    assert not check(0) and not check("11") and not check(True)


def test_enum_tells_1_from_true_and_the_string_from_the_number():
    check = compile_check({"enum": [1, "a"]})
    assert check(1) and check("a")
    assert not check(True) and not check("1") and not check(1.5)


def test_a_schema_with_an_unknown_keyword_has_no_quick_check():
    assert compile_check({"type": "object", "patternProperties": {"^x": {"type": "string"}}}) is None
    assert compile_check({"type": "string", "format": "email"}) is None
    # `not` and `if` need an exact inner check: enum of numbers is not (1 == 1.0 in jsonschema).
    assert compile_check({"not": {"enum": [1]}}) is None
