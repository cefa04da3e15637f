"""A quicker way to render the simple templates most flows hold, with python-liquid's results.

python-liquid's `BoundTemplate.render` spends most of a small template's time setting
up (a render context, chained scopes, a limited output buffer, a context manager), far
more than resolving `{{flow.variables.answer}}` takes. `plan(template)` turns a parsed
template made only of
- text,
- outputs of a variable path (`a.b.c`, plain names only) with filters whose arguments
  are literals or such paths, and whose functions need no render context,
- `if`/`elsif`/`else` on the truth of such a path,
into a function of the context dict that resolves the paths itself and calls
python-liquid's own filter functions, `to_liquid_string` and `is_truthy`.

The function returns None, and the caller renders with python-liquid, whenever its
answer could differ from python-liquid's: a path that is not a chain of keys of plain
dicts (a missing root name, a list, `size`/`first`/`last` that are not keys), a missing
value fed to a filter, any exception from a filter, text over the output cap or that
cannot be encoded. `plan` returns None for a template outside this subset, or when the
environment is not configured the way this module relies on.

Plans obey the same bounds as python-liquid (engine/bounds.py): they call the
environment's filters, which check what they are given and make and tick the turn's
budget; a filter over a bound is left to python-liquid to report, and a spent budget
(BudgetExceeded) goes straight through.

Measured on a whole in-process webhook SMS turn on SQLite (bench_runtime's 3-widget
FLOW renders 8 templates a turn; a fast path stays while it saves >= 5 % of a turn):
0.85 ms of CPU with plans against 1.18 ms with python-liquid alone, 28 % of the turn
saved (26 % in a second run: 0.99 against 1.35 ms);
`python benchmarks/run.py -k "python-liquid alone"` (bench_fastpaths.py). Through the real
server, the worker's CPU per request: 1.41 ms against 1.74 ms (19 %).
"""
from __future__ import annotations

from typing import Callable

from liquid import Environment
from liquid.ast import BlockNode, ConditionalBlockNode
from liquid.builtin.content import ContentNode
from liquid.builtin.expressions import BooleanExpression, FilteredExpression, Path
from liquid.builtin.expressions.arguments import KeywordArgument, PositionalArgument
from liquid.builtin.expressions.filtered import Filter
from liquid.builtin.expressions.logical import is_truthy
from liquid.builtin.expressions.primitive import (FalseLiteral, FloatLiteral, IntegerLiteral, StringLiteral,
                                                  TrueLiteral)
from liquid.builtin.output import OutputNode
from liquid.builtin.tags.if_tag import IfNode
from liquid.stringify import to_liquid_string
from liquid.undefined import Undefined

from .budget import BudgetExceeded

Plan = Callable[[dict], "str | None"]

# get_item() answers these from a dict that lacks them as keys (its length, its first
# item), so a miss on them is not simply undefined.
_SPECIAL_KEYS = ("size", "first", "last")
_LITERALS = (StringLiteral, IntegerLiteral, FloatLiteral, TrueLiteral, FalseLiteral)


class _Miss(Exception):
    """Raised inside a plan when python-liquid must render the template instead."""


class _Unsupported(Exception):
    """Raised while planning a template outside the subset."""


_UNDEFINED = object()  # a path that python-liquid would resolve to its Undefined


def plan(template, env: Environment) -> Plan | None:
    """A function rendering `template` (parsed by `env`) from a context dict, or None
    when the template is outside the subset. The function returns None when
    python-liquid must render that context instead (see the module docstring)."""
    if (env.autoescape or env.undefined is not Undefined or template.globals or template.matter
            or env.output_stream_limit is None):
        return None  # the subset's reasoning assumes python-liquid's defaults here
    try:
        parts = _block(template.nodes, env)
    except _Unsupported:
        return None
    limit = env.output_stream_limit

    def render(context: dict) -> str | None:
        if type(context) is not dict:
            return None
        out: list[str] = []
        try:
            for part in parts:
                part(context, out)
        except (_Miss, KeyError):
            return None
        text = "".join(out)
        # python-liquid's output buffer counts UTF-8 bytes against its cap, and fails on
        # text that has no UTF-8 form (lone surrogates): leave both cases to it.
        if text.isascii():
            size = len(text)
        else:
            try:
                size = len(text.encode("utf-8"))
            except UnicodeError:
                return None
        return text if size <= limit else None

    return render


