"""Checks of the small languages inside a flow: Liquid templates and split regexes.

Every string property of a supported widget may hold Liquid (as in Studio); strings
that contain `{{` or `{%` are parsed with python-liquid and a syntax error is reported
on that exact property. `regex` split conditions must compile.

The variables a template reads are checked too (warnings: a wrong name renders as
empty text in Studio, it does not stop the flow): `widgets.<name>` must name a widget
of this flow, exactly (Studio's names are case-sensitive), and a template's variables
start with one of Studio's namespaces (`trigger`, `flow`, `contact`, `widgets`), not
a bare `{{SpeechResult}}` or `{{Body}}`. Variables a template sets itself (`assign`,
`capture`, `for`) are its own.
"""
from __future__ import annotations

import re
from difflib import get_close_matches
from functools import lru_cache

from liquid import Environment
from liquid.exceptions import LiquidError

from ..widgets import registry
from .model import MATCH, Flow
from .patterns import pattern_error

_ENV = Environment()


NAMESPACES = ("trigger", "flow", "contact", "widgets")  # the roots of Studio's context
# What widgets store from a callback or a reply, under widgets.<name>: read bare, they
# are empty in Studio. The type named is where a flow usually meant to read it from.
_OUTPUT_HOMES = {
    "SpeechResult": "gather-input-on-call", "Digits": "gather-input-on-call", "Confidence": "gather-input-on-call",
    "FinishedOnKey": "gather-input-on-call", "UnstableSpeechResult": "gather-input-on-call",
    "RecordingUrl": "record-voicemail", "RecordingDuration": "record-voicemail",
    "TranscriptionText": "record-voicemail", "DialCallStatus": "connect-call-to",
    "DialCallSid": "connect-call-to", "DialCallDuration": "connect-call-to",
}
_TRIGGER_FIELDS = {"Body": "message", "From": "message", "To": "message", "MessageSid": "message",
                   "NumMedia": "message", "MediaUrl0": "message", "CallSid": "call", "CallStatus": "call",
                   "Caller": "call", "Called": "call"}


# Large enough for the biggest flows (Studio allows 2,000 widgets): entries are short strings.
@lru_cache(maxsize=65536)
def _analysed(source: str) -> tuple[str | None, tuple[tuple, ...]]:
    """(the Liquid syntax error of `source` or None, the paths of the global variables
    it reads as tuples of segments)."""
    if "{{" not in source and "{%" not in source:
        return None, ()
    problem = markup_problem(source)
    if problem:
        return problem, ()
    paths = _plain_outputs(source)
    if paths is None:
        paths = _plain_ifs(source)
    if paths is not None:
        return None, paths
    try:
        template = _ENV.from_string(source)
    except LiquidError as exc:
        return str(exc).splitlines()[0], ()
    paths = _simple_paths(source)
    if paths is not None:
        return None, paths
    try:
        found = [v for uses in template.analyze().globals.values() for v in uses]
        found.sort(key=lambda v: v.span.index)  # in the order they are written
        paths = tuple(tuple(v.segments) for v in found)
    except LiquidError:  # analysis is a help, never a reason to fail
        paths = ()
    return None, paths


# python-liquid's lexer takes time proportional to (tags x length) when a `{{` is not
# closed: 1,000 unclosed `{{` before 20 KB of text took 14 s, `"{{" * 100_000` more than a
# minute, and even well-formed tags grow faster than linearly (1,000 `{{ a }}`: 48 ms).
# So every value is scanned first, in one pass: an opener whose closer never comes is
# reported here (the error Liquid would give, without the wait), and a value may hold at
# most MAX_TAGS tags (a message needs a handful; the biggest real templates, tens), each
# at most MAX_TAG_LENGTH characters.
MAX_TAGS = 200
# One tag's expression is parsed in time that grows faster than its length (5,000 nested
# parentheses: 0.6 s); real tags are a line or two.
MAX_TAG_LENGTH = 2_000
_OPENER = re.compile(r"\{[{%]")
_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}")
_END_RAW = re.compile(r"\{%-?\s*endraw\s*-?%\}")


