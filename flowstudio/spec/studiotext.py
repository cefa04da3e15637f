"""A Studio definition inside a file that is not JSON.

Public Studio flows often ship wrapped: a Twilio Functions asset
(`const flowDefinition = {...}; module.exports = ...`), a README's JSON block, a
Terraform heredoc. `embedded_definition` finds the first JSON object in the text that
is, or holds, an object with a `states` list (the REST API's Flow resource holds it as
`definition`, which `import-studio` unwraps), so those files are read as they are. A
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
        found = nested_definition(value)
        if found is not None:
            # A Flow resource stays whole: import-studio takes its `definition` and `sid`.
            keep = value if found[1] in ("", "definition") else found[0]
            return keep, text.count("\n", 0, start.start()) + 1
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
