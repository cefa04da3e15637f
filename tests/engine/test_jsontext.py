"""Fast JSON text that never refuses what the engine stores."""
import json

from flowstudio.engine import jsontext


def test_round_trips_plain_data_compactly():
    value = {"a": [1, 2.5, True, None, "é"], "b": {"c": "d"}}
    assert jsontext.dumps(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    assert jsontext.loads(jsontext.dumps(value)) == value


def test_values_orjson_refuses_fall_back_to_the_standard_library():
    big = {"n": 2**70, 1: "int key"}
    assert jsontext.loads(jsontext.dumps(big)) == {"n": 2**70, "1": "int key"}


def test_unknown_types_are_written_as_text():
    assert jsontext.dumps({"x": {1, 2}.__class__}) == '{"x":"<class \'set\'>"}'


def test_keys_that_are_not_strings_are_written_as_strings():
    assert jsontext.dumps({1: "a", "b": {2.5: True}}) == '{"1":"a","b":{"2.5":true}}'
