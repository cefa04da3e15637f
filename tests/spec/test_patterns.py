"""Split regexes that would hurt the process are refused, with a reason, by the
validator and by the runtime alike (flowstudio/spec/patterns.py)."""
import pytest

from flowstudio.engine.conditions import ConditionError, evaluate
from flowstudio.spec.patterns import MAX_EXPANSION, compile_pattern, pattern_error
from flowstudio.spec.validate import validate_data

HOSTILE = {
    "huge count": ("a{99999999999}", "multiply out"),          # OverflowError in re: a 500 before
    "count past 32 bits": ("a{4294967295}", "multiply out"),
    "nested counts": ("((((a{100}){100}){100}){100})", "multiply out"),  # regex.compile took all memory
    "nested counts 2": ("(?:a{1000}){1000}", "multiply out"),  # 0.35 s to compile, every turn
    "regex-only syntax": (r"\p{L}{1000}{1000}", "multiply out"),
    "open groups": ("(" * 5000, "characters long"),            # RecursionError: a 500 before
    "deep groups": ("(" * 900 + ")" * 900, "nest too deeply"),
    "syntax": ("(unclosed", "missing ), unterminated subpattern at position 0"),
}


@pytest.mark.parametrize("pattern, reason", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_patterns_are_refused_with_a_reason(pattern, reason):
    assert reason in pattern_error(pattern)


@pytest.mark.parametrize("pattern", [r"^\d{3}-\d{3}-\d{4}$", "yes|y|ok", r"\p{L}+", "^(a|aa)+$", "(?:a{99}){99}",
                                     "(?i)stop", "(a)?(?(1)b|c)", "[0-9]{5}(-[0-9]{4})?"])
def test_ordinary_patterns_compile(pattern):
    assert pattern_error(pattern) is None
    assert compile_pattern(pattern) is not None


def test_the_limit_counts_nested_repeats_not_sequential_ones():
    assert pattern_error("a{5000}b{4000}") is None
    assert pattern_error("(?:a{200}){200}") is not None
    assert MAX_EXPANSION == 10_000


@pytest.mark.parametrize("pattern, reason", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_validator_reports_them_on_the_condition(pattern, reason):
    flow = {"spec_version": 1, "name": "r", "widgets": [
        {"name": "Trigger", "type": "trigger", "transitions": {"incomingMessage": "check"}},
        {"name": "check", "type": "split-based-on", "properties": {"input": "{{trigger.message.Body}}"},
         "transitions": {"noMatch": None, "match": [
             {"next": None, "conditions": [{"type": "regex", "value": pattern}]}]}}]}
    issues = [i for i in validate_data(flow) if i.code == "invalid_regex"]
    assert [(i.widget, i.path) for i in issues] == [("check", "transitions.match.0.conditions.0.value")]
    assert reason in issues[0].message


@pytest.mark.parametrize("pattern, reason", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_runtime_refuses_them_as_a_condition_error(pattern, reason):
    with pytest.raises(ConditionError, match="not a valid regular expression"):
        evaluate("regex", "aaaa", pattern)


# ---------------------------------------------------------------- Liquid that stalled the validator

from flowstudio.spec.templates import MAX_TAGS, liquid_error  # noqa: E402


@pytest.mark.parametrize("source, reason", [
    ("{{" * 100_000, "'{{' at character 1 is never closed"),          # more than a minute in python-liquid
    ("{{" * 1_000 + "x" * 20_000, "never closed"),                     # 14 s
    ("Hi {% if a " + "x" * 20_000, "'{%' at character 4 is never closed with '%}'"),
    ("{{ a }}" * (MAX_TAGS + 1), f"more than {MAX_TAGS} Liquid tags"),
    ("{{ " + "(" * 5_000 + "1" + ")" * 5_000 + " }}", "characters long; at most 2,000"),  # 0.6 s
    ("{% raw %} {{", "'{% raw %}' at character 1 is never closed"),
], ids=["open-100k", "open-1000-then-text", "open-tag", "too-many-tags", "long-tag", "open-raw"])
def test_liquid_that_would_stall_the_parser_is_refused_at_once(source, reason):
    assert reason in liquid_error(source)


@pytest.mark.parametrize("source", ['{{ "{{" }}', "{% raw %}{{ {% {% endraw %}{{ a }}", "Hi {{ a | upcase }}",
                                    "{% if x %}y{% endif %}", "{{ a }}" * MAX_TAGS],
                         ids=["quoted-opener", "raw", "filter", "if", "max-tags"])
def test_liquid_that_only_looks_odd_still_parses(source):
    assert liquid_error(source) is None
