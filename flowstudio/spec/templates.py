"""Checks of the small languages inside a flow: Liquid templates and split regexes.

Every string property of a supported widget may hold Liquid (as in Studio); strings
that contain `{{` or `{%` are parsed with python-liquid and a syntax error is reported
on that exact property. `regex` split conditions must compile.
"""
from __future__ import annotations

from functools import lru_cache

from liquid import Environment
from liquid.exceptions import LiquidError

from ..widgets import registry
from .model import MATCH, Flow
from .patterns import pattern_error

_ENV = Environment()


# Large enough for the biggest flows (Studio allows 2,000 widgets): entries are short strings.
@lru_cache(maxsize=65536)
def liquid_error(source: str) -> str | None:
    """The Liquid syntax error of `source` as one line, or None when it parses."""
    if "{{" not in source and "{%" not in source:
        return None
    try:
        _ENV.parse(source)
    except LiquidError as exc:
        return str(exc).splitlines()[0]
    return None


def regex_error(pattern: str) -> str | None:
    """Why `pattern` cannot be a split's regex (compiled as the runtime compiles it), or None."""
    return pattern_error(pattern)


def check(report, flow: Flow, indexes: list[int]) -> None:
    """Report Liquid syntax errors in properties and conditions, and invalid regexes."""
    for w, i in zip(flow.widgets, indexes):
        if registry.get(w.type) is None:
            continue  # unsupported widgets are kept verbatim, never run
        for path, text in _strings(w.properties, ("properties",)):
            _report_liquid(report, i, path, text)
        transitions = w.transitions if isinstance(w.transitions, dict) else {}
        matches = transitions.get(MATCH)
        for j, match in enumerate(matches if isinstance(matches, list) else []):
            conditions = match.get("conditions") if isinstance(match, dict) else None
            for k, cond in enumerate(conditions if isinstance(conditions, list) else []):
                if isinstance(cond, dict):
                    _check_condition(report, i, ("transitions", MATCH, j, "conditions", k), cond)


def _check_condition(report, i: int, where: tuple, cond: dict) -> None:
    for path, text in _strings(cond.get("arguments"), where + ("arguments",)):
        _report_liquid(report, i, path, text)
    value = cond.get("value")
    if cond.get("type") == "regex" and isinstance(value, str):
        problem = regex_error(value)
        if problem:
            report.add("invalid_regex", f"invalid regular expression: {problem}", i, where + ("value",))


def _report_liquid(report, i: int, path: tuple, text: str) -> None:
    problem = liquid_error(text)
    if problem:
        report.add("liquid_syntax", f"Liquid syntax error: {problem}", i, path)


def _strings(value, path: tuple):
    """Every string inside `value`, with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, path + (k,))
    elif isinstance(value, list):
        for k, v in enumerate(value):
            yield from _strings(v, path + (k,))
