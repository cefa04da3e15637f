"""A Studio definition inside a file that is not JSON.

Public Studio flows often ship wrapped: a Twilio Functions asset
(`const flowDefinition = {...}; module.exports = ...`), a README's JSON block, a
Terraform heredoc. `embedded_definition` finds the first JSON object in the text that
is, or holds, an object with a `states` list (the REST API's Flow resource holds it as
`definition`, which `import-studio` unwraps), so those files are read as they are.
`literal_definition` reads one written as a plain JavaScript object (unquoted keys,
single quotes, trailing commas, comments: as twilio-labs/function-templates ship their
flows) with the json5 package. A definition built with code (variables, `+`) or
Terraform's `jsonencode` of HCL is not guessed at.
"""
from __future__ import annotations

import json
import re

import json5

# Where an object may start: `{` then a double-quoted key (or `}`), as JSON writes it.
_OBJECT_START = re.compile(r'\{\s*["}]')
MAX_TRIES = 1_000   # bounds the work on a large file that holds no definition


def embedded_definition(text: str) -> tuple[dict, int] | None:
    """The first JSON object in `text` that is a Studio definition (a `states` list) or
    holds one (the REST API's Flow resource: `definition`), and the line it starts on;
    None when there is none."""
    decoder = json.JSONDecoder()
    position, tries = 0, 0
    while tries < MAX_TRIES:
        start = _OBJECT_START.search(text, position)
        if start is None:
            return None
        tries += 1
        try:
            value, end = decoder.raw_decode(text, start.start())
        except json.JSONDecodeError:
            position = start.start() + 1
            continue
        found = _found(value, text, start.start())
        if found is not None:
            return found
        position = end   # a whole JSON value without a definition: nothing inside it either
    return None


def nested_definition(value) -> tuple[dict, str] | None:
    """`value` if it is a definition (path ""), else the first one nested in it, breadth
    first, with its dotted path (`definition` in the REST API's flow resource)."""
    todo = [(value, "")]
    while todo:
        item, path = todo.pop(0)
        if isinstance(item, dict):
            if isinstance(item.get("states"), list):
                return item, path
            todo.extend((v, f"{path}.{k}" if path else str(k)) for k, v in item.items())
        elif isinstance(item, list):
            todo.extend((v, f"{path}[{i}]") for i, v in enumerate(item))
    return None


LITERAL_MAX_CHARS = 256 * 1024   # the largest public export seen is 48 KB as JSON
LITERAL_BUDGET = 512 * 1024      # characters json5 may be asked to read in all
# `{` then a key as JavaScript writes one (a name or a quoted string) and `:`.
_LITERAL_START = re.compile(r"""\{\s*(?:[A-Za-z_$][\w$]*|"[^"\n]*"|'[^'\n]*')\s*:""")
_QUOTES = "'\"`"


def literal_definition(text: str) -> tuple[dict, int] | None:
    """The first plain JavaScript object in `text` that is or holds a Studio definition
    (see nested_definition), read as JSON5, and the line it starts on; None if none.
    json5 is pure Python (some 40 KB a second here), so a larger text is not read and
    the attempts share a budget of characters: a definition is far smaller."""
    if len(text) > LITERAL_MAX_CHARS:
        return None
    position, budget = 0, LITERAL_BUDGET
    while budget > 0:
        start = _LITERAL_START.search(text, position)
        if start is None:
            return None
        end = _object_end(text, start.start())
        if end is None:
            return None
        budget -= end - start.start()
        try:
            value = json5.loads(text[start.start():end])
        except ValueError:   # code, not a literal (a variable, a `+`...): try the objects inside
            position = start.start() + 1
            continue
        found = _found(value, text, start.start())
        if found is not None:
            return found
        position = end
    return None


def _found(value, text: str, at: int) -> tuple[dict, int] | None:
    """What an object read at `at` gives import-studio, with its line: the definition in
    it, or the object itself when it is a definition or the REST API's Flow resource (kept
    whole: import-studio takes its `definition` and `sid`)."""
    found = nested_definition(value)
    if found is None:
        return None
    return (value if found[1] in ("", "definition") else found[0]), text.count("\n", 0, at) + 1


def _object_end(text: str, start: int) -> int | None:
    """Where the object opened at `start` closes, skipping strings and comments."""
    depth, i, n = 0, start, len(text)
    while i < n:
        c = text[i]
        if c in _QUOTES:
            i += 1
            while i < n and text[i] != c:
                i += 2 if text[i] == "\\" else 1
        elif text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif text.startswith("/*", i):
            i = text.find("*/", i)
            i = n if i < 0 else i + 1
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None
