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


TAG_PIECES = ["{% if widgets.a.inbound.Body %}", "{% if flow.x %}", "{% if Body %}", "{% if a-b.c %}",
              "{% if and %}", "{% if a.empty %}", "{% if a[0] %}", "{% if a == 1 %}", "{% if a and b %}",
              "{%if a %}", "{% if a%}", "{%- if a %}", "{% if a -%}", "{% if é %}", "{% if a..b %}", "{% if %}",
              "{% else %}", "{% else%}", "{%- else -%}", "{% elsif b %}", "{% endif %}", "{% endif%}",
              "{% unless a %}", "{% endunless %}", "{% raw %}", "{% endraw %}", "{% comment %}", "{%%}", "{% if"]
TEXTS = ["", "Got it: ", "{{widgets.a.inbound.Body}}", "{{ flow.x | default: 'y' }}", " }} ", "{{ a ", " %} ",
         "{{ and }}", "{{- contact.channel.address -}}", "{{ a | f: '{% if b %}' }}", "{", "%", "\n", "é"]


def _tag_cases(n=8000):
    rng = random.Random(23)
    for _ in range(n):
        if rng.random() < 0.6:   # mostly well-formed blocks, to reach the shortcut often
            def text():
                return rng.choice(TEXTS[:4] + TEXTS[8:9] if rng.random() < 0.7 else TEXTS)
            block = [rng.choice(TAG_PIECES[:4]), text()]
            if rng.random() < 0.5:
                block += [rng.choice(TAG_PIECES[16:19]), text()]
            block.append(rng.choice(["{% endif %}"] * 6 + TAG_PIECES))
            pieces = [text()] + block + [text()]
            if rng.random() < 0.3:
                pieces += block
        else:
            pieces = [rng.choice(TAG_PIECES + TEXTS) for _ in range(rng.randint(1, 7))]
        yield "".join(pieces)


def _liquid_paths(source):
    found = [v for uses in ENV.from_string(source).analyze().globals.values() for v in uses]
    return tuple(tuple(v.segments) for v in sorted(found, key=lambda v: v.span.index))


def test_every_if_template_read_without_the_parser_parses_with_the_same_variables():
    read = 0
    for source in _tag_cases():
        if templates.markup_problem(source) or templates._plain_ifs(source) is None:
            continue
        read += 1
        # raises LiquidError if the shortcut let a broken one through
        assert templates._plain_ifs(source) == _liquid_paths(source), source
    assert read > 400


@pytest.mark.parametrize("source", [
    "{% if a %}x{% if b %}y{% endif %}{% endif %}", "{% if a %}x{% else %}y{% else %}z{% endif %}",
    "{% if a %}x{% elsif b %}y{% endif %}", "{% if a %}x", "{% else %}", "{% if a %}{% endif %}{% endif %}",
    "{{ a {% if b %} }}", "{% if a %}{{ b {% endif %}}}", "{% if empty %}x{% endif %}", "{%- if a -%}x{% endif %}",
])
def test_other_tags_and_shapes_go_to_python_liquid(source):
    assert templates._plain_ifs(source) is None


def test_an_if_template_gives_its_variables_in_order():
    source = "{% if widgets.ask.inbound.Body %}Got it: {{widgets.ask.inbound.Body}}.{% else %}No.{% endif %} {{flow.x}}"
    expected = (("widgets", "ask", "inbound", "Body"), ("widgets", "ask", "inbound", "Body"), ("flow", "x"))
    assert templates._plain_ifs(source) == expected == _liquid_paths(source)
    assert templates.references(source) == expected
