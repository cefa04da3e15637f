"""The bounds on what one Liquid template may build and do.

python-liquid bounds a template's output, its loops (nested loops multiply), the names
it assigns and its nesting, and we set those limits (liquid.py). It does not bound
what a template builds on the way: `{{ (1..200000000) | join: "," | size }}` makes a
1.9 GB text before `size` counts it, and `{% assign s = s | append: s %}` doubles a
text each time. So here:
- a range has at most MAX_ITEMS numbers (checked when it is made: `bound_template`
  gives every range of a parsed template the check);
- every filter (`bounded_filter`) refuses a result that weighs more than MAX_TEXT
  characters as text, holds more than MAX_ITEMS items, or is a number of more than
  MAX_DIGITS digits; `join` and `replace`, whose result can be far larger than what
  they are given, are checked before they build it; and a filter that fails in a way
  python-liquid does not report (a number too large to print...) is a template error;
- every filter call and loop iteration ticks the turn's budget (budget.py), which
  bounds the total work of all the templates of one turn.

Values from outside (the trigger, HTTP bodies, flow variables) are already bounded
where they come in; these bounds keep what templates make from them bounded too.
"""
from __future__ import annotations

import functools
import math
from contextlib import contextmanager
from typing import Any, Callable

from liquid.builtin.expressions.primitive import RangeLiteral
from liquid.context import RenderContext
from liquid.exceptions import LiquidError
from liquid.template import BoundTemplate

from . import budget as _budget
from .budget import BudgetExceeded

MAX_OUTPUT = 16 * 1024          # bytes a template may write (python-liquid's output_stream_limit)
MAX_LOOP_ITERATIONS = 1000      # iterations of a loop, nested loops multiplied (python-liquid's)
MAX_NAMESPACE = 1024 * 1024     # bytes (sys.getsizeof) of the names a template assigns (python-liquid's)
MAX_TEXT = 256 * 1024           # characters of any value a filter makes, as text
MAX_ITEMS = 10_000              # items of any list or range
MAX_DIGITS = 1000               # digits of any whole number a filter makes

_MAX_BITS = int(MAX_DIGITS * math.log2(10)) + 1


class TemplateLimitError(LiquidError):
    """A template tried to build more than these bounds allow."""

    def __init__(self, message: str):
        super().__init__(message, token=None)


def _kb(n: int) -> str:
    return f"{n // 1024:,} KB"


# ---------------------------------------------------------------- weights

def weight(value: Any, limit: int = MAX_TEXT) -> int:
    """About how many characters `value` prints as; counting stops as soon as it passes
    `limit` (so a huge list costs no more to weigh than a small one)."""
    total = 0
    stack = [iter((value,))]  # iterators over the containers being weighed, innermost last
    while stack:
        for v in stack[-1]:
            kind = type(v)
            inner = None
            if kind is str:
                total += len(v)
            elif kind is int:
                total += v.bit_length() * 30103 // 100000 + 2
            elif kind is range:
                total += len(v) * (len(str(max(abs(v.start), abs(v.stop)))) + 2)
            elif isinstance(v, dict):
                total += 4 * len(v)
                inner = (item for pair in v.items() for item in pair)
            elif isinstance(v, (list, tuple)):
                total += 2 * len(v)
                inner = iter(v)
            else:
                total += 8  # floats, booleans, nil, drops, undefined: small
            if total > limit:
                return total
            if inner is not None:
                stack.append(inner)
                break  # weigh the inner container now; this one goes on after it
        else:
            stack.pop()
    return total


def check_value(value: Any, what: str) -> Any:
    """`value`, if it is within the bounds; else TemplateLimitError naming `what`."""
    kind = type(value)
    if kind is str:
        if len(value) > MAX_TEXT:
            raise TemplateLimitError(f"{what} made a text of {_kb(len(value))}; "
                                     f"a template may build at most {_kb(MAX_TEXT)}")
        return value
    if kind is int:
        if value.bit_length() > _MAX_BITS:
            raise TemplateLimitError(f"{what} made a number of more than {MAX_DIGITS:,} digits")
        return value
    if isinstance(value, (list, tuple, dict, range)):
        if len(value) > MAX_ITEMS:
            raise TemplateLimitError(f"{what} made a list of {len(value):,} items; "
                                     f"a template may build at most {MAX_ITEMS:,}")
        if kind is not range and weight(value) > MAX_TEXT:
            raise TemplateLimitError(f"{what} made a list of more than {_kb(MAX_TEXT)} as text; "
                                     f"a template may build at most {_kb(MAX_TEXT)}")
    return value


