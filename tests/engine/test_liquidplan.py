"""The quick renderer of simple templates gives python-liquid's text, or steps aside."""
import random
from datetime import datetime, timezone

import pytest
from liquid.exceptions import LiquidError

from flowstudio.engine import liquidplan
from flowstudio.engine.liquid import ENV, MAX_OUTPUT, TemplateError, Templates

NOW = datetime(2026, 1, 3, 15, 30, tzinfo=timezone.utc)


def context(**variables) -> dict:
    return {
        "trigger": {"message": {"Body": " Hello ", "From": "+15555550123"}},
        "flow": {"variables": variables, "data": {}, "channel": {"address": "+15555550100"},
                 "sid": "FN1", "flow_sid": "demo"},
        "contact": {"channel": {"address": "+15555550123"}},
        "widgets": {"ask": {"inbound": {"Body": " 7 ", "NumMedia": "0"}}},
    }


def liquid(source: str, ctx: dict) -> str:
    """What python-liquid itself renders."""
    return ENV.from_string(source).render(**ctx)


def quick(source: str, ctx: dict):
    """What the plan renders (None: python-liquid decides), failing if there is no plan."""
    plan = liquidplan.plan(ENV.from_string(source), ENV)
    assert plan is not None, f"no plan for {source!r}"
    return plan(ctx)


SAME = [
    ("{{flow.variables.answer}}", {"answer": "42"}),
    ("{{ flow.variables.answer }}", {"answer": "ünïcode ✓"}),
    ("Got {{flow.variables.a}} and {{flow.variables.b}}.", {"a": "1", "b": "2"}),
    ("  {{- flow.variables.a -}}  !", {"a": "x"}),
    ("{{flow.variables.n}}|{{flow.variables.f}}|{{flow.variables.t}}|{{flow.variables.z}}",
     {"n": 3, "f": 2.5, "t": True, "z": None}),
    ("{{flow.variables.items}} {{flow.variables.obj}}", {"items": ["a", 1, None], "obj": {"k": "v"}}),
    ("[{{flow.variables.missing}}]", {}),
    ("[{{flow.variables.missing.deeper}}]", {}),
    ("{{flow.variables.obj.size}} {{flow.variables.obj.first}}", {"obj": {"size": "S", "first": "F"}}),
    ("{{widgets.ask.inbound.Body | strip}}", {}),
    ("{{widgets.ask.inbound.Body | strip | downcase | append: '!'}}", {}),
    ("{{flow.variables.count | plus: 1}}", {"count": "41"}),
    ("{{flow.variables.total | plus: flow.variables.score}}", {"total": "10", "score": "5"}),
    ("{{trigger.message.From | slice: -4, 4}}", {}),
    ("{{flow.variables.answer | times: 2}}", {"answer": "21"}),
    ("{{widgets.ask.inbound.Body | truncate: 2}}", {}),
    ("{{trigger.message.Body | to_json}}", {}),
    ("{{flow.variables.list | size}}", {"list": [1, 2, 3]}),
    ("{% if flow.variables.answer %}Got {{flow.variables.answer}}.{% else %}Hi!{% endif %} Send", {"answer": "7"}),
    ("{% if flow.variables.answer %}Got {{flow.variables.answer}}.{% else %}Hi!{% endif %} Send", {}),
    ("{% if flow.variables.answer %}yes{% else %}no{% endif %}", {"answer": ""}),      # "" is truthy
    ("{% if flow.variables.answer %}yes{% else %}no{% endif %}", {"answer": False}),
    ("{% if flow.variables.answer %}yes{% else %}no{% endif %}", {"answer": None}),
    ("{% if flow.variables.answer %}yes{% else %}no{% endif %}", {"answer": 0}),        # 0 is truthy
    ("{% if flow.variables.a %}A{% elsif flow.variables.b %}B{% endif %}.", {"b": "x"}),
    ("{% if flow.variables.a %}A{% elsif flow.variables.b %}   {% endif %}.", {"b": "x"}),  # blank: suppressed
    ("{% if flow.variables.a %}  {% else %}  {% endif %}.", {}),
    ("{% if flow.variables.a %}{% if flow.variables.b %}AB{% else %}A{% endif %}{% endif %}", {"a": 1}),
    ("{% raw %}{{ x }}{% endraw %} {{ flow.variables.a }}", {"a": 1}),  # raw is text
]


