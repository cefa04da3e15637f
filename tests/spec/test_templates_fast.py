"""Templates read without python-liquid's parser (templates._plain_outputs) are exactly
those that parse, and their variables are the ones read before."""
import random

import pytest
from liquid import Environment
from liquid.builtin.expressions._tokenize import _keywords
from liquid.exceptions import LiquidError

from flowstudio.spec import templates

ENV = Environment()
WORDS = ["widgets", "flow", "trigger", "contact", "a", "x_1", "a-b", "_", "Body", "é"] + sorted(_keywords)
SEGMENTS = ["", ".x", "[0]", "[12]", ".é", "..", "[-1]", ".1a", ".b-c", "-", "."] + [f".{w}" for w in WORDS]
FILTERS = ["", "| upcase", "| default: 'x'", "| round: 2", "| slice: -1, 2", "| f : 1", "|f:1,2", '| date: "%Y"',
           "| a-b", "| x: 1.5", "| x: -2.0", "| x: 'a' , 'b'", "| x: '}}'", "|x|y", "| and", "| x: nil"]


def _cases(n=6000):
    rng = random.Random(17)
    for _ in range(n):
        path = rng.choice(WORDS) + "".join(rng.choice(SEGMENTS) for _ in range(rng.randint(0, 3)))
        tag = (rng.choice(["{{", "{{-"]) + rng.choice(["", " ", "\n"]) + path + rng.choice(["", " "])
               + " ".join(rng.choice(FILTERS) for _ in range(rng.randint(0, 2)))
               + rng.choice(["", " ", "\n"]) + rng.choice(["}}", "-}}"]))
        yield (rng.choice(["", "Hi ", "é "]) + tag + rng.choice(["", " and ", "}", " }} ", "{ "])
               + (tag if rng.random() < 0.3 else ""))


def test_every_template_read_without_the_parser_parses():
    read = 0
    for source in _cases():
        if templates.markup_problem(source) or templates._plain_outputs(source) is None:
            continue
        read += 1
        ENV.from_string(source)  # raises LiquidError if the shortcut let a broken one through
        assert templates._plain_outputs(source) == templates._simple_paths(source)  # the variables read before
    assert read > 300


@pytest.mark.parametrize("source, paths", [
    ("Hi {{widgets.ask.inbound.Body | downcase}}!", (("widgets", "ask", "inbound", "Body"),)),
    ("{{- flow.data.items[0] | default: 'none' -}} and {{contact.channel.address}}",
     (("flow", "data", "items", 0), ("contact", "channel", "address"))),
    ("{{Body}}", (("Body",),)),
])
def test_plain_outputs_give_their_variables(source, paths):
    assert templates._plain_outputs(source) == paths
    assert templates.references(source) == paths


@pytest.mark.parametrize("source", [
    "{{ widgets.ask.empty }}", "{{ flow.data | and }}", "{{ café }}", "{% if x %}y{% endif %}", "{{ a | f: x }}",
])
def test_anything_else_goes_to_python_liquid(source):
    assert templates._plain_outputs(source) is None


def test_a_reserved_word_is_still_reported_as_python_liquid_reports_it():
    with pytest.raises(LiquidError):
        ENV.from_string("{{ widgets.ask.empty }}")
    assert templates.liquid_error("{{ widgets.ask.empty }}")


def test_path_segments_split_without_the_regex_are_the_regex_s():
    rng = random.Random(5)
    for _ in range(3000):
        path = rng.choice(WORDS[:9]) + "".join(rng.choice([".x", "[0]", "[12]", ".b-c", ".a_1", ".Body", "[3]"])
                                                for _ in range(rng.randint(0, 4)))
        assert templates._SIMPLE_OUTPUT.fullmatch(path)
        by_regex = tuple(int(m.group(1)) if m.group(1) else m.group(0) for m in templates._SEGMENT.finditer(path))
        assert templates._segments(path) == by_regex
