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