@pytest.mark.parametrize("source, variables", SAME)
def test_the_plan_renders_what_python_liquid_renders(source, variables):
    ctx = context(**variables)
    assert quick(source, ctx) == liquid(source, ctx)


@pytest.mark.parametrize("source", [
    "{{ a[0] }}",                               # an index
    "{{ a[b.c] }}",                             # a nested path
    "{{ 'text' }}",                             # a literal output
    "{{ partial }}",                            # a name python-liquid defines itself
    "{{ 'now' | date: '%H:%M' }}",              # reads the engine's clock
    "{{ flow.variables.list | join: ',' }}",    # wants the environment
    "{% assign x = 1 %}{{ x }}",
    "{% for i in flow.variables.list %}{{ i }}{% endfor %}",
    "{% if flow.variables.a == 'x' %}y{% endif %}",
    "{% if flow.variables.a %}{% assign x = 1 %}{% endif %}",
    "{% unless flow.variables.a %}y{% endunless %}",
    "{{ flow.variables.a | nosuchfilter }}",
])
def test_templates_outside_the_subset_have_no_plan(source):
    assert liquidplan.plan(ENV.from_string(source), ENV) is None


@pytest.mark.parametrize("source, ctx", [
    ("{{ nosuchroot.x }}", context()),                                   # python-liquid looks further
    ("{{ now }}", context()),                                           # ... e.g. its built-in `now`
    ("{{ flow.variables.list.first }}", context(list=["a", "b"])),       # not a dict
    ("{{ flow.variables.text.size }}", context(text="abc")),
    ("{{ flow.variables.obj.size }}", context(obj={"a": 1})),            # a dict's length, not a key
    ("{{ flow.variables.obj.first }}", context(obj={"a": 1})),
    ("{% if flow.variables.obj.last %}y{% endif %}", context(obj={"a": 1})),
    ("{{ flow.variables.missing | default: 'd' }}", context()),          # a filter given Undefined
    ("{{ flow.variables.a | plus: flow.variables.missing }}", context(a="1")),
    ("{{ flow.variables.a | divided_by: 0 }}", context(a="1")),          # the filter fails
    ("{{ flow.variables.big }}", context(big="x" * (MAX_OUTPUT + 1))),   # over the output cap
    ("{{ flow.variables.big }}", context(big="é" * (MAX_OUTPUT // 2 + 1))),  # ... in UTF-8 bytes
    ("{{ flow.variables.odd }}", context(odd="\udc80")),                  # no UTF-8 form
])
def test_the_plan_steps_aside_where_python_liquid_must_decide(source, ctx):
    assert quick(source, ctx) is None


def test_a_context_that_is_not_a_plain_dict_is_left_to_python_liquid():
    class Context(dict):
        pass
    assert quick("{{ flow.sid }}", Context(context())) is None


def test_text_at_the_output_cap_is_rendered():
    ctx = context(big="é" * (MAX_OUTPUT // 2))
    assert quick("{{ flow.variables.big }}", ctx) == liquid("{{ flow.variables.big }}", ctx)


def test_templates_fall_back_with_python_liquids_errors_and_clock():
    templates = Templates()
    with pytest.raises(TemplateError, match="a template may write at most 16 KB"):
        templates.render("{{ flow.variables.big }}", context(big="x" * (MAX_OUTPUT + 1)), NOW)
    with pytest.raises(TemplateError, match="divided_by: can.t divide by 0"):
        templates.render("{{ flow.variables.a | divided_by: 0 }}", context(a="1"), NOW)
    assert templates.render("{{ 'now' | date: '%H:%M' }} {{ flow.sid }}", context(), NOW) == "15:30 FN1"
    assert templates.render("[{{ nosuchroot }}]", context(), NOW) == "[]"


def test_templates_use_the_plan_and_reuse_it():
    templates = Templates()
    ctx = context(answer="7")
    assert templates.render("{{ flow.variables.answer }}", ctx, NOW) == "7"
    template, plan = templates._parsed["{{ flow.variables.answer }}"]
    assert plan is not None
    template.render = None  # python-liquid is not called again while the plan answers
    assert templates.render("{{ flow.variables.answer }}", context(answer="8"), NOW) == "8"
    assert len(templates) == 1


# ---------------------------------------------------------------- random templates

NAMES = ["a", "b", "size", "first", "partial", "now", "items"]
FILTERS = ["strip", "upcase", "downcase", "size", "plus: 1", "plus: flow.variables.a", "times: 2",
           "append: '!'", "prepend: flow.variables.b", "truncate: 3", "slice: -2, 2", "default: 'd'",
           "divided_by: 0", "replace: 'a', 'b'", "to_json", "split: ','", "first", "join: '-'",
           "abs", "capitalize", "minus: 1.5"]
VALUES = ["", " ", "abc", " Ab c ", "7", "-3", "2.5", "é✓", "a,b", 0, 1, -2, 2.5, True, False, None,
          [], ["x", 1], {}, {"a": "in"}, {"size": "S"}]


def random_path(rng: random.Random) -> str:
    if rng.random() < 0.1:
        return rng.choice(["nosuch", "now", "partial", "contact.channel.address"])
    path = ["flow", "variables"] + [rng.choice(NAMES) for _ in range(rng.choice([1, 1, 1, 2]))]
    return ".".join(path)


def random_output(rng: random.Random) -> str:
    filters = "".join(" | " + rng.choice(FILTERS) for _ in range(rng.choice([0, 0, 1, 1, 2])))
    left, right = rng.choice(["{{", "{{-"]), rng.choice(["}}", "-}}"])
    return f"{left} {random_path(rng)}{filters} {right}"


def random_template(rng: random.Random, depth: int = 0) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        if roll < 0.35:
            parts.append(rng.choice(["Hi ", " ", "\n", "x", "  é  ", ". "]))
        elif roll < 0.8 or depth >= 2:
            parts.append(random_output(rng))
        else:
            text = "{% if " + random_path(rng) + " %}" + random_template(rng, depth + 1)
            for _ in range(rng.choice([0, 0, 1])):
                text += "{% elsif " + random_path(rng) + " %}" + random_template(rng, depth + 1)
            if rng.random() < 0.5:
                text += "{% else %}" + random_template(rng, depth + 1)
            parts.append(text + "{% endif %}")
    return "".join(parts)


def test_random_templates_render_as_python_liquid_renders_them():
    rng = random.Random(20260105)
    planned = answered = 0
    for _ in range(3000):
        source = random_template(rng)
        ctx = context(**{name: rng.choice(VALUES) for name in NAMES if rng.random() < 0.8})
        template = ENV.from_string(source)
        plan = liquidplan.plan(template, ENV)
        if plan is None:
            continue
        planned += 1
        out = plan(ctx)
        if out is None:
            continue
        answered += 1
        try:
            expected = template.render(**ctx)
        except LiquidError as exc:  # the plan must not answer where python-liquid fails
            raise AssertionError(f"{source!r} with {ctx['flow']['variables']}: python-liquid fails "
                                 f"({exc}), the plan gave {out!r}") from None
        assert out == expected, (source, ctx["flow"]["variables"])
    assert planned > 1500 and answered > 1000  # the comparison really exercised the plan