# ---------------------------------------------------------------- filters

def _before_join(value, separator=" ", *_args, **_kwargs) -> None:
    if isinstance(value, (list, tuple, range)):
        size = weight(value) + len(str(separator)) * len(value)
        if size > MAX_TEXT:
            raise TemplateLimitError(f"the filter 'join' would make a text of more than {_kb(MAX_TEXT)}; "
                                     f"a template may build at most {_kb(MAX_TEXT)}")


def _before_replace(value, old="", new="", *_args, **_kwargs) -> None:
    if isinstance(value, str):
        old, new = str(old), str(new)
        size = len(value) + (value.count(old) if old else len(value) + 1) * max(0, len(new) - len(old))
        if size > MAX_TEXT:
            raise TemplateLimitError(f"the filter 'replace' would make a text of {_kb(size)}; "
                                     f"a template may build at most {_kb(MAX_TEXT)}")


# Filters whose result can be far larger than what they are given: checked first.
_BEFORE: dict[str, Callable] = {"join": _before_join, "replace": _before_replace}


def bounded_filter(name: str, func: Callable) -> Callable:
    """`func` (a Liquid filter called `name`), checking the turn's budget and the bounds."""
    before = _BEFORE.get(name)
    what = f"the filter '{name}'"

    @functools.wraps(func)  # keeps with_context/with_environment, which python-liquid reads
    def bounded(value, *args, **kwargs):
        budget = _budget.current()
        if budget is not None:
            budget.tick()
        if before is not None:
            before(value, *args, **kwargs)
        try:
            result = func(value, *args, **kwargs)
        except (LiquidError, TypeError, BudgetExceeded):
            raise  # python-liquid reports these itself (TypeError: a wrong argument)
        except (ValueError, ArithmeticError, RecursionError, MemoryError) as exc:
            raise TemplateLimitError(f"{what} failed: {exc}") from None
        return check_value(result, what)

    return bounded


# ---------------------------------------------------------------- ranges, loops

class _BoundedRange(RangeLiteral):
    """A range literal `(a..b)` of at most MAX_ITEMS numbers (see bound_template)."""

    __slots__ = ()

    def _make_range(self, start: Any, stop: Any) -> range:
        made = super()._make_range(start, stop)
        if len(made) > MAX_ITEMS:
            raise TemplateLimitError(f"the range ({made.start}..{made.stop - 1}) has {len(made):,} numbers; "
                                     f"a range may have at most {MAX_ITEMS:,}")
        return made


def bound_template(template: BoundTemplate) -> None:
    """Give every range literal of a parsed template the MAX_ITEMS check. (python-liquid
    makes ranges in its expression parser, with no environment to ask; the template's
    own range objects are changed to the checking kind, which is a RangeLiteral too.)"""
    static = RenderContext(template)
    expressions = []

    def visit(node) -> None:
        expressions.extend(node.expressions())
        for child in node.children(static, include_partials=False):
            visit(child)

    for node in template.nodes:
        visit(node)
    while expressions:
        expression = expressions.pop()
        if type(expression) is RangeLiteral:
            expression.__class__ = _BoundedRange
        expressions.extend(expression.children())


class _Ticking:
    """A loop's iterator that ticks the turn's budget at every item."""

    __slots__ = ("_it", "_budget")

    def __init__(self, it, budget):
        self._it, self._budget = it, budget

    def __iter__(self):
        return self

    def __next__(self):
        self._budget.tick()
        return next(self._it)


class BoundedContext(RenderContext):
    """python-liquid's render context, whose loops tick the turn's budget."""

    @contextmanager
    def loop(self, namespace, forloop):
        """As RenderContext.loop; the loop's items come through _Ticking."""
        budget = _budget.current()
        if budget is not None and hasattr(forloop, "it"):
            forloop.it = _Ticking(forloop.it, budget)
        with super().loop(namespace, forloop) as context:
            yield context


class BoundedTemplate(BoundTemplate):
    """python-liquid's template, rendered with BoundedContext."""

    context_class = BoundedContext

