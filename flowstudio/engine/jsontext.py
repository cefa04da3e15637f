"""JSON text, fast: orjson, with the standard library as the fallback for the rare value
orjson refuses (an integer beyond 64 bits from some HTTP answer), both ways."""
from __future__ import annotations

import json

import orjson

from ..spec.depth import too_deep

_OPTIONS = orjson.OPT_NON_STR_KEYS
# How deep JSON from outside may nest (orjson writes up to 255 levels; the standard
# library's decoder raises RecursionError from about a thousand, and code after it that
# recurses sooner): no real webhook field or API answer comes near.
MAX_OUTSIDE_DEPTH = 255


def dumps(value) -> str:
    """Compact JSON text of `value`; anything not JSON is written as its str()."""
    try:
        # Without OPT_NON_STR_KEYS first: orjson writes twice as fast when it need not
        # check every key, and the keys are strings nearly always.
        return orjson.dumps(value, default=str).decode()
    except TypeError:  # orjson.JSONEncodeError: a key that is not a string, or a huge integer
        pass
    try:
        return orjson.dumps(value, default=str, option=_OPTIONS).decode()
    except TypeError:
        return json.dumps(value, default=str, separators=(",", ":"))


def loads(text: str | bytes):
    """The value of JSON `text`: orjson, or the standard library for what `dumps`'
    fallback wrote and orjson refuses to read (NaN, Infinity, a lone surrogate's escape:
    a value holding one and an integer beyond 64 bits), so whatever was stored can be
    read again."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def verbatim(text: str) -> orjson.Fragment:
    """JSON `text` (serialised already) as a value that `dumps` writes as it is. For
    values whose every other part is plain JSON: the standard library's fallback in
    `dumps` would not know it."""
    return orjson.Fragment(text)


def data_or_text(text: str):
    """`text` from outside as the JSON object or list it holds, when it is one (read by
    loads_outside), else as the text it is: how Studio keeps JSON-looking values."""
    if text.strip()[:1] in ("{", "["):
        try:
            return loads_outside(text)
        except ValueError:
            pass   # not JSON after all (or nested too deeply): kept as the text it is
    return text


def loads_outside(text: str | bytes):
    """The value of JSON `text` that came from outside (a webhook's JSON field, an HTTP
    widget's answer, a rendered template); ValueError when it is not JSON or nests
    deeper than MAX_OUTSIDE_DEPTH levels, so callers that keep such text as text do so
    for a document nested thousands deep too, instead of failing the turn with
    RecursionError."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError(f"JSON nested more than {MAX_OUTSIDE_DEPTH} levels deep") from None
    if too_deep(value, MAX_OUTSIDE_DEPTH) is not None:
        raise ValueError(f"JSON nested more than {MAX_OUTSIDE_DEPTH} levels deep")
    return value
