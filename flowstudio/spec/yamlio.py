"""Safe, located YAML reading and canonical YAML writing for flow files.

Reading uses PyYAML's parser and composer (libyaml when available) but converts the
node tree itself, because PyYAML's constructors would:
- read `yes`/`no`/`on`/`off` as booleans (YAML 1.1); SMS keywords are data, so we
  resolve scalars with the YAML 1.2 core schema (only `true`/`false` are booleans);
- keep the last of two duplicate keys silently; we refuse them, naming both lines;
- expand aliases without limit; we refuse documents that expand far beyond their size;
- forget where each value came from; we keep a line/column per path for error messages,
  and the source text of every non-string scalar so a schema that wants a string can
  get `007` back rather than `7`.

Writing produces the canonical form: block style, keys in the order given (callers
order them), multi-line strings as `|` blocks, and quotes wherever a YAML 1.1 or 1.2
reader could mistake a string for something else.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

from .depth import MAX_DEPTH
from .issues import FlowLoadError, error
from .yamlcanon import read_canonical
from .yamlfast import read_plain

MAX_FILE_BYTES = 10 * 1024 * 1024
# libyaml's composer (C) recurses once per level of nesting and crashed the process
# (SIGSEGV) at 20,000-40,000 levels on an 8 MB stack; a thread with glibc's 2 MB
# stack would crash at a quarter of that. Documents that might nest deeper than this
# are measured from the parser's events (no recursion) before they are composed.
SAFE_COMPOSE_DEPTH = 2_000
# An alias may repeat a subtree, but a document that expands to many times its own
# size is a "billion laughs" bomb: refuse it before building it.
ALIAS_EXPANSION_FACTOR = 10
ALIAS_EXPANSION_SLACK = 10_000

Path = tuple


class _CoreResolver(BaseResolver):
    """YAML 1.2 core schema: only true/false are booleans, no sexagesimals or `yes`."""


_CORE_RULES = [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
     r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
]
for _tag, _pattern, _first in _CORE_RULES:
    _CoreResolver.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))

try:  # libyaml's parser and composer (C), when PyYAML was built with it
    from yaml.cyaml import CParser as _Parser
except ImportError:  # pragma: no cover
    _Parser = None
if _Parser is not None:
    class _Loader(_Parser, _CoreResolver):  # type: ignore[misc, valid-type]
        def __init__(self, stream):
            _Parser.__init__(self, stream)
            _CoreResolver.__init__(self)
else:  # pragma: no cover - pure Python fallback when libyaml is missing
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Loader(Reader, Scanner, Parser, Composer, _CoreResolver):  # type: ignore[no-redef]
        def __init__(self, stream):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)
            _CoreResolver.__init__(self)


class Document:
    """A loaded YAML document: plain Python `data`, the (line, column) of every path
    (1-based; mapping paths point at the key), and the source text of non-string
    scalars by path.

    `locations` may be worked out only when first asked for (`locate`, which keeps the
    source text until then): they serve error messages, and most documents read have
    none to give."""

    def __init__(self, data: object, file: str | None = None, locations: dict | None = None,
                 raw_scalars: dict | None = None, locate=None):
        self.data = data
        self.file = file
        self._locations = locations if locations is not None or locate is not None else {}
        self._locate = locate
        self.raw_scalars = raw_scalars if raw_scalars is not None else {}

    @property
    def locations(self) -> dict:
        """The (line, column) of every path, worked out now if it was left for later."""
        if self._locations is None:
            self._locations = self._locate()
            self._locate = None
        return self._locations

    @locations.setter
    def locations(self, value: dict) -> None:
        self._locations, self._locate = value, None

    def line_of(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest located ancestor."""
        path = tuple(path)
        locations = self.locations
        while True:
            loc = locations.get(path)
            if loc:
                return loc[0]
            if not path:
                return None
            path = path[:-1]


def load_yaml(source: bytes | str, file: str | None = None) -> Document:
    """Parse one YAML mapping document; raise FlowLoadError with file/line/column on
    any problem (syntax, duplicate key, unsupported tag, alias bomb, too large, not a mapping)."""
    if isinstance(source, bytes):
        if len(source) > MAX_FILE_BYTES:
            _fail(file, None, "too_large",
                  f"file is {len(source):,} bytes; flow files are limited to {MAX_FILE_BYTES:,}")
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            _fail(file, None, "encoding", f"file is not valid UTF-8 (byte {exc.start})")
    elif len(source) > MAX_FILE_BYTES:
        _fail(file, None, "too_large", f"file is larger than {MAX_FILE_BYTES:,} bytes")
    # Read without locations: they are worked out (the same fast way) only when an
    # error or warning asks for a line. Recording a line and column per path was about
    # a third of this read: 2,000-widget flow, about 145 -> 100 ms CPU (process_time,
    # best of 7, on a loaded machine; the libyaml events alone were about 57 ms).
    plain = _read_canonical(source)
    if plain is None:
        plain = _read_plain(source, located=False)
    if plain is not None:
        data, _, raw_scalars = plain
        return Document(data, file, raw_scalars=raw_scalars, locate=partial(_locations_of, source, file))
    # Anything unusual (aliases, tags, duplicate keys, syntax errors, deep nesting...):
    # the careful reader, which refuses it with its place or reads it.
    return _load_careful(source, file)


