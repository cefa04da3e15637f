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


def test_what_the_fallback_writes_is_read_back():
    """Before: the standard library writes NaN, Infinity and a lone surrogate's escape,
    which orjson refuses to read: a campaign row or an execution holding one (with a
    number beyond 64 bits, which sends it to the fallback) could never be read again,
    failing the campaign runner's every round and the executions list."""
    for value in ({"n": 2**70, "x": float("inf")}, {"n": 2**70, "x": float("-inf")},
                  {"n": 2**70, "x": "a\ud800b"}, {"n": 2**70, "\udc80": 1}):
        back = jsontext.loads(jsontext.dumps(value))
        assert back == value
    back = jsontext.loads(jsontext.dumps({"n": 2**70, "x": float("nan")}))
    assert back["n"] == 2**70 and back["x"] != back["x"]   # NaN
