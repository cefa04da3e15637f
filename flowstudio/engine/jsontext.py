"""JSON text, fast: orjson, with the standard library as the fallback for the rare value
orjson refuses (an integer beyond 64 bits from some HTTP answer), both ways."""
from __future__ import annotations

import json

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


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
