"""Nesting and NUL characters measured without recursion (flowstudio/spec/depth.py)."""
import json

from flowstudio.spec.depth import dotted, nul_path, too_deep


def test_the_first_path_too_deep_is_given():
    data = {"widgets": [{"properties": {"x": json.loads("[" * 70 + "]" * 70)}}]}
    path = too_deep(data, 64)
    assert path[:4] == ("widgets", 0, "properties", "x") and len(path) == 64
    assert too_deep(data, 80) is None
    assert too_deep("text") is None and too_deep({}) is None


def test_a_hundred_thousand_levels_do_not_recurse():
    deep = []
    for _ in range(100_000):
        deep = [deep]
    assert len(too_deep(deep, 64)) == 64


def test_nul_in_values_and_keys():
    assert nul_path({"a": [{"b": "x\x00"}]}) == ("a", 0, "b")
    assert nul_path({"k\x00": 1}) == ("k\x00",)
    assert nul_path({"a": ["clean", {"b": 1}]}) is None


def test_dotted_paths_read_like_code():
    assert dotted(("widgets", 3, "properties", "body")) == "widgets[3].properties.body"
    assert dotted(()) == ""