def _load_careful(source: str, file: str | None) -> Document:
    """Compose the node tree (after measuring the nesting when it might be deep) and
    convert it, refusing every problem at its place."""
    if _nesting_bound(source) > SAFE_COMPOSE_DEPTH:
        _check_depth_from_events(source, file)
    loader = _Loader(source)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as exc:
        _syntax_error(file, exc)
    finally:
        loader.dispose()
    if root is None:
        _fail(file, None, "empty", "file is empty; a flow file is a mapping with spec_version, name and widgets")
    if not isinstance(root, MappingNode):
        kind = "a list" if isinstance(root, SequenceNode) else "a single value"
        _fail(file, root.start_mark, "not_mapping", f"a flow file must be a mapping of keys, found {kind}")
    doc = Document(None, file, {(): _pos(root.start_mark)})
    budget = _Budget(ALIAS_EXPANSION_FACTOR * _count_distinct(root) + ALIAS_EXPANSION_SLACK)
    doc.data = _convert(root, (), doc, budget, set())
    return doc


def _read_plain(text: str, located: bool = True):
    """The fast reader's (data, locations, raw_scalars), or None (see yamlfast.py);
    locations is None when not `located`."""
    parser = _Loader(text)
    try:
        return read_plain(parser, MAX_DEPTH, _CoreResolver.yaml_implicit_resolvers, _SCALARS, located)
    finally:
        parser.dispose()


def _read_canonical(text: str):
    """The canonical reader's (data, None, raw_scalars), or None (see yamlcanon.py)."""
    return read_canonical(text, MAX_DEPTH, _CoreResolver.yaml_implicit_resolvers, _SCALARS)


def _locations_of(text: str, file: str | None) -> dict:
    """The locations of a document the fast reader read without them: read again the same
    way, with them (the fast reader gives up on exactly the same documents either way;
    the careful reader reads them too, with the same locations, if it ever did not)."""
    plain = _read_plain(text)
    return plain[1] if plain is not None else _load_careful(text, file).locations


def _nesting_bound(text: str) -> int:
    """An upper bound on how deeply `text` can nest: block collections nest only by
    indenting (a block sequence may share its mapping's column, and `- - x` nests on one
    line, but every two levels take at least one more column), so their depth is at most
    the longest line's length plus two; flow collections (`[`, `{`) at most as many as
    there are opening brackets. Cheap, and far above the truth for big flows (each
    canvas position is a `{x: .., y: ..}`), which then pay for the exact measure."""
    longest = max(map(len, text.splitlines()), default=0)
    return longest + 2 + text.count("[") + text.count("{")


_OPEN = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _check_depth_from_events(text: str, file: str | None) -> None:
    """Refuse a document nested deeper than MAX_DEPTH, found from the parser's events
    (libyaml's parser keeps its own stack on the heap: it never recurses)."""
    parser = _Loader(text)
    depth = 0
    try:
        while (event := parser.get_event()) is not None:
            if isinstance(event, _OPEN):
                depth += 1
                if depth > MAX_DEPTH + 1:   # the root mapping is level 1 here, 0 in paths
                    _fail(file, event.start_mark, "too_deep",
                          f"nesting deeper than {MAX_DEPTH} levels; flow files nest a few levels")
            elif isinstance(event, _CLOSE):
                depth -= 1
    except yaml.YAMLError as exc:
        _syntax_error(file, exc)
    finally:
        parser.dispose()


@dataclass
class _Budget:
    left: int


def _count_distinct(root) -> int:
    seen: set[int] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            todo.extend(node.value)
        elif isinstance(node, MappingNode):
            for k, v in node.value:
                todo.extend((k, v))
    return len(seen)


def _convert(node, path: Path, doc: Document, budget: _Budget, stack: set):
    budget.left -= 1
    if budget.left < 0:
        _fail(doc.file, node.start_mark, "alias_bomb",
              "aliases expand this document far beyond its size; refusing to load it")
    if len(path) > MAX_DEPTH:
        _fail(doc.file, node.start_mark, "too_deep",
              f"nesting deeper than {MAX_DEPTH} levels; flow files nest a few levels")
    if isinstance(node, ScalarNode):
        return _scalar(node, path, doc)
    if node.tag not in _COLLECTIONS:
        _unsupported_tag(doc, node)
    if id(node) in stack:
        _fail(doc.file, node.start_mark, "recursive_alias", "an alias refers to itself")
    stack.add(id(node))
    try:
        if isinstance(node, SequenceNode):
            out = []
            for i, child in enumerate(node.value):
                doc.locations[path + (i,)] = _pos(child.start_mark)
                out.append(_convert(child, path + (i,), doc, budget, stack))
            return out
        return _mapping(node, path, doc, budget, stack)
    finally:
        stack.discard(id(node))