def markup_problem(source: str) -> str | None:
    """Why `source` is refused before Liquid parses it (an unclosed `{{` or `{%`, or
    too many tags), or None."""
    pos, tags = 0, 0
    while (opener := _OPENER.search(source, pos)) is not None:
        tags += 1
        if tags > MAX_TAGS:
            return f"more than {MAX_TAGS} Liquid tags in one value; split it into several"
        closer = "}}" if opener.group() == "{{" else "%}"
        end = source.find(closer, opener.end())
        if end < 0:
            return (f"'{opener.group()}' at character {opener.start() + 1} is never closed with '{closer}'")
        if end - opener.start() > MAX_TAG_LENGTH:
            return (f"the Liquid tag at character {opener.start() + 1} is {end - opener.start():,} characters long; "
                    f"at most {MAX_TAG_LENGTH:,}")
        pos = end + 2
        if closer == "%}" and _RAW.fullmatch(source, opener.start(), pos):
            raw_end = _END_RAW.search(source, pos)   # inside raw, {{ and {% are plain text
            if raw_end is None:
                return f"'{{% raw %}}' at character {opener.start() + 1} is never closed with '{{% endraw %}}'"
            pos = raw_end.end()
    return None


# Most Studio templates are outputs of one variable path with filters whose arguments
# are literals (`{{widgets.ask.inbound.Body | downcase}}`): their variables are read
# here directly, which costs a fraction of python-liquid's static analysis (used for
# everything else: tags, variables as filter arguments...).
_LITERAL = r"""(?:'[^']*'|"[^"]*"|-?\d+(?:\.\d+)?)"""
_FILTER = rf"\|\s*[A-Za-z_][\w-]*\s*(?::\s*{_LITERAL}(?:\s*,\s*{_LITERAL})*)?\s*"
_SIMPLE_OUTPUT = re.compile(rf"\s*(?P<path>[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])*)\s*(?:{_FILTER})*")
_OUTPUT = re.compile(r"\{\{-?(.*?)-?\}\}", re.S)
_KEYWORDS = {"true", "false", "nil", "null", "empty", "blank"}  # literals, not variables
_SEGMENT = re.compile(r"[A-Za-z_][\w-]*|\[(\d+)\]")


def _simple_paths(source: str, sure: bool = False) -> tuple[tuple, ...] | None:
    """The variable paths of a template made only of simple outputs, or None. Once
    python-liquid has parsed it, a path must only not start with a literal's name
    (`_KEYWORDS`); `sure` (before any parse, _plain_outputs) asks for outputs that
    surely parse: ASCII, with no reserved word anywhere in them."""
    if "{%" in source:
        return None
    pattern = _PLAIN_OUTPUT if sure else _SIMPLE_OUTPUT
    paths = []
    for block in _OUTPUT.findall(source):
        match = pattern.fullmatch(block)
        if match is None:
            return None
        if (not _RESERVED.isdisjoint(_WORD.findall(block)) if sure
                else match["path"].split(".", 1)[0] in _KEYWORDS):
            return None
        paths.append(_segments(match["path"]))
    return tuple(paths)


def _segments(path: str) -> tuple:
    """The segments of a variable path that matched _SIMPLE_OUTPUT's `path`
    (`a.b[0].c` -> ("a", "b", 0, "c")). Without `[` they are the dot-separated names,
    split without the regex: 2,216 paths of the 2,000-widget flow, about 5.9 -> 0.6 ms."""
    if "[" not in path:
        return tuple(path.split("."))
    return tuple(int(m.group(1)) if m.group(1) else m.group(0) for m in _SEGMENT.finditer(path))


