"""Regular expressions that people type into a split ("Matches regex"), compiled safely.

The validator and the runtime compile a pattern the same way (`compile_pattern`): with
the `regex` module (whose matching takes a timeout), case-insensitive, surrounding
space stripped. Before that, a pattern is refused, with a reason a person can act on,
when compiling it could hurt the process rather than merely fail:
- longer than MAX_LENGTH characters;
- nested so deeply that the parser runs out of recursion (`((((...` thousands deep);
- bounded repeats that multiply out to more than MAX_EXPANSION copies of their body:
  `regex` unrolls them when it compiles, so `((a{100}){100}){100}` took all the memory
  of the machine (killed by the kernel) and `(?:a{1000}){1000}` 0.35 s;
and every way compiling itself can fail (a syntax error, a repeat count too big,
RecursionError, MemoryError...) is a PatternError, never an exception from deep inside.
"""
from __future__ import annotations

import re
import re._parser as sre_parse   # the standard library's own parser: the pattern's shape
from functools import lru_cache

import regex

MAX_LENGTH = 2_000
MAX_EXPANSION = 10_000
FLAGS = regex.IGNORECASE | regex.FULLCASE
_QUANTIFIER = re.compile(r"\{\s*(\d+)\s*(?:,\s*(\d*)\s*)?\}")


class PatternError(ValueError):
    """A pattern that cannot be used; the message says why, for the person who wrote it."""


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str):
    """The compiled pattern (as a split's "Matches regex" uses it), or PatternError."""
    text = (pattern or "").strip()
    if len(text) > MAX_LENGTH:
        raise PatternError(f"the pattern is {len(text):,} characters long; at most {MAX_LENGTH:,}")
    size = _expanded_size(text)
    if size > MAX_EXPANSION:
        raise PatternError(f"its repeats multiply out to more than {MAX_EXPANSION:,} copies of what they repeat; "
                           "use smaller counts like {1,20}, or + and * instead of nested counts")
    try:
        return regex.compile(text, FLAGS)
    except regex.error as exc:
        raise PatternError(_clearer(text, exc)) from None
    except RecursionError:
        raise PatternError("its groups nest too deeply") from None
    except (OverflowError, MemoryError, ValueError, TypeError) as exc:
        raise PatternError(f"it cannot be compiled ({exc})") from None


def _clearer(text: str, exc: Exception) -> str:
    """The standard library's message when it also refuses the pattern: it names the
    place that is wrong ("missing ), unterminated subpattern at position 4"), where
    `regex` names the place it noticed (the end)."""
    try:
        re.compile(text)
    except re.error as std:
        return str(std)
    except Exception:  # noqa: BLE001 - only a better message was sought
        pass
    return str(exc)


def pattern_error(pattern: str) -> str | None:
    """Why `pattern` cannot be used in a split, or None when it can."""
    try:
        compile_pattern(pattern)
    except PatternError as exc:
        return str(exc)
    return None


def _expanded_size(text: str) -> int:
    """About how many units `regex` makes of the pattern once its bounded repeats are
    unrolled: from the standard library's parse tree when it can read the pattern,
    else (syntax only `regex` knows) the product of every counted repeat, which is
    never less."""
    try:
        return _tree_size(sre_parse.parse(text))
    except RecursionError:
        raise PatternError("its groups nest too deeply") from None
    except (re.error, OverflowError, ValueError, TypeError, MemoryError):
        size = 1
        for low, high in _QUANTIFIER.findall(text):
            size *= max(int(high or 0), int(low), 1)
            if size > MAX_EXPANSION:
                break
        return size


def _tree_size(items) -> int:
    """The unrolled size of a parsed (sub)pattern, iteratively: deep trees are fine."""
    total = 0
    todo = [(items, 1)]   # (a list of (op, argument) items, how many copies of them)
    while todo:
        seq, factor = todo.pop()
        for op, av in seq:
            name = str(op)
            total += factor
            if total > MAX_EXPANSION:
                return total
            if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                low, high, sub = av
                copies = high if high != sre_parse.MAXREPEAT else low + 1
                todo.append((sub, factor * max(copies, 1)))
            elif name in ("SUBPATTERN",):
                todo.append((av[-1], factor))
            elif name in ("ATOMIC_GROUP",):
                todo.append((av, factor))
            elif name in ("ASSERT", "ASSERT_NOT"):
                todo.append((av[1], factor))
            elif name == "BRANCH":
                todo.extend((alt, factor) for alt in av[1])
            elif name == "GROUPREF_EXISTS":
                todo.extend((alt, factor) for alt in av[1:] if alt is not None)
    return total
