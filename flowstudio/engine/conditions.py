"""Split Based On conditions, evaluated purely: Studio's 17 condition types.

Matching is case-insensitive (Unicode casefold) and both sides are trimmed. Times and
dates are compared exactly as given (no clock, no time zones). No I/O.

A regex gets REGEX_TIMEOUT, or what is left of the turn's budget if that is less
(budget.py): a split of forty slow patterns cannot take forty times the limit. A
pattern that runs out of the turn's budget ends the turn (BudgetExceeded) rather than
counting as not matching.
"""
import re
from datetime import date
from decimal import Decimal
from typing import Callable

from ..spec.patterns import PatternError, compile_pattern
from .budget import YIELD_AFTER, BudgetExceeded
from .budget import current as current_budget

REGEX_TIMEOUT = 0.25  # seconds one user pattern may take before we give up on it

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_TIME = re.compile(r"(?:[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ])?([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?"
                   r"(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?")
_TIME_12H = re.compile(r"([0-9]{1,2})(?::([0-9]{2})(?::([0-9]{2}))?)?\s*([AaPp])\.?[Mm]\.?")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt ].*)?")
_US_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")


class ConditionError(Exception):
    """A condition could not be evaluated (bad regex, regex too slow); message is plain English for a non-developer."""


def _fold(s: str | None) -> str:
    """Trim and casefold, so comparisons are case- and whitespace-insensitive."""
    return (s or "").strip().casefold()


def _number(s: str | None) -> Decimal | None:
    """A finite number written plainly (e.g. '-3', '+2.50', '1e3'), else None."""
    s = (s or "").strip()
    try:
        return Decimal(s) if _NUMBER.fullmatch(s) else None
    except ArithmeticError:  # an exponent beyond Decimal's range
        return None


def _time(s: str | None) -> tuple[int, int, int] | None:
    """(hour, minute, second) from 'HH:MM[:SS]', an ISO datetime's time part or '5:05 PM'."""
    s = (s or "").strip()
    if m := _TIME.fullmatch(s):
        h, mi, sec = int(m[1]), int(m[2]), int(m[3] or 0)
    elif m := _TIME_12H.fullmatch(s):
        h, mi, sec = int(m[1]), int(m[2] or 0), int(m[3] or 0)
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if m[4] in "Pp" else 0)
    else:
        return None
    return (h, mi, sec) if h < 24 and mi < 60 and sec < 60 else None


def _date(s: str | None) -> date | None:
    """A date from 'YYYY-MM-DD', an ISO datetime's date part or 'MM/DD/YYYY', else None."""
    s = (s or "").strip()
    if m := _ISO_DATE.fullmatch(s):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _US_DATE.fullmatch(s):
        y, mo, d = int(m[3]), int(m[1]), int(m[2])
    else:
        return None
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def _regex(subject: str, pattern: str | None) -> bool:
    """Whole-string, case-insensitive match of a user's pattern, with a time limit."""
    try:
        compiled = compile_pattern(pattern)
    except PatternError as exc:
        raise ConditionError(f"the pattern {pattern!r} is not a valid regular expression ({exc})") from None
    subject = subject.strip()
    budget = current_budget()
    timeout = REGEX_TIMEOUT
    if budget is not None:
        try:
            budget.check()
        except BudgetExceeded as exc:   # spent by the patterns before: say where it stopped
            raise BudgetExceeded(f"{exc} (stopped before checking the pattern {pattern!r})") from None
        timeout = min(timeout, budget.remaining())
        if not budget.long:
            # Most patterns answer at once: try briefly while this turn holds others up;
            # a slow one is run again once the turn lets them through (became_long).
            try:
                return compiled.fullmatch(subject, timeout=min(timeout, YIELD_AFTER)) is not None
            except TimeoutError:
                budget.became_long()
    try:
        # The regex module lets other threads run while it matches (the subject is a str).
        return compiled.fullmatch(subject, timeout=timeout) is not None
    except TimeoutError:
        if timeout < REGEX_TIMEOUT:
            raise BudgetExceeded(f"this message's processing used more than its {budget.cpu_seconds:g} s of "
                                 f"CPU time (the last in checking the pattern {pattern!r})") from None
        raise ConditionError(f"the pattern {pattern!r} took too long to check (over {REGEX_TIMEOUT} s); "
                             "simplify it, e.g. avoid nested repeats like (a+)+") from None


def _ordered(parse: Callable, before: bool) -> Callable[[str, str | None], bool]:
    """A strict before/after (or less/greater) test; False if either side does not parse."""
    def test(subject: str, value: str | None) -> bool:
        a, b = parse(subject), parse(value)
        if a is None or b is None:
            return False
        return a < b if before else a > b
    return test


def _any_of(subject: str, value: str | None) -> bool:
    """Subject equals one item of a comma-separated list (items trimmed, empty ones ignored)."""
    items = {_fold(item) for item in (value or "").split(",")} - {""}
    return _fold(subject) in items


_TESTS: dict[str, Callable[[str, str | None], bool]] = {
    "equal_to": lambda s, v: _fold(s) == _fold(v),
    "not_equal_to": lambda s, v: _fold(s) != _fold(v),
    "matches_any_of": _any_of,
    "does_not_match_any_of": lambda s, v: not _any_of(s, v),
    "is_blank": lambda s, v: _fold(s) == "",
    "is_not_blank": lambda s, v: _fold(s) != "",
    "regex": _regex,
    "contains": lambda s, v: _fold(v) in _fold(s),
    "does_not_contain": lambda s, v: _fold(v) not in _fold(s),
    "starts_with": lambda s, v: _fold(s).startswith(_fold(v)),
    "does_not_start_with": lambda s, v: not _fold(s).startswith(_fold(v)),
    "less_than": _ordered(_number, before=True),
    "greater_than": _ordered(_number, before=False),
    "is_before_time": _ordered(_time, before=True),
    "is_after_time": _ordered(_time, before=False),
    "is_before_date": _ordered(_date, before=True),
    "is_after_date": _ordered(_date, before=False),
}


def evaluate(condition_type: str, subject: str, value: str | None) -> bool:
    """Whether `subject` satisfies the condition `condition_type` with `value` (None = no value)."""
    test = _TESTS.get(condition_type)
    if test is None:
        raise ConditionError(f"{condition_type!r} is not a known kind of condition")
    return test(subject if subject is not None else "", value)


def first_match(subject_for: Callable[[int, int], str], matches: list[dict],
                errors: list[str] | None = None) -> int | None:
    """Index of the first `match` transition whose conditions all hold, else None.

    `subject_for(i, j)` gives the text tested by condition j of match i. A match with no
    conditions never wins. A condition that cannot be evaluated counts as not holding; its
    message is appended to `errors` when given.
    """
    for i, match in enumerate(matches):
        conditions = match.get("conditions") or []
        if conditions and all(_safe(subject_for(i, j), c, errors) for j, c in enumerate(conditions)):
            return i
    return None


def _safe(subject: str, condition: dict, errors: list[str] | None) -> bool:
    """evaluate(), with a ConditionError turned into False (and noted)."""
    try:
        return evaluate(condition.get("type", ""), subject, condition.get("value"))
    except ConditionError as exc:
        if errors is not None:
            errors.append(f"condition {condition.get('type')} {condition.get('value')!r} was skipped: {exc}")
        return False