# Liquid's reserved words (python-liquid 2.3's expression keywords, liquid/builtin/
# expressions/_tokenize.py): a path or filter named like one does not parse.
_RESERVED = frozenset({"and", "as", "blank", "cols", "contains", "continue", "else", "empty", "false", "for", "if",
                       "in", "limit", "nil", "not", "null", "offset", "or", "required", "reversed", "true", "with"})
_PLAIN_OUTPUT = re.compile(_SIMPLE_OUTPUT.pattern, re.ASCII)
_WORD = re.compile(r"[A-Za-z_][\w-]*", re.ASCII)


def _plain_outputs(source: str) -> tuple[tuple, ...] | None:
    """The variable paths of a template that surely parses, or None to ask python-liquid:
    outputs only, each an ASCII variable path with filters of literal arguments and no
    reserved word (every such template parses: tests/spec/test_templates_fast.py checks
    it against python-liquid). Parsing is what a new process pays for each template of
    a flow: checking the 2,106 templates of the 2,000-widget benchmark flow took about
    340 ms of CPU (shared machine, busy); with this shortcut, which takes 1,980 of them,
    about 130 ms."""
    return _simple_paths(source, sure=True)


_TAG = re.compile(r"\{%(.*?)%\}", re.S)
_IF = re.compile(r" if ([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*) ", re.ASCII)


def _plain_ifs(source: str) -> tuple[tuple, ...] | None:
    """The variable paths of a template that surely parses, or None to ask python-liquid:
    plain outputs (as in _plain_outputs) inside and around `{% if PATH %}...{% endif %}`
    blocks, each with at most one `{% else %}`, not nested, written exactly so (one
    space each side; an ASCII variable path that is no reserved word). Every such
    template parses (tests/spec/test_templates_fast.py checks it against python-liquid).
    These are the most common tags, and python-liquid takes about 100 us to parse and
    analyse each: analysing the 2,106 templates of the 2,000-widget benchmark flow (126
    of them such ifs) took about 23 ms of CPU, with this shortcut about 10 ms (best of 5,
    loaded machine)."""
    paths: list = []
    state = "text"   # text, then, else: where the next piece of text is
    pos = 0
    for tag in _TAG.finditer(source):
        text = source[pos:tag.start()]
        if text.endswith("{"):
            return None   # `{{% if`: Liquid reads an output's `{{` there
        outputs = _text_outputs(text)
        if outputs is None:
            return None
        paths += outputs
        inside = tag.group(1)
        condition = _IF.fullmatch(inside)
        if condition is not None and state == "text":
            path = condition.group(1)
            if not _RESERVED.isdisjoint(path.split(".")):
                return None
            paths.append(tuple(path.split(".")))
            state = "then"
        elif inside == " else " and state == "then":
            state = "else"
        elif inside == " endif " and state in ("then", "else"):
            state = "text"
        else:
            return None
        pos = tag.end()
    if state != "text" or pos == 0:
        return None
    outputs = _text_outputs(source[pos:])
    if outputs is None:
        return None
    return tuple(paths) + outputs


def _text_outputs(text: str) -> tuple[tuple, ...] | None:
    """_plain_outputs of the text between two tags, or None when an output there is not
    whole (`{{ a {% if b %} }}`: the tag is inside the output, which does not parse)."""
    if "{%" in text or "{{" in _OUTPUT.sub("", text):
        return None
    return _plain_outputs(text)


def liquid_error(source: str) -> str | None:
    """The Liquid syntax error of `source` as one line, or None when it parses."""
    return _analysed(source)[0]


def references(source: str) -> tuple[tuple, ...]:
    """The variables a template reads, e.g. `(("widgets", "ask", "inbound", "Body"),)`."""
    return _analysed(source)[1]


def regex_error(pattern: str) -> str | None:
    """Why `pattern` cannot be a split's regex (compiled as the runtime compiles it), or None."""
    return pattern_error(pattern)