def _mapping(node: MappingNode, path: Path, doc: Document, budget: _Budget, stack: set) -> dict:
    out: dict = {}
    first_line: dict = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode):
            _fail(doc.file, key_node.start_mark, "bad_key", "mapping keys must be plain values, not lists or mappings")
        key = _scalar(key_node, path, doc, record=False)
        if not isinstance(key, (str, int)) or isinstance(key, bool):
            key = key_node.value  # null/float/bool keys are names here, keep their text
        if key in out:
            _fail(doc.file, key_node.start_mark, "duplicate_key",
                  f"duplicate key '{key}' (first defined on line {first_line[key]})")
        first_line[key] = key_node.start_mark.line + 1
        doc.locations[path + (key,)] = _pos(key_node.start_mark)
        out[key] = _convert(value_node, path + (key,), doc, budget, stack)
    return out


_COLLECTIONS = ("tag:yaml.org,2002:seq", "tag:yaml.org,2002:map")
_SCALARS = {
    "tag:yaml.org,2002:str": lambda s: s,
    "tag:yaml.org,2002:null": lambda s: None,
    "tag:yaml.org,2002:bool": lambda s: s.lower() == "true",
    "tag:yaml.org,2002:int": lambda s: int(s, 0) if s[:2] in ("0o", "0x") else int(s),
    "tag:yaml.org,2002:float": lambda s: float(s.replace(".inf", "inf").replace(".Inf", "inf")
                                               .replace(".INF", "inf").lower().replace(".nan", "nan")),
}


def _scalar(node: ScalarNode, path: Path, doc: Document, record: bool = True):
    convert = _SCALARS.get(node.tag)
    if convert is None:
        _unsupported_tag(doc, node)
    try:
        value = convert(node.value)
    except ValueError:   # an int of more than 4,300 digits (Python's int_max_str_digits)
        _fail(doc.file, node.start_mark, "bad_number",
              f"a number of {len(node.value):,} characters ({node.value[:20]}...) is longer than any flow needs; "
              "quote it to keep it as text")
    if "\x00" in node.value:   # a "\0" escape: no flow holds one, and PostgreSQL cannot store it
        _fail(doc.file, node.start_mark, "nul_character", "a NUL character (\\0) has no place in a flow file")
    if record and node.tag != "tag:yaml.org,2002:str":
        doc.raw_scalars[path] = node.value
    return value


def _unsupported_tag(doc: Document, node) -> None:
    """Refuse a tag we do not read (`!!python/object`, `!!set`, `!custom`...): never
    ignore it silently, since the writer meant something by it."""
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    _fail(doc.file, node.start_mark, "unsupported_tag",
          f"unsupported YAML tag {tag}; flow files hold plain mappings, lists, strings, numbers, "
          "true/false and null, without tags")


def _pos(mark) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def _syntax_error(file, exc: yaml.YAMLError):
    """Refuse a document the parser could not read, at the place it names when it does."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        _fail(file, mark, "yaml_syntax", f"YAML syntax error: {exc.problem or exc.context or 'invalid YAML'}")
    _fail(file, None, "yaml_syntax", f"YAML error: {exc}")


def _fail(file, mark, code: str, message: str):
    line, column = _pos(mark) if mark is not None else (None, None)
    raise FlowLoadError([error(code, message, file=file, line=line, column=column)])


# ---------------------------------------------------------------- writing


class _CanonicalDumper(yaml.SafeDumper):
    """SafeDumper that never emits anchors, writes multi-line strings as `|` blocks and
    quotes strings that a YAML 1.2 reader (like ours) would take for another type."""

    def ignore_aliases(self, data):
        return True

    def increase_indent(self, flow=False, indentless=False):
        # Indent list items under their key (`key:\n  - item`), as most YAML styles do.
        return super().increase_indent(flow, False)


for _tag, _pattern, _first in _CORE_RULES:
    _CanonicalDumper.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


# Line breaks YAML readers normalise inside plain, quoted and block scalars: only a
# double-quoted scalar keeps them (as escapes).
_FRAGILE_BREAKS = ("\r", "\x85", "\u2028", "\u2029")


def _represent_str(dumper: yaml.SafeDumper, value: str):
    if any(ch in value for ch in _FRAGILE_BREAKS):
        style = '"'
    else:
        style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


class InlineMap(dict):
    """A mapping written on one line (`{x: 0, y: 180}`), for small records like positions."""


def _represent_inline(dumper: yaml.SafeDumper, value: InlineMap):
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=True)


_CanonicalDumper.add_representer(str, _represent_str)
_CanonicalDumper.add_representer(InlineMap, _represent_inline)


def dump_yaml(data) -> str:
    """Serialise plain data (dicts in the intended key order) in the canonical style."""
    return yaml.dump(data, Dumper=_CanonicalDumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=2**31 - 1, indent=2)
