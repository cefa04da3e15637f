"""Liquid templates as Studio renders them, with python-liquid.

Studio's templates see `trigger`, `flow`, `contact` and `widgets`, know the extra
`to_json` filter, and render missing values as empty text. Two things differ from a
plain python-liquid environment on purpose:
- `"now" | date: ...` uses the engine's clock (passed in), never the machine's, so an
  execution replays the same way in a test;
- what a template may build and do is bounded (`bounds`): its output (16 KB), its loops
  (1,000 iterations), every text, list, range and number it makes along the way, and
  the names it assigns; hitting a bound is a template error like any other. Every
  filter call and loop iteration also checks the turn's CPU budget (engine/budget.py).

Simple templates (text, variable paths with filters, `if` on a variable) are rendered by
a plan from `liquidplan`, which gives python-liquid's text at a fraction of its set-up
cost and leaves every doubtful case to python-liquid (28 % of a whole webhook turn
saved: liquidplan's docstring has the figure and the command).
"""
from __future__ import annotations

import json
from contextvars import ContextVar
from datetime import datetime

from liquid import Environment
from liquid.builtin.filters.misc import date as _liquid_date
from liquid.exceptions import (LiquidError, LocalNamespaceLimitError, LoopIterationLimitError,
                               OutputStreamLimitError)
from liquid.filter import liquid_filter, with_environment

from . import bounds, liquidplan
from .bounds import MAX_LOOP_ITERATIONS, MAX_NAMESPACE, MAX_OUTPUT

_now: ContextVar[datetime | None] = ContextVar("flowstudio_liquid_now", default=None)


class TemplateError(Exception):
    """A template could not be parsed or rendered; the message is for the flow's author."""


@with_environment
@liquid_filter
def _date(value, fmt, *, environment):
    """Liquid's `date`, with "now"/"today" read from the engine's clock."""
    if value in ("now", "today") and _now.get() is not None:
        value = _now.get()
    return _liquid_date(value, fmt, environment=environment)


def _to_json(value) -> str:
    """Studio's `to_json`: the value as JSON text (strings quoted and escaped)."""
    return json.dumps(value, ensure_ascii=False, default=str)


class StudioEnvironment(Environment):
    """python-liquid configured with Studio's filters and FlowStudio's resource caps."""

    output_stream_limit = MAX_OUTPUT
    loop_iteration_limit = MAX_LOOP_ITERATIONS
    local_namespace_limit = MAX_NAMESPACE
    context_depth_limit = 10  # no partial templates here: only nested blocks extend a context
    template_class = bounds.BoundedTemplate

    def setup_tags_and_filters(self, *args, **kwargs) -> None:
        super().setup_tags_and_filters(*args, **kwargs)
        self.filters["to_json"] = _to_json
        self.filters["date"] = _date
        # Every filter, python-liquid's and ours, checks the sizes of what it is given and
        # makes (liquidplan calls these same functions, so it obeys the same bounds).
        for name, func in list(self.filters.items()):
            self.filters[name] = bounds.bounded_filter(name, func)


ENV = StudioEnvironment()


class Templates:
    """Parsed templates of one flow revision, parsed on first use and then reused."""

    def __init__(self, env: Environment = ENV):
        self._env = env
        # source -> (python-liquid template, its plan from liquidplan, or None)
        self._parsed: dict[str, tuple] = {}

    def render(self, source, context: dict, now: datetime) -> str:
        """Render `source` with Studio's `context`; non-strings render as text."""
        if not isinstance(source, str):
            return "" if source is None else str(source)
        if "{" not in source:
            return source  # most values are plain text: skip the template machinery
        parsed = self._parsed.get(source)
        if parsed is None:
            parsed = self._parse(source)
        template, quick = parsed
        if quick is not None:
            # Same text as python-liquid, or None when python-liquid must decide. Plans
            # call no filter that reads the clock, so `now` need not be set for them.
            out = quick(context)
            if out is not None:
                return out
        token = _now.set(now)
        try:
            out = template.render(**context)
        except LiquidError as exc:
            raise TemplateError(_first_line(exc)) from None
        finally:
            _now.reset(token)
        return out

    def _parse(self, source: str) -> tuple:
        try:
            template = self._env.from_string(source)
        except LiquidError as exc:
            raise TemplateError(_first_line(exc)) from None
        bounds.bound_template(template)
        parsed = self._parsed[source] = (template, liquidplan.plan(template, self._env))
        return parsed

    def __len__(self) -> int:
        return len(self._parsed)


# python-liquid's own words for its limits, said for the flow's author.
_LIMITS = {
    LoopIterationLimitError: f"loops may run at most {MAX_LOOP_ITERATIONS:,} times in a template "
                             "(nested loops multiply)",
    OutputStreamLimitError: f"a template may write at most {MAX_OUTPUT // 1024} KB",
    LocalNamespaceLimitError: f"the values a template assigns may take at most {MAX_NAMESPACE // (1024 * 1024)} MB",
}


def _first_line(exc: Exception) -> str:
    for kind, message in _LIMITS.items():
        if isinstance(exc, kind):
            return message
    text = str(exc).splitlines()
    return text[0] if text else type(exc).__name__