def check(report, flow: Flow, indexes: list[int]) -> None:
    """Report Liquid syntax errors in properties and conditions, invalid regexes, and
    variables Studio does not provide (warnings)."""
    names = _Names(flow)
    for w, i in zip(flow.widgets, indexes):
        if registry.get(w.type) is None:
            continue  # unsupported widgets are kept verbatim, never run
        for path, text in _strings(w.properties, ("properties",)):
            _report_liquid(report, i, path, text, names)
        transitions = w.transitions if isinstance(w.transitions, dict) else {}
        matches = transitions.get(MATCH)
        for j, match in enumerate(matches if isinstance(matches, list) else []):
            conditions = match.get("conditions") if isinstance(match, dict) else None
            for k, cond in enumerate(conditions if isinstance(conditions, list) else []):
                if isinstance(cond, dict):
                    _check_condition(report, i, ("transitions", MATCH, j, "conditions", k), cond, names)


def _check_condition(report, i: int, where: tuple, cond: dict, names) -> None:
    for path, text in _strings(cond.get("arguments"), where + ("arguments",)):
        _report_liquid(report, i, path, text, names)
    value = cond.get("value")
    if cond.get("type") == "regex" and isinstance(value, str):
        problem = regex_error(value)
        if problem:
            report.add("invalid_regex", f"invalid regular expression: {problem}", i, where + ("value",))


def _report_liquid(report, i: int, path: tuple, text: str, names: "_Names") -> None:
    problem, paths = _analysed(text)
    if problem:
        report.add("liquid_syntax", f"Liquid syntax error: {problem}", i, path)
    seen = set()
    for segments in paths:
        message = names.problem(segments)
        if message and message[1] not in seen:
            seen.add(message[1])
            report.warn(*message, i, path)


class _Names:
    """The widget names of a flow, to check `widgets.<name>` and bare variables."""

    def __init__(self, flow: Flow):
        self.flow = flow
        self.exact = {w.name for w in flow.widgets}
        self.folded: dict[str, str] = {}
        for w in flow.widgets:
            self.folded.setdefault(w.name.lower(), w.name)

    def problem(self, segments: tuple) -> tuple[str, str] | None:
        """(code, message) when a variable path reads something Studio does not provide."""
        root = segments[0] if segments else None
        if not isinstance(root, str):
            return None
        if root == "widgets":
            name = segments[1] if len(segments) > 1 else None
            return self._widget(name) if isinstance(name, str) else None
        if root in NAMESPACES:
            return None
        return "unknown_variable", f"'{{{{{root}}}}}' is not a variable Studio provides, so it renders as " \
            f"empty text; {self._home(root)}"

    def _widget(self, name: str) -> tuple[str, str] | None:
        if name in self.exact:
            return None
        same = self.folded.get(name.lower())
        if same is not None:
            return "unknown_widget_ref", f"'widgets.{name}' names no widget: Studio's names are case-sensitive " \
                f"(did you mean 'widgets.{same}'?)"
        hint = get_close_matches(name, sorted(self.exact), n=1)
        return "unknown_widget_ref", f"'widgets.{name}' names no widget of this flow, so it renders as empty " \
            "text" + (f" (did you mean 'widgets.{hint[0]}'?)" if hint else "")

    def _home(self, root: str) -> str:
        """Where the value a bare variable names lives in Studio's context."""
        wtype = _OUTPUT_HOMES.get(root)
        if wtype is not None:
            owners = [w.name for w in self.flow.widgets if w.type == wtype]
            return f"use widgets.{owners[0] if owners else '<name>'}.{root}"
        if root in _TRIGGER_FIELDS:
            return f"use trigger.{_TRIGGER_FIELDS[root]}.{root} (or widgets.<name>.inbound.{root} after a reply)"
        close = get_close_matches(root, NAMESPACES, n=1)
        if close:
            return f"did you mean '{close[0]}'?"
        return "Studio's variables start with " + ", ".join(f"{n}." for n in NAMESPACES)


def _strings(value, path: tuple):
    """Every string inside `value`, with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, path + (k,))
    elif isinstance(value, list):
        for k, v in enumerate(value):
            yield from _strings(v, path + (k,))
