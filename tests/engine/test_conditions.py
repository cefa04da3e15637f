"""Split Based On conditions: Studio's 17 condition types, evaluated purely."""
import time

import pytest

from flowstudio.engine.conditions import ConditionError, evaluate, first_match
from flowstudio.widgets.split_based_on import CONDITION_TYPES

CASES = {
    "equal_to": [
        ("yes", "yes", True),
        ("YES", "yes", True),
        ("  yes \n", " Yes ", True),
        ("yes", "yes please", False),
        ("", "", True),
        ("", None, True),
        ("STRASSE", "straße", True),  # casefold makes these equal
        ("Ünïcode", "üNÏCODE", True),
        ("y es", "yes", False),
    ],
    "not_equal_to": [
        ("yes", "no", True),
        ("YES", "yes", False),
        (" yes ", "yes", False),
        ("", "x", True),
        ("STRASSE", "straße", False),
        ("yes.", "yes", True),
    ],
    "matches_any_of": [
        ("y", "yes,y,ok", True),
        ("OK", "yes, y , ok", True),
        ("  Ok  ", "yes,y,ok", True),
        ("no", "yes,y,ok", False),
        ("yes,y", "yes,y", False),  # the list is split, never matched whole
        ("", "yes,,y", False),  # empty items are ignored
        ("", ",", False),
        ("x", None, False),
        ("x", "", False),
        ("straße", "STRASSE,nope", True),
        ("yes please", "yes,please", False),
    ],
    "does_not_match_any_of": [
        ("no", "yes,y,ok", True),
        ("Y", "yes, y, ok", False),
        ("", "yes,,y", True),
        ("x", None, True),
        ("yes ", " YES ", False),
        ("yess", "yes", True),
    ],
    "is_blank": [
        ("", None, True),
        ("   ", None, True),
        ("\t\n ", "Is Blank", True),  # the value is ignored
        ("x", None, False),
        (" . ", "", False),
        ("0", None, False),
    ],
    "is_not_blank": [
        ("x", None, True),
        ("", "Is Not Blank", False),
        ("  \n", None, False),
        ("0", None, True),
        (" a ", "", True),
    ],
    "regex": [
        (r"ord-12", r"ORD-\d+", True),
        (r"my ord-12", r"ORD-\d+", False),  # must match the whole string
        (r"ord-12 please", r"ORD-\d+", False),
        (r"  ORD-12  ", r"ord-\d+", True),  # subject trimmed
        (r"ord-12", r"  ORD-\d+  ", True),  # pattern trimmed
        ("yes", "y|yes", True),
        ("yess", "y|yes", False),
        ("12345", r"\d{5}", True),
        ("1234", r"\d{5}", False),
        ("", "", True),
        ("", r".+", False),
        ("STRASSE", "straße", True),
        ("/yes/", "/yes/", True),  # slashes are literal: patterns are written without them
        ("yes", "/yes/", False),
        ("a" * 40 + "!", r"(a+)+$", False),  # `regex` answers this classic one fast
    ],
    "contains": [
        ("I want PIZZA", "pizza", True),
        ("pizza", "  pizza ", True),
        ("pizz", "pizza", False),
        ("anything", "", True),
        ("", "x", False),
        ("Grosse Straße", "STRASSE", True),
    ],
    "does_not_contain": [
        ("I want PIZZA", "pizza", False),
        ("I want pasta", "pizza", True),
        ("", "x", True),
        ("anything", "", False),
        ("STOP now", " stop ", False),
    ],
    "starts_with": [
        ("Hello there", "hello", True),
        ("  Hello there", "HELLO", True),
        ("Say hello", "hello", False),
        ("hi", "hi there", False),
        ("x", "", True),
        ("", "", True),
    ],
    "does_not_start_with": [
        ("Hello there", "hello", False),
        ("Say hello", "hello", True),
        ("", "a", True),
        (" STOP", "stop", False),
        ("hi", "hi there", True),
    ],
    "less_than": [
        ("9", "10", True),  # numeric, not lexical
        ("10", "9", False),
        ("5", "5", False),  # strictly
        ("-3", "2", True),
        (" 2.5 ", "2.50001", True),
        ("+1", "-1", False),
        (".5", "1", True),
        ("999", "1e3", True),
        ("1e3", "999", False),
        ("abc", "5", False),
        ("", "5", False),
        ("5", "", False),
        ("5", None, False),
        ("nan", "5", False),
        ("-inf", "5", False),
        ("1,000", "5000", False),
        ("1_000", "5000", False),
        ("10000000000000000000", "10000000000000000001", True),  # exact, not float
        ("1e99999999999999999999", "5", False),
    ],
    "greater_than": [
        ("10", "9", True),
        ("9", "10", False),
        ("10", "10.0", False),
        ("  42 ", "+41.99", True),
        ("1e3", "999", True),
        ("-0", "0", False),
        ("inf", "5", False),
        ("12 apples", "5", False),
        ("", "", False),
    ],
    "is_before_time": [
        ("08:59", "09:00", True),
        ("09:00", "09:00", False),  # strictly
        ("9:00", "09:00", False),
        ("9:00", "10:00", True),
        ("23:59", "00:00", False),  # no wrap past midnight
        ("00:00", "00:01", True),
        ("00:00", "23:59", True),
        ("17:04:59", "17:05", True),
        ("2026-11-21T17:05:00Z", "17:06", True),
        ("2026-11-21 17:05", "17:05", False),
        ("2026-11-21T08:00:00.123-05:00", "09:00", True),  # compared as given
        ("5:05 PM", "17:06", True),
        ("5:05 PM", "17:05", False),
        ("12:30 am", "01:00", True),
        ("12:00 PM", "12:01", True),
        ("8 a.m.", "9:00", True),
        ("noon", "12:00", False),
        ("", "12:00", False),
        ("10:00", "", False),
        ("10:00", None, False),
        ("24:00", "23:00", False),
        ("13:00 PM", "23:00", False),
        ("10:60", "23:00", False),
    ],
    "is_after_time": [
        ("17:00", "09:00", True),
        ("09:00", "17:00", False),
        ("00:00", "23:59", False),
        ("23:59", "00:00", True),
        ("00:00:01", "00:00", True),
        ("12:00", "12:00:00", False),
        ("2026-11-21T17:05:00Z", "17:00", True),
        ("11:59 PM", "23:58", True),
        ("12:01 AM", "00:00", True),
        ("later", "09:00", False),
        ("10:00", "ten", False),
    ],
    "is_before_date": [
        ("2026-11-20", "2026-11-21", True),
        ("2026-11-21", "2026-11-21", False),  # strictly
        ("2025-12-31", "2026-01-01", True),
        ("2026-11-21T23:59:59Z", "2026-11-22", True),
        ("2026-11-21 08:00", "2026-11-21", False),
        ("11/20/2026", "2026-11-21", True),
        ("1/2/2026", "2026-01-03", True),
        (" 2026-11-20 ", " 2026-11-21 ", True),
        ("2026-02-30", "2027-01-01", False),  # no such day
        ("20/11/2026", "2027-01-01", False),  # DD/MM is not accepted
        ("tomorrow", "2026-11-21", False),
        ("2026-11-20", "", False),
        ("2026-11-20", None, False),
    ],
    "is_after_date": [
        ("2026-11-22", "2026-11-21", True),
        ("2026-11-21", "2026-11-21", False),
        ("2026-01-01", "2025-12-31", True),
        ("2026-11-21T00:00:00Z", "2026-11-20", True),
        ("12/31/2026", "2026-12-30", True),
        ("2024-02-29", "2024-02-28", True),
        ("2023-02-29", "2000-01-01", False),
        ("", "2026-11-21", False),
        ("2026-11-21", "21 Nov 2026", False),
    ],
}


