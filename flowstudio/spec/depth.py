"""How deeply a document nests, measured without recursion.

Flows nest a few levels (widgets, properties, a split's conditions); a document nested
thousands of levels deep is an attack: C parsers that recurse (libyaml's composer)
crash the process, and Python code that recurses (the JSON decoder, the schema
validator) raises RecursionError far from where the problem is. Every document that
comes in (a flow file, a draft, a `validate` request, any JSON body) is measured here
first, iteratively, and refused with the path where it goes too deep.
"""
from __future__ import annotations

# The deepest a flow document may nest (the root is level 0): a flow needs about 8
# (widgets > widget > transitions > match > conditions > condition > arguments > ...),
# Studio's own JSON a few more; 64 leaves room for any real one.
MAX_DEPTH = 64


def too_deep(data, limit: int = MAX_DEPTH) -> tuple | None:
    """The path of the first value nested deeper than `limit` levels in plain data
    (dicts and lists), or None when the whole document is within the limit."""
    todo = [(data, ())]
    while todo:
        value, path = todo.pop()
        if isinstance(value, dict):
            items = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            continue
        if len(path) >= limit:
            return path
        todo.extend((child, path + (key,)) for key, child in items)
    return None


def dotted(path: tuple) -> str:
    """A path as people read it: `widgets[3].properties.body`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def nul_path(data) -> tuple | None:
    """The path of the first string (value or key) holding a NUL character, or None.
    NUL has no place in a flow or a message, and PostgreSQL cannot store it."""
    todo = [(data, ())]
    while todo:
        value, path = todo.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return path
        elif isinstance(value, dict):
            for key, child in value.items():
                if isinstance(key, str) and "\x00" in key:
                    return path + (key,)
                todo.append((child, path + (key,)))
        elif isinstance(value, list):
            todo.extend((child, path + (i,)) for i, child in enumerate(value))
    return None
