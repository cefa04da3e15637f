"""The fast way to read an ordinary flow file: one flat loop over the parser's events.

`yamlio.load_yaml` reads every document here that the canonical reader (yamlcanon.py,
for files exactly as FlowStudio writes them) leaves, and works out every document's
locations here when an issue asks for a line. Composing libyaml's node tree and
converting it recursively cost about 750 ms on a 2,000-widget flow (a depth pre-check
over the events, the C composer calling PyYAML's Python resolver once per scalar, then
a recursive walk building a path tuple per value); this loop builds the same data, line
and column per path and source text of non-string scalars from the events alone, in
about a quarter of that (see benchmarks/README.md, "load 2,000-widget YAML").

It handles only what canonical flow files hold: mappings, lists and untagged scalars,
no anchors or aliases, unique plain keys, no NUL, nesting within MAX_DEPTH. On anything
else (and on any syntax error) it gives up and returns None, and `load_yaml` reads the
document the careful way, which refuses it with the place or reads it as before. So
both ways give the same result, and the rare constructs keep one implementation.
The parser's events come from libyaml's parser, which keeps its own stack on the heap:
unlike its composer it never recurses, so no depth pre-check is needed here.
"""
from __future__ import annotations

import yaml
from yaml.events import (DocumentEndEvent, DocumentStartEvent, MappingEndEvent, MappingStartEvent, ScalarEvent,
                         SequenceEndEvent, SequenceStartEvent, StreamEndEvent, StreamStartEvent)

from .gcpause import gc_paused


class GiveUp(Exception):
    """The document holds something this reader leaves to the careful one."""


_NO_KEY = object()
STR = "tag:yaml.org,2002:str"
FLOAT = "tag:yaml.org,2002:float"



def resolve(text: str, rules: dict, converters: dict, seen: dict) -> tuple:
    """The (tag, value) libyaml's resolver gives the plain scalar `text` (a string if
    no rule of its first character matches), remembered in `seen` for the next time the
    same text comes (floats aside: one object per float, NaN being unequal even to
    itself). Called only when `seen` does not have it."""
    for rule_tag, pattern in rules[text[:1]]:
        if pattern.match(text):
            typed = (rule_tag, converters[rule_tag](text))
            break
    else:
        typed = (STR, text)
    if typed[0] != FLOAT:
        seen[text] = typed
    return typed

def read_plain(parser, max_depth: int, rules: dict, converters: dict, located: bool = True):
    """(data, locations, raw_scalars) of a one-mapping document read from `parser`'s
    events (see the module docstring), or None to leave it to the careful reader.
    With `located` false, locations is None: the same document read without recording
    where each value is (about a third less work; see yamlio.load_yaml), and given up
    on in exactly the same cases.
    A plain scalar is typed by the YAML 1.2 core schema: `rules` are the (tag, pattern)
    pairs to try by its first character ("" for the empty scalar), `converters` turn
    its text into the tag's value."""
    # About 200,000 objects for a 2,000-widget flow, and no cycles (gcpause.py): about
    # a fifth of the reading time in a new process, measured with `flowstudio validate`.
    with gc_paused():
        try:
            return _read(parser.get_event, max_depth, rules, converters, located)
        except (GiveUp, yaml.YAMLError, ValueError):   # ValueError: a number `int` refuses (see yamlio._scalar)
            return None


def _read(get, max_depth: int, rules: dict, converters: dict, located: bool):
    if type(get()) is not StreamStartEvent or type(get()) is not DocumentStartEvent:
        raise GiveUp
    event = get()
    if type(event) is not MappingStartEvent or event.anchor is not None or event.tag is not None:
        raise GiveUp
    mark = event.start_mark
    locations: dict | None = {(): (mark.line + 1, mark.column + 1)} if located else None
    raw: dict = {}
    root: dict = {}
    # The container being filled, whether it is a mapping, the key waiting for its
    # value (mappings), the path of the container, and the frames above it.
    container, is_map, key, path = root, True, _NO_KEY, ()
    stack: list = []
    # The typing of plain scalars that may not be strings, by text: keys such as `next`
    # and `timeout` and values such as `null` and `600` come back thousands of times, and
    # matching them against the rules again was a tenth of this loop (2,000-widget flow,
    # read without locations: about 103 -> 93 ms CPU, of which libyaml's events are 56).
    seen: dict = {}
    while True:
        event = get()
        kind = type(event)
        if kind is ScalarEvent:
            if event.anchor is not None or event.tag is not None:
                raise GiveUp
            text = event.value
            if "\x00" in text:
                raise GiveUp
            tag, value = STR, text
            if event.implicit[0] and text[:1] in rules:   # plain, and may be typed (most start with a letter: no rules)
                tag, value = seen.get(text) or resolve(text, rules, converters, seen)
            if is_map:
                if key is _NO_KEY:
                    if tag != STR and (not isinstance(value, int) or isinstance(value, bool)):
                        value = text  # null/float/bool keys are names here, keep their text
                    if value in container:
                        raise GiveUp
                    key = value
                    if located:
                        mark = event.start_mark
                        locations[path + (key,)] = (mark.line + 1, mark.column + 1)
                    continue
                if len(path) >= max_depth:
                    raise GiveUp
                container[key] = value
                if tag != STR:
                    raw[path + (key,)] = text
                key = _NO_KEY
                continue
            else:
                if len(path) >= max_depth:
                    raise GiveUp
                if located:
                    mark = event.start_mark
                    locations[path + (len(container),)] = (mark.line + 1, mark.column + 1)
                if tag != STR:
                    raw[path + (len(container),)] = text
                container.append(value)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if event.anchor is not None or event.tag is not None or (is_map and key is _NO_KEY):
                raise GiveUp   # anchors, tags, and lists or mappings as keys
            if is_map:
                here = path + (key,)
                child: dict | list = {} if kind is MappingStartEvent else []
                container[key] = child
            else:
                here = path + (len(container),)
                if located:
                    mark = event.start_mark
                    locations[here] = (mark.line + 1, mark.column + 1)
                child = {} if kind is MappingStartEvent else []
                container.append(child)
            if len(here) > max_depth:
                raise GiveUp
            stack.append((container, is_map, path))
            container, is_map, key, path = child, kind is MappingStartEvent, _NO_KEY, here
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            if not stack:
                break
            container, is_map, path = stack.pop()
            key = _NO_KEY
        else:   # an alias (left to the careful reader, which bounds how far aliases expand)
            raise GiveUp
    if type(get()) is not DocumentEndEvent or type(get()) is not StreamEndEvent:
        raise GiveUp   # a second document: the careful reader names it
    return root, locations, raw

