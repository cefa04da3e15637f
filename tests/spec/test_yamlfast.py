"""The fast reader (yamlfast.py) gives exactly what the careful reader gives, and leaves
every unusual document to it."""
import math
from pathlib import Path

import pytest

from flowstudio.spec import yamlio
from flowstudio.spec.issues import FlowLoadError

ROOT = Path(__file__).resolve().parents[2]

# Documents the fast reader reads itself.
PLAIN = [
    "a: 1\nb: yes\nc: '1'\nd: 0x1F\ne: 0o17\nf: 1e3\ng: .inf\nh: -.INF\ni: ~\nj: null\nk:\nl: 007\nm: True\n",
    "null: 1\n1.5: x\ntrue: y\n7: z\n'': e\n",
    "a: [1, [2, [3]]]\nb: {c: {d: e}}\nc: {}\nd: []\ne: [{}, []]\n",
    "a:\n  - b: 1\n    c: [x, y]\n  - 2\n  - - 3\n    - 4\nz: |\n  multi\n  line\n",
    "a: " + "[" * 63 + "1" + "]" * 63 + "\n",
    "a: " + "{b: " * 63 + "{}" + "}" * 63 + "\n",
    "%YAML 1.1\n---\na: 12:30\nb: 2001-01-01\n...\n",
]
# Documents it leaves to the careful reader (which reads or refuses them).
UNUSUAL = [
    "a: &x 1\nb: *x\n", "a: !!str 5\n", "a: !foo 5\n", "a: ! 5\n", "!!map {a: 1}\n", "&r a: 1\n",
    'a: "\\0"\n', '"\\0": 1\n', "a: 1\na: 2\n", "? [x]\n: 1\n", "- 1\n", "x\n", "", "---\na: 1\n---\nb: 2\n",
    "a: b: c\n", "a: [\n", "a: " + "[" * 64 + "1" + "]" * 64 + "\n", "a: " + "[" * 70 + "]" * 70 + "\n",
    "a: " + "{b: " * 64 + "1" + "}" * 64 + "\n", "a: [1]\nb: &c [2]\nd: *c\n",
]


def careful(text):
    try:
        doc = yamlio._load_careful(text, "f.yaml")
    except FlowLoadError as exc:
        return ("refused", [i.to_dict() for i in exc.issues])
    return ("read", _typed(doc.data), doc.locations, doc.raw_scalars)


def loaded(text):
    try:
        doc = yamlio.load_yaml(text, "f.yaml")
    except FlowLoadError as exc:
        return ("refused", [i.to_dict() for i in exc.issues])
    return ("read", _typed(doc.data), doc.locations, doc.raw_scalars)


def _typed(value):
    """The value with every scalar's type beside it (1 == 1.0 == True in Python)."""
    if isinstance(value, dict):
        return [(_typed(k), _typed(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return ("nan", float)
    return (value, type(value))


@pytest.mark.parametrize("text", PLAIN)
def test_plain_documents_are_read_fast_and_the_same(text):
    assert yamlio._read_plain(text) is not None
    assert loaded(text) == careful(text)


@pytest.mark.parametrize("text", UNUSUAL)
def test_unusual_documents_go_to_the_careful_reader(text):
    assert yamlio._read_plain(text) is None
    assert loaded(text) == careful(text)


def test_every_flow_of_the_project_reads_the_same_both_ways():
    files = [f for pattern in ("tests/**/*.yaml", "flows/**/*.yaml")
             for f in ROOT.glob(pattern)]
    assert len(files) > 10
    fast = 0
    for f in files:
        text = f.read_text(encoding="utf-8")
        fast += yamlio._read_plain(text) is not None
        assert loaded(text) == careful(text), f
    assert fast >= len(files) // 2


def test_a_canonical_flow_file_takes_the_fast_way():
    from flowstudio.spec.flowfile import dump_flow, load_flow_file

    example = next(f for f in sorted(ROOT.glob("flows/*.yaml")) if not f.name.endswith(".test.yaml"))
    text = dump_flow(load_flow_file(example).data)
    assert yamlio._read_plain(text) is not None
    assert loaded(text) == careful(text)


def test_null_and_bool_keys_keep_their_text_and_int_keys_stay_int():
    data = yamlio.load_yaml("null: 1\ntrue: 2\n3: 3\n1.5: 4\n").data
    assert list(data) == ["null", "true", 3, "1.5"]
