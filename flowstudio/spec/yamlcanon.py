"""The fastest way to read a flow file as FlowStudio writes it (flowfile.dump_flow).

`yamlio.load_yaml` tries this reader first. A canonical flow file is a small part of
YAML: block mappings and sequences indented by two, one `key: value` per line with plain
keys, values that are plain scalars, single-quoted strings, `|` blocks, or one-line
`{key: value, ...}` mappings (canvas positions), no comments, no blank lines. Read line
by line with a regular expression and string operations, such a file costs about 40 %
less than going through libyaml's events (yamlfast.py): the 2,000-widget benchmark
flow, 106-135 -> 66-78 ms of CPU (best of 9, two runs on a loaded machine; libyaml's
events alone, before any Python work on them, were about 56 ms).

Anything outside that part, however legal (a comment, a tab, a double-quoted string,
an anchor, a key in quotes, an unexpected indent...), makes it give up: `load_yaml` then
reads the document with yamlfast.py, and that one gives up to the careful reader for
what it does not read. So what this reader accepts it reads exactly as libyaml does
(tests/spec/test_yamlcanon.py checks it on generated flows, the project's flows and
thousands of mutated files), and every refusal still comes from the careful reader.
"""
from __future__ import annotations

import re

from .gcpause import gc_paused
from .yamlfast import STR, resolve   # yamlio, which calls this reader, imports yaml anyway

