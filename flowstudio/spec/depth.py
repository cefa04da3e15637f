"""How deeply a document nests, measured without recursion.

Flows nest a few levels (widgets, properties, a split's conditions); a document nested
thousands of levels deep is an attack: C parsers that recurse (libyaml's composer)
crash the process, and Python code that recurses (the JSON decoder, the schema
validator) raises RecursionError far from where the problem is. Every document that
comes in (a flow file, a draft, a `validate` request, any JSON body) is measured here
first, iteratively, and refused with the path where it goes too deep.
"""
from __future__ import annotations

import re

# The deepest a flow document may nest (the root is level 0): a flow needs about 8
# (widgets > widget > transitions > match > conditions > condition > arguments > ...),
# Studio's own JSON a few more; 64 leaves room for any real one.
MAX_DEPTH = 64


def too_deep(data, limit: int = MAX_DEPTH) -> tuple | None:
    """The path of the first value nested deeper than `limit` levels in plain data
    (dicts and lists), or None when the whole document is within the limit."""
    if _deepest_ok(data, limit):
        return None
    return _first_path(data, lambda value, path: isinstance(value, (dict, list)) and len(path) >= limit)


def nul_path(data) -> tuple | None:
    """The path of the first string (value or key) holding a NUL character, or None.
    NUL has no place in a flow or a message, and PostgreSQL cannot store it."""
    if not _any_nul(data):
        return None
    return _string_path(data, lambda text: "\x00" in text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def surrogate_path(data) -> tuple | None:
    """The path of the first string (value or key) holding a lone surrogate, or None.
    Only JSON's `\\ud800` escapes make one: it is no character, cannot be written as
    UTF-8 (a reply, a message, a CSV), and JSON text holding its escape is refused by
    the store's reader (orjson) once written."""
    return _string_path(data, lambda text: _SURROGATE.search(text) is not None)


def _string_path(data, holds) -> tuple | None:
    """The path of the first string value, or dict key, for which `holds(text)`."""
    return _first_path(data, lambda value, path: isinstance(value, str) and holds(value)
                       or bool(path) and isinstance(path[-1], str) and holds(path[-1]))


def dotted(path: tuple) -> str:
    """A path as people read it: `widgets[3].properties.body`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# The checks run on every document the validator sees (a 2,000-widget flow has about
# 60,000 values), so the common case, a document with no problem, walks containers
# only and builds no paths: 39 ms -> about 4 ms on that flow. The path is found again,
# slowly, only for the rare document that has the problem.


def _deepest_ok(data, limit: int) -> bool:
    if not isinstance(data, (dict, list)):
        return True
    todo = [(data, 0)]
    while todo:
        value, depth = todo.pop()
        if depth >= limit:
            return False
        for child in (value.values() if isinstance(value, dict) else value):
            if isinstance(child, (dict, list)):
                todo.append((child, depth + 1))
    return True


def _any_nul(data) -> bool:
    todo = [data]
    while todo:
        value = todo.pop()
        if type(value) is str:
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            for key in value:
                if type(key) is str and "\x00" in key:
                    return True
            todo.extend(value.values())
        elif isinstance(value, list):
            todo.extend(value)
        elif isinstance(value, str) and "\x00" in value:
            return True
    return False


def value_path(data, found) -> tuple | None:
    """The path of a value (or container) for which `found(value)` holds, or None."""
    return _first_path(data, lambda value, path: found(value))


def _first_path(data, wrong) -> tuple | None:
    todo = [(data, ())]
    while todo:
        value, path = todo.pop()
        if wrong(value, path):
            return path
        if isinstance(value, dict):
            todo.extend((child, path + (key,)) for key, child in value.items())
        elif isinstance(value, list):
            todo.extend((child, path + (i,)) for i, child in enumerate(value))
    return None
