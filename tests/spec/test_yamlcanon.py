"""The canonical reader (yamlcanon.py) reads what it accepts exactly as libyaml does
(the careful reader: same data, same types, same source text of typed scalars), never
accepts what libyaml refuses, and takes every file FlowStudio writes."""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from generate import generate_flow  # noqa: E402

from flowstudio.spec import yamlio  # noqa: E402
from flowstudio.spec.flowfile import dump_flow  # noqa: E402
from flowstudio.spec.issues import FlowLoadError  # noqa: E402
from flowstudio.spec.studio import from_studio  # noqa: E402

from .test_studio_corpus import FILES as STUDIO_EXPORTS  # noqa: E402
from .test_yamlfast import PLAIN, UNUSUAL, _typed  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def careful(text):
    """What the careful reader makes of `text`: (typed data, raw texts), or None if it refuses it."""
    try:
        doc = yamlio._load_careful(text, "f.yaml")
    except FlowLoadError:
        return None
    return _typed(doc.data), doc.raw_scalars


def canonical(text):
    read = yamlio._read_canonical(text)
    return None if read is None else (_typed(read[0]), read[2])


def read_alike(text, shown=None) -> bool:
    """Whether the canonical reader took `text`; when it did, it must read what libyaml
    reads (`shown` names the case when not)."""
    got = canonical(text)
    if got is None:
        return False
    assert got == careful(text), text if shown is None else shown
    return True


WRITTEN = [dump_flow(generate_flow(n, seed=seed)) for seed in range(6) for n in (2, 5, 20, 120)]
STUDIO = [dump_flow(from_studio(json.loads(f.read_text(encoding="utf-8")), f.stem)) for f in STUDIO_EXPORTS]


def test_generated_flows_as_written_are_read_canonically_and_the_same():
    for text in WRITTEN:
        assert canonical(text) is not None, text[:200]
        assert canonical(text) == careful(text)


def test_the_studio_exports_as_written_are_read_the_same_or_left_to_libyaml():
    # A plain value with a `#` in it (a URL's fragment, "press #") is left to libyaml.
    accepted = 0
    for text in STUDIO:
        accepted += read_alike(text)
    assert accepted >= len(STUDIO) * 3 // 4


def test_what_it_reads_of_the_project_s_files_is_what_libyaml_reads():
    files = [f for pattern in ("tests/**/*.yaml", "flows/**/*.yaml") for f in sorted(ROOT.glob(pattern))]
    accepted = 0
    for f in files:
        text = f.read_text(encoding="utf-8")
        accepted += read_alike(text, f)
    assert accepted >= 10


@pytest.mark.parametrize("text", PLAIN + UNUSUAL)
def test_small_documents(text):
    read_alike(text)


TRICKY = [" ", "  ", "#", " #x", ": ", ":", "-", "- ", "-5", "'", "''", '"', "{", "}", "[", "]", ", ", "|", "|-", "|+",
          ">", "&a ", "*a", "!", "!!str ", "%", "@", "`", "?", "? ", "\n", "\n\n", "\n  ", "\n    x: 1", "\n- ", "é",
          "\u00a0", "~", "null", "true", "True", "0x1F", "0o7", "1e3", ".inf", ".nan", "007", "1_000", "x: y", "\\",
          "…", "{x: 1}", "{}", "[]", "[a]", "a,b", "(", ")", "~x", "=", "+1", "0.5", "---", "...", "\n---\n", "\t",
          "\r", "\x85", "\u2028", "\ufeff", "\x00", "\x07"]