# ---------------------------------------------------------------- nodes

def _block(nodes, env: Environment) -> list:
    return [_node(n, env) for n in nodes]


def _node(node, env: Environment):
    kind = type(node)
    if kind is ContentNode:
        text = node.text
        return lambda context, out: out.append(text)
    if kind is OutputNode:
        return _output(node.expression, env)
    if kind is IfNode:
        return _if(node, env)
    raise _Unsupported


def _output(expression, env: Environment):
    if type(expression) is not FilteredExpression:
        raise _Unsupported
    get = _path(expression.left)
    filters = [_filter(f, env) for f in expression.filters or ()]
    if not filters:
        def output(context, out):
            value = get(context)
            # python-liquid renders a missing value as its Undefined, which prints as "".
            out.append("" if value is _UNDEFINED else to_liquid_string(value, False))
        return output

    def filtered(context, out):
        value = get(context)
        if value is _UNDEFINED:
            raise _Miss  # filters see python-liquid's Undefined object: let it run them
        for apply in filters:
            value = apply(context, value)
        out.append(to_liquid_string(value, False))
    return filtered


def _if(node, env: Environment):
    if any(type(a) is not ConditionalBlockNode for a in node.alternatives):
        raise _Unsupported
    branches = [(_condition(node.condition), _branch(node.consequence, env))]
    branches += [(_condition(a.expression), _branch(a.block, env)) for a in node.alternatives]
    default = _branch(node.default, env) if node.default is not None else []

    def render_if(context, out):
        for test, parts in branches:
            if test(context):
                break
        else:
            parts = default
        for part in parts:
            part(context, out)
    return render_if


def _branch(block, env: Environment) -> list:
    if type(block) is not BlockNode:
        raise _Unsupported
    parts = _block(block.nodes, env)
    # python-liquid renders a blank block (only whitespace here: outputs are never
    # blank, and nothing else in the subset writes) to nowhere.
    return [] if block.blank and env.suppress_blank_control_flow_blocks else parts


def _condition(expression):
    if type(expression) is not BooleanExpression:
        raise _Unsupported
    get = _path(expression.expression)

    def test(context) -> bool:
        value = get(context)
        return False if value is _UNDEFINED else is_truthy(value)  # Undefined is not truthy
    return test


# ---------------------------------------------------------------- expressions

def _path(expression):
    """A getter for a path of plain names: the value, or _UNDEFINED where python-liquid's
    lookup would give its Undefined (a key missing from a dict). Anything else: _Miss."""
    if type(expression) is not Path:
        raise _Unsupported
    segments = expression.path
    if not segments or not all(type(s) is str for s in segments) or segments[0] == "partial":
        raise _Unsupported  # `partial` is a name python-liquid defines for every render
    root, rest = segments[0], tuple(segments[1:])

    def get(context):
        obj = context[root]  # a root that is not in the context: KeyError, python-liquid decides
        for key in rest:
            if type(obj) is not dict:
                raise _Miss
            try:
                obj = obj[key]
            except KeyError:
                if key in _SPECIAL_KEYS:
                    raise _Miss from None
                return _UNDEFINED
        return obj
    return get


def _filter(node, env: Environment):
    if type(node) is not Filter:
        raise _Unsupported
    func = env.filters.get(node.name)
    if func is None or getattr(func, "with_context", False) or getattr(func, "with_environment", False):
        raise _Unsupported  # unknown, or wants the render context (e.g. `date` reads the clock)
    positional, keywords = [], []
    for argument in node.args:
        if type(argument) is PositionalArgument:
            positional.append(_argument(argument.value))
        elif type(argument) is KeywordArgument:
            keywords.append((argument.name, _argument(argument.value)))
        else:
            raise _Unsupported

    def apply(context, value):
        args = [arg(context) for arg in positional]
        kwargs = {name: arg(context) for name, arg in keywords}
        try:
            return func(value, *args, **kwargs)
        except BudgetExceeded:
            raise
        except Exception:  # noqa: BLE001 - python-liquid reports it, in its own words
            raise _Miss from None
    return apply


def _argument(expression):
    if type(expression) in _LITERALS:
        value = expression.value
        return lambda context: value
    get = _path(expression)

    def argument(context):
        value = get(context)
        if value is _UNDEFINED:
            raise _Miss
        return value
    return argument
