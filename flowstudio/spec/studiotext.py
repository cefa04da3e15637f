"""A Studio definition inside a file that is not JSON.

Public Studio flows often ship wrapped: a Twilio Functions asset
(`const flowDefinition = {...}; module.exports = ...`), a README's JSON block, a
Terraform heredoc, the REST API's flow resource (`{"sid": ..., "definition": {...}}`).
`embedded_definition` finds the first JSON object in the text that is, or holds, an
object with a `states` list, so `import-studio` can read those as they are. A
JavaScript object literal (unquoted keys, single quotes) or Terraform's `jsonencode`
of HCL is not JSON and is not guessed at.
"""
from __future__ import annotations

import json
import re

# Where an object may start: `{` then a double-quoted key (or `}`), as JSON writes it.
_OBJECT_START = re.compile(r'\{\s*["}]')
MAX_TRIES = 1_000   # bounds the work on a large file that holds no definition


def embedded_definition(text: str) -> tuple[dict, int] | None:
    """The first Studio definition in `text` (a JSON object with a `states` list, or
    one nested in a JSON object) and the line its enclosing object starts on; None
    when there is none."""
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
        found = nested_definition(value)
        if found is not None:
            return found[0], text.count("\n", 0, start.start()) + 1
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
