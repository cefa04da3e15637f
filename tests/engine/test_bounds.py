"""What one Liquid template may build: ranges, texts, lists, numbers (engine/bounds.py),
on python-liquid's path and on liquidplan's fast path alike."""
import pytest

from flowstudio.engine import budget
from flowstudio.engine.bounds import MAX_ITEMS, MAX_TEXT, TemplateLimitError, bounded_filter, weight
from flowstudio.engine.liquid import Templates, TemplateError

from .flows import NOW


def render(source: str, **variables) -> str:
    return Templates().render(source, {"flow": {"variables": variables}}, NOW)


@pytest.mark.parametrize("source", [
    '{{ (1..200000000) | join: "," | size }}',
    '{% for i in (1..200000000) offset: 199999000 %}{% endfor %}',
    '{% if (1..200000000) contains 5 %}y{% endif %}',
    '{% assign r = (0..10000) %}{{ r | size }}',
])
def test_a_range_of_more_than_max_items_numbers_is_refused_when_it_is_made(source):
    with pytest.raises(TemplateError, match=r"a range may have at most 10,000"):
        render(source)


def test_ranges_within_the_bound_work_as_before():
    assert render('{{ (1..10000) | size }} {{ (1..3) | join: "-" }}') == "10000 1-2-3"


def test_a_text_doubled_29_times_stops_at_the_text_bound():
    source = '{% assign s = "a" %}{% for i in (1..29) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}'
    with pytest.raises(TemplateError, match=r"the filter 'append' made a text of 512 KB; .* at most 256 KB"):
        render(source)
    assert render('{% assign s = "a" %}{% for i in (1..18) %}{% assign s = s | append: s %}{% endfor %}'
                  '{{ s | size }}') == str(2 ** 18)


def test_replace_and_join_are_refused_before_they_build_a_huge_text():
    big = "a" * 60_000
    with pytest.raises(TemplateError, match=r"'replace' would make a text of"):
        render("{{ flow.variables.big | replace: 'a', flow.variables.big | size }}", big=big)
    with pytest.raises(TemplateError, match=r"'join' would make a text of more than 256 KB"):
        render("{{ (1..10000) | join: flow.variables.sep | size }}", sep="x" * 100)


def test_lists_may_not_grow_past_max_items_or_weigh_more_than_the_text_bound():
    with pytest.raises(TemplateError, match=r"'concat' made a list of 16,384 items"):
        render('{% assign a = "x" | split: "|" %}{% for i in (1..14) %}{% assign a = a | concat: a %}{% endfor %}')
    with pytest.raises(TemplateError, match=r"'concat' made a list of more than 256 KB as text"):
        render('{% assign a = flow.variables.big | split: "|" %}{% for i in (1..3) %}{% assign a = a | concat: a %}'
               '{% endfor %}', big="y" * 100_000)


def test_numbers_may_not_grow_past_max_digits():
    with pytest.raises(TemplateError, match=r"'times' made a number of more than 1,000 digits"):
        render("{% assign x = 10 %}{% for i in (1..30) %}{% assign x = x | times: x %}{% endfor %}{{ x }}")


def test_python_liquids_limits_are_said_plainly():
    with pytest.raises(TemplateError, match=r"the values a template assigns may take at most 1 MB"):
        render('{% assign a = flow.variables.big %}{% assign b = a | append: "1" %}{% assign c = a | append: "2" %}'
               '{% assign d = a | append: "3" %}{% assign e = a | append: "4" %}{% assign f = a | append: "5" %}',
               big="z" * 200_000)


def test_the_fast_path_obeys_the_same_bounds():
    templates = Templates()
    context = {"flow": {"variables": {"big": "b" * 200_000}}}
    source = "{{ flow.variables.big | append: flow.variables.big | size }}"
    with pytest.raises(TemplateError, match=r"'append' made a text of 390 KB"):
        templates.render(source, context, NOW)
    _template, plan = templates._parsed[source]
    assert plan is not None  # the template is one liquidplan renders
    assert plan(context) is None  # ... and it leaves the over-bound case to python-liquid, which reports it
    small = {"flow": {"variables": {"big": "b" * 10}}}
    assert plan(small) == "20"


def test_a_filter_failing_in_a_way_python_liquid_does_not_report_is_a_template_error():
    def broken(value):
        raise ValueError("cannot")

    with pytest.raises(TemplateLimitError, match="the filter 'broken' failed: cannot"):
        bounded_filter("broken", broken)("x")


def test_weighing_stops_soon_after_the_limit():
    assert weight(["x" * 1000] * 1_000_000) > MAX_TEXT
    assert MAX_TEXT < weight([["x" * 1000] * 1000] * 1000) < MAX_TEXT + 1000 + 2 * 1000 + 2 * 1000
    assert weight({"a": [1, "bc"]}) == 4 + 1 + 2 * 2 + 2 + 2
    assert MAX_ITEMS == 10_000


@pytest.mark.parametrize("source", [
    "{% for i in (1..1000) %}{% for j in (1..1) %}{% endfor %}{% endfor %}" * 40,  # loops, no filter
    '{% for i in (1..1000) %}{% assign u = "abc" | upcase | downcase %}{% endfor %}' * 10,  # filters
], ids=["loops", "filters"])
def test_filters_and_loop_iterations_check_the_turns_budget(source):
    with budget.running(budget.Budget(cpu_seconds=0.01)):
        with pytest.raises(budget.BudgetExceeded, match="more than its 0.01 s of CPU time"):
            render(source)
    assert render(source) == ""  # within every template limit: without a budget it runs to its end