def test_every_condition_type_is_covered():
    assert set(CASES) == set(CONDITION_TYPES)
    assert all(len(cases) >= 5 for cases in CASES.values())


@pytest.mark.parametrize("condition_type,subject,value,expected",
                         [(t, s, v, e) for t, cases in CASES.items() for s, v, e in cases])
def test_evaluate(condition_type, subject, value, expected):
    assert evaluate(condition_type, subject, value) is expected


@pytest.mark.parametrize("condition_type", ["contains", "starts_with", "equal_to"])
def test_negations_are_exact_opposites(condition_type):
    negation = {"contains": "does_not_contain", "starts_with": "does_not_start_with",
                "equal_to": "not_equal_to"}[condition_type]
    for subject, value, _ in CASES[condition_type]:
        assert evaluate(negation, subject, value) is not evaluate(condition_type, subject, value)


def test_unknown_condition_type_raises():
    with pytest.raises(ConditionError, match="not a known kind of condition"):
        evaluate("is_roughly", "a", "b")


@pytest.mark.parametrize("pattern", ["(", "[a-", "a{2,1}", "*yes", ")", "yes\\"])
def test_invalid_regex_raises_plain_error(pattern):
    with pytest.raises(ConditionError, match="not a valid regular expression"):
        evaluate("regex", "yes", pattern)


@pytest.mark.parametrize("pattern,subject", [
    (r"(a|aa)+$", "a" * 40 + "!"),
    (r"(a|a)+$", "a" * 40 + "!"),
])
def test_catastrophic_regex_times_out_quickly(pattern, subject):
    started = time.monotonic()
    with pytest.raises(ConditionError, match="took too long"):
        evaluate("regex", subject, pattern)
    assert time.monotonic() - started < 2


def test_classic_nested_quantifier_is_answered_quickly():
    started = time.monotonic()
    assert evaluate("regex", "a" * 40 + "!", r"(a+)+$") is False
    assert time.monotonic() - started < 2


def test_first_match_picks_the_first_match_whose_conditions_all_hold():
    matches = [
        {"next": "a", "conditions": []},  # no conditions: never wins
        {"next": "b", "conditions": [{"type": "contains", "value": "pizza"},
                                     {"type": "contains", "value": "large"}]},
        {"next": "c", "conditions": [{"type": "contains", "value": "pizza"}]},
        {"next": "d", "conditions": [{"type": "is_not_blank"}]},
    ]
    assert first_match(lambda i, j: "small PIZZA", matches) == 2
    assert first_match(lambda i, j: "large pizza", matches) == 1
    assert first_match(lambda i, j: "pasta", matches) == 3
    assert first_match(lambda i, j: " ", matches) is None
    assert first_match(lambda i, j: "x", []) is None


def test_first_match_uses_a_subject_per_condition():
    matches = [{"conditions": [{"type": "equal_to", "value": "a"}, {"type": "equal_to", "value": "b"}]}]
    subjects = {(0, 0): "A", (0, 1): "B"}
    assert first_match(lambda i, j: subjects[(i, j)], matches) == 0


def test_first_match_skips_conditions_that_cannot_be_evaluated():
    matches = [{"conditions": [{"type": "regex", "value": "("}]},
               {"conditions": [{"type": "bogus", "value": "x"}]},
               {"conditions": [{"type": "regex", "value": "y.*"}]}]
    errors: list[str] = []
    assert first_match(lambda i, j: "yes", matches, errors) == 2
    assert len(errors) == 2 and "not a valid regular expression" in errors[0]
    assert first_match(lambda i, j: "yes", matches) == 2  # errors are optional