def mutate(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    k = rng.randrange(len(lines))
    kind = rng.random()
    if kind < 0.45:   # a tricky piece somewhere in a line
        line = lines[k]
        at = rng.randint(0, len(line))
        lines[k] = line[:at] + rng.choice(TRICKY) + line[at:]
    elif kind < 0.6:  # a character less
        if lines[k]:
            at = rng.randrange(len(lines[k]))
            lines[k] = lines[k][:at] + lines[k][at + 1:]
    elif kind < 0.75:  # a line indented differently
        lines[k] = " " * rng.choice([1, 2, 4]) + lines[k] if rng.random() < 0.5 else lines[k][rng.choice([1, 2]):]
    elif kind < 0.85:  # a line twice (duplicate keys...)
        lines.insert(k, lines[k])
    elif kind < 0.93:  # a line less
        del lines[k]
    else:              # a value replaced by a tricky one
        line = lines[k]
        if ": " in line:
            lines[k] = line[:line.index(": ") + 2] + rng.choice(TRICKY + ["x", "12", "'a''b'", "|-", "|"])
    return "\n".join(lines)


@pytest.mark.parametrize("seed", range(8))
def test_mutated_files_are_read_as_libyaml_reads_them_or_left_to_it(seed):
    rng = random.Random(seed)
    bases = [WRITTEN[i] for i in (0, 1, 2, 5, 6)] + sorted(STUDIO, key=len)[:3] + [
        "a: 1\nb:\n  - x\n  - y: |\n      two\n\n      lines\n    z: 'q'\nc: {x: 1, y: -2}\nd: |+\n  k\n\ne: []\n"]
    accepted = 0
    for _ in range(700):
        text = rng.choice(bases)
        for _ in range(rng.randint(1, 3)):
            text = mutate(rng, text)
        accepted += read_alike(text)
    assert accepted > 50   # the mutations that keep a file canonical were tried too


ALPHABET = ["a", "b", "Z", "_", "-", " ", "  ", "0", "7", ".", ":", ": ", "#", " #", "'", '"', "{", "}", "[", "]", ",",
            "|", ">", "&", "*", "!", "%", "@", "`", "?", "~", "\n", "\n\n", "\n  ", " \n", "é", "\u00a0", "\\", "/",
            "=", "+", "(", ")", "{{x}}", "{% if y %}", "null", "true", "1e3", "0x1F", "007", "-", "- "]


def random_value(rng: random.Random, depth: int = 0):
    kind = rng.random()
    if depth < 4 and kind < 0.25:
        return {random_key(rng): random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    if depth < 4 and kind < 0.4:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if kind < 0.5:
        return rng.choice([None, True, False, 0, 7, -3, 1.5, 86400, "", "null", "yes", "007", "1e3"])
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 8)))


def random_key(rng: random.Random):
    return rng.choice(["name", "type", "x", "a-b", "_k", "next", "null", "true", "7", "a b", "é", "k:"]) + \
        rng.choice(["", "1", "_2"])


@pytest.mark.parametrize("seed", range(4))
def test_random_data_as_written_is_read_as_libyaml_reads_it(seed):
    rng = random.Random(seed)
    accepted = 0
    for _ in range(400):
        data = {random_key(rng): random_value(rng) for _ in range(rng.randint(1, 5))}
        text = yamlio.dump_yaml(data)
        accepted += read_alike(text)
    assert accepted > 30


LINES = ["Hi", "Reply MENU to start over.", "  indented", "", "", "{{contact.channel.address}}", "a: b", "# not a comment",
         "- item", "trailing ", "é ok", "'quoted'", "x" * 30]


@pytest.mark.parametrize("seed", range(3))
def test_multi_line_strings_as_written_are_read_as_libyaml_reads_them(seed):
    rng = random.Random(seed)
    accepted = 0
    for _ in range(300):
        def text():
            return "\n".join(rng.choice(LINES) for _ in range(rng.randint(1, 5))) + "\n" * rng.randint(0, 3)
        data = {"widgets": [{"name": "a", "properties": {"body": text(), "other": text()}}], "d": text()}
        written = yamlio.dump_yaml(data)
        accepted += read_alike(written)
    assert accepted > 20


SHAPES = ["a: {V}\n", "a: x{V}\n", "a: '{V}'\n", "k{V}: 1\n", "a: {{x: {V}, y: 1}}\n", "a: {{x: y{V}}}\n",
          "a:\n  - {V}\n", "a:\n  - b: {V}\n", "a: |\n  {V}\n"]


@pytest.mark.parametrize("shape", SHAPES)
def test_every_two_characters_in_every_place_of_a_value(shape):
    # Every pair of printable ASCII characters (and a few others) as a value, in
    # mappings, positions, lists and blocks: read as libyaml reads it, or left to it.
    chars = [chr(c) for c in range(32, 127)] + ["é", "\u00a0", "\x07"]
    for first in chars:
        for second in [""] + chars:
            text = shape.replace("{V}", first + second).replace("{{", "{").replace("}}", "}")
            read_alike(text, repr(text))
