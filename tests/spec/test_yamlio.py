"""Safe YAML reading: types, duplicate keys, limits, locations; canonical writing."""
import time

import pytest

from flowstudio.spec.issues import FlowLoadError
from flowstudio.spec.yamlio import MAX_FILE_BYTES, dump_yaml, load_yaml


def load_error(text, file="f.yaml"):
    with pytest.raises(FlowLoadError) as info:
        load_yaml(text, file)
    (issue,) = info.value.issues
    return issue


def test_sms_keywords_stay_strings_and_numbers_keep_their_text():
    doc = load_yaml("a: yes\nb: no\nc: on\nd: off\ne: Y\nf: true\ng: 007\nh: 1.50\n")
    assert doc.data == {"a": "yes", "b": "no", "c": "on", "d": "off", "e": "Y", "f": True, "g": 7, "h": 1.5}
    assert doc.raw_scalars[("g",)] == "007"
    assert doc.raw_scalars[("h",)] == "1.50"


def test_locations_point_at_keys_and_items():
    doc = load_yaml("a:\n  b:\n    - x\n    - y: 1\n")
    assert doc.locations[("a",)] == (1, 1)
    assert doc.locations[("a", "b")] == (2, 3)
    assert doc.locations[("a", "b", 1)] == (4, 7)
    assert doc.line_of(("a", "b", 1, "y", "missing")) == 4


def test_duplicate_key_is_an_error_naming_both_lines():
    issue = load_error("name: a\nwidgets: []\nname: b\n")
    assert issue.format() == "f.yaml:3:1: duplicate key 'name' (first defined on line 1)"


def test_duplicate_key_in_nested_mapping():
    issue = load_error("w:\n  - properties:\n      body: x\n      body: y\n")
    assert (issue.code, issue.line) == ("duplicate_key", 4)


def test_syntax_error_has_line_and_column():
    issue = load_error("a: [1, 2\nb: 3\n")
    assert issue.code == "yaml_syntax"
    assert issue.file == "f.yaml" and issue.line == 2 and issue.column is not None
    assert issue.message.startswith("YAML syntax error:")


@pytest.mark.parametrize("text, code, message", [
    ("", "empty", "file is empty"),
    ("- a\n- b\n", "not_mapping", "a flow file must be a mapping of keys, found a list"),
    ("just text\n", "not_mapping", "a flow file must be a mapping of keys, found a single value"),
    ("a: !!python/object:os.system x\n", "unsupported_tag", "unsupported YAML tag"),
    # Tags on lists and mappings were silently dropped: the data loaded as if untagged.
    ("a: !!python/object:os.system {b: 1}\n", "unsupported_tag", "unsupported YAML tag !!python/object:os.system"),
    ("a: !!python/object/apply:os.system [ls]\n", "unsupported_tag", "unsupported YAML tag !!python/object/apply"),
    ("a: !!set {x, y}\n", "unsupported_tag", "unsupported YAML tag !!set"),
    ("a: !!omap [b: 1]\n", "unsupported_tag", "unsupported YAML tag !!omap"),
    ("a: !mine {b: 1}\n", "unsupported_tag", "unsupported YAML tag !mine"),
    ("a: !!binary aGk=\n", "unsupported_tag", "unsupported YAML tag !!binary"),
    ('a: "+1555\\0999"\n', "nul_character", "a NUL character"),   # stored as is on SQLite, a 500 on PostgreSQL
    ('"k\\0": 1\n', "nul_character", "a NUL character"),
    ("a: &x\n  b: *x\n", "recursive_alias", "an alias refers to itself"),
    ("? [a, b]\n: c\n", "bad_key", "mapping keys must be plain values"),
])
def test_refused_documents(text, code, message):
    issue = load_error(text)
    assert issue.code == code
    assert issue.message.startswith(message)


def test_alias_bomb_is_refused_quickly():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    started = time.perf_counter()
    issue = load_error("\n".join(lines) + "\n")
    assert issue.code == "alias_bomb"
    # 10**9 nodes if expanded; refused after a bounded amount of work.
    assert time.perf_counter() - started < 5


def test_modest_aliases_are_fine():
    doc = load_yaml("base: &b {x: 1}\nother: *b\n")
    assert doc.data == {"base": {"x": 1}, "other": {"x": 1}}


def test_too_large_is_refused_before_parsing():
    issue = load_error(b"a: " + b"x" * (MAX_FILE_BYTES + 1))
    assert issue.code == "too_large"


def test_not_utf8():
    assert load_error(b"a: \xff\xfe\n").code == "encoding"


TRICKY = ["yes", "no", "on", "off", "Yes", "NO", "y", "n", "007", "1e5", "0o17", "0x1F", "1_000", "true",
          "null", "~", "", " lead", "trail ", "a: b", "#x", "- x", "{x}", "[x]", "12:30", "2024-01-01", ".inf",
          "multi\nline\n", "multi\nline", "tab\there", "quote's \"both\"", "émoji 🎉", "%percent", "@at", "`tick`",
          "line\n\n\nwith blank lines\n", "  indented\nfirst line\n"]


@pytest.mark.parametrize("value", TRICKY)
def test_dump_then_load_keeps_every_string(value):
    data = {"v": value, "in_list": [value], "nested": {"k": value}}
    assert load_yaml(dump_yaml(data)).data == data


def test_dump_keeps_other_types():
    data = {"i": 3600, "f": 1.5, "t": True, "f2": False, "n": None, "big": 10**20, "neg": -3}
    assert load_yaml(dump_yaml(data)).data == data


def test_dump_style_is_block_with_indented_lists_and_literal_multiline():
    text = dump_yaml({"widgets": [{"name": "a", "body": "line 1\nline 2"}], "k": "yes"})
    assert text == "widgets:\n  - name: a\n    body: |-\n      line 1\n      line 2\nk: 'yes'\n"


@pytest.mark.parametrize("text", [
    "widgets: " + "[" * 100_000 + "]" * 100_000,        # crashed the process (SIGSEGV) in libyaml's composer
    "widgets: " + "[" * 40_000 + "]" * 40_000,          # about 80 KB
    "widgets: " + "{a: " * 30_000 + "1" + "}" * 30_000,
    "widgets:\n" + " ".join(["-"] * 30_000) + " x\n",   # block sequences nest two characters a level
    "a: " + "[" * 70 + "]" * 70,                         # within what libyaml survives, beyond what flows need
], ids=["flow-100k", "flow-40k", "mapping-30k", "block-30k", "flow-70"])
def test_deep_nesting_is_refused_with_its_line(text):
    issue = load_error(text)
    assert issue.code == "too_deep"
    assert issue.message.startswith("nesting deeper than 64 levels")
    assert issue.file == "f.yaml" and issue.line is not None and issue.column is not None


def test_nesting_a_flow_needs_loads_in_a_big_file():
    # Many brackets and long lines (which make the cheap bound look deep) but no real depth.
    text = "ui:\n" + "".join(f"  w{i}: {{x: {i}, y: [{i}, [{i}]]}}\n" for i in range(3000)) + "body: " + "x" * 5000 + "\n"
    doc = load_yaml(text, "f.yaml")
    assert doc.data["ui"]["w2999"] == {"x": 2999, "y": [2999, [2999]]}