_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: (.*))?\Z")
# The usual line: a key and a plain value of letters, digits and a few safe marks, which
# libyaml reads as its face (no indicator first, no `: `, ` #` or trailing space).
_KEY_WORD = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*): ([A-Za-z0-9_.~(][A-Za-z0-9_.~()/+=!?, -]*(?<! ))\Z")
# (Inside `{...}`, a `?` always starts a key for libyaml: no value may begin with one.)
_FLOW_ITEM = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*): ([^,:#{}\[\]'\" ?][^,:#{}\[\]'\"]*)\Z")
_QUOTED = re.compile(r"'((?:[^']|'')*)'\Z")
# Characters that start something other than a plain scalar (YAML's indicators).
_NOT_PLAIN_START = frozenset(",[]{}#&*!|>'\"%@`")
# Characters after which libyaml may read a text differently from its face: line breaks
# it normalises, a byte-order mark, tabs, NUL.
_AWKWARD = ("\r", "\t", "\x00", "\ufeff", "\x85", "\u2028", "\u2029")


class GiveUp(Exception):
    """The text is not in the canonical form this reader takes."""


def read_canonical(text: str, max_depth: int, rules: dict, converters: dict):
    """(data, None, raw_scalars) of a canonical flow file (see the module docstring), as
    yamlfast.read_plain gives them without locations, or None to leave it to that reader."""
    if not text.endswith("\n") or any(ch in text for ch in _AWKWARD):
        return None
    with gc_paused():   # many objects, no cycles (gcpause.py)
        try:
            return _read(text.split("\n")[:-1], max_depth, rules, converters)
        except (GiveUp, ValueError):   # ValueError: a number `int` refuses (yamlio._scalar says where)
            return None


def _read(lines: list, max_depth: int, rules: dict, converters: dict):
    root: dict = {}
    raw: dict = {}
    seen: dict = {}   # plain scalars' types by text (see yamlfast.py)
    # Open collections: (indent of their lines, the collection, is it a mapping, path).
    stack: list = [(0, root, True, ())]
    pending = None    # (mapping, its indent, key, path) of a `key:` whose value comes on the next lines
    limit = max_depth - 1   # a generous margin: deep documents are yamlfast's
    i, n = 0, len(lines)
    if not n:
        raise GiveUp

    def scalar(value_text: str, path: tuple):
        """The value of a one-line scalar or flow collection; records a typed one's text."""
        first = value_text[:1]
        if first == "'":
            match = _QUOTED.match(value_text)
            if match is None or not value_text.isprintable():
                raise GiveUp
            return match.group(1).replace("''", "'")
        if first == "{" or first == "[":
            if value_text == "{}":
                return {}
            if value_text == "[]":
                return []
            if first == "[" or value_text[-1] != "}" or len(path) >= limit:
                raise GiveUp
            out: dict = {}
            for item in value_text[1:-1].split(", "):
                match = _FLOW_ITEM.match(item)
                if match is None:
                    raise GiveUp
                key, plain_text = match.groups()
                if key in out:
                    raise GiveUp
                out[key] = plain(plain_text, path + (key,))
            return out
        return plain(value_text, path)

    def plain(value_text: str, path: tuple):
        if (not value_text or value_text[0] in _NOT_PLAIN_START or value_text[-1] in " :"
                or value_text[0] == " " or "#" in value_text or ": " in value_text
                or (value_text[0] in "-?:" and value_text[1:2] in ("", " "))
                or not value_text.isprintable()):
            raise GiveUp
        if value_text[:1] not in rules:
            return value_text
        typed = seen.get(value_text) or resolve(value_text, rules, converters, seen)
        if typed[0] != STR:
            raw[path] = value_text
        return typed[1]

    def block(start: int, parent_indent: int, style: str) -> tuple[str, int]:
        """A `|` block scalar's text from line `start`, and the line after it."""
        j = start
        indent = None
        content: list = []
        while j < n:
            line = lines[j]
            if line == "":
                content.append("")
            else:
                stripped = line.lstrip(" ")
                here = len(line) - len(stripped)
                if indent is None:
                    if here <= parent_indent:
                        break
                    indent = here
                elif here < indent:
                    break
                if not stripped:
                    raise GiveUp   # a line of spaces only: libyaml's rules for those are subtle
                content.append(line[indent:])
            j += 1
        trailing = 0
        while content and content[-1] == "":
            content.pop()
            trailing += 1
        if indent is None or not content or not all(part.isprintable() for part in content):
            raise GiveUp
        value = "\n".join(content)
        if style == "|":
            value += "\n"
        elif style == "|+":
            value += "\n" * (trailing + 1)
        return value, start + len(content) + trailing if style == "|+" else start + len(content)

    while i < n:
        line = lines[i]
        stripped = line.lstrip(" ")
        if not stripped:
            raise GiveUp
        indent = len(line) - len(stripped)
        item = stripped[:2] == "- "
        if pending is not None:
            parent, parent_indent, key, path = pending
            pending = None
            if indent <= parent_indent:
                raise GiveUp   # `key:` and nothing under it (null), or a list beside its key
            child: dict | list = [] if item else {}
            parent[key] = child
            stack.append((indent, child, not item, path))
            top = stack[-1]
        else:
            top = stack[-1]
            while top[0] > indent:
                stack.pop()
                top = stack[-1]
            if top[0] != indent:
                raise GiveUp
        _, container, is_map, path = top
        if item:
            if is_map:
                raise GiveUp
            rest = stripped[2:]
            here = path + (len(container),)
            match = _KEY_WORD.match(rest) or _KEY.match(rest)
            if match is None:
                if rest in ("|", "|-", "|+") or len(here) >= limit:
                    raise GiveUp
                container.append(scalar(rest, here))
                i += 1
                continue
            container = {}
            top[1].append(container)
            indent += 2
            stack.append((indent, container, True, here))
            path = here
        elif not is_map:
            raise GiveUp
        else:
            match = _KEY_WORD.match(stripped) or _KEY.match(stripped)
            if match is None:
                raise GiveUp
        key, value_text = match.groups()
        if key in container or len(path) >= limit:
            raise GiveUp
        if value_text is None:
            pending = (container, indent, key, path + (key,))
            i += 1
        elif match.re is _KEY_WORD:
            if value_text[:1] in rules:
                container[key] = plain(value_text, path + (key,))
            else:
                container[key] = value_text
            i += 1
        elif value_text in ("|", "|-", "|+"):
            container[key], i = block(i + 1, indent, value_text)
        else:
            container[key] = scalar(value_text, path + (key,))
            i += 1
    if pending is not None:
        raise GiveUp
    return root, None, raw
