"""JSON request bodies, read safely: every JSON body of the API and the editor comes
through `loads` (Flask's `request.get_json` through `install`'s provider).

Python's JSON decoder recurses once per level and gives up with RecursionError past
about a thousand; what it does accept may still be too deep for the code after it
(the schema validator, orjson's writer, a flow file that must load again). So a body
is refused with 400, saying where, when it nests deeper than MAX_JSON_DEPTH or holds a
NUL character (PostgreSQL cannot store one, SQLite would keep it silently: refusing
it here makes both the same).
"""
from __future__ import annotations

import json
import math
import re

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from ..spec.depth import MAX_DEPTH, dotted, nul_path, surrogate_path, too_deep, value_path
from .errors import ApiError

# A flow document may nest MAX_DEPTH levels (the validator says where it goes deeper);
# the bodies that carry one wrap it in a few more (`{"document": ...}`).
MAX_JSON_DEPTH = MAX_DEPTH + 16
# A lone surrogate can only come from its escape (`\ud800`): bodies without one are not walked.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")
_TOO_LARGE = object()   # stands for a number beyond a float's range until its place is found


def loads(raw: str | bytes):
    """The JSON value of a request body; ValueError when it is not JSON (callers say
    what they expected; NaN and Infinity are not JSON), ApiError(400) when it is too
    deep, holds a NUL character or a lone surrogate, or a number beyond a float's
    range (`1e999`, which would be read as infinity), naming where."""
    too_large: list[str] = []   # numbers beyond a float's range, as written

    def finite(text: str):
        value = float(text)
        if math.isinf(value):   # `1e999`: read as infinity, written back as null or .inf
            too_large.append(text)
            return _TOO_LARGE
        return value

    try:
        data = json.loads(raw, parse_constant=_not_json, parse_float=finite)
    except RecursionError:
        raise ApiError(400, f"the JSON body nests too deeply (more than {MAX_JSON_DEPTH} levels)",
                       "body") from None
    check(data)
    if too_large:
        name = dotted(value_path(data, lambda value: value is _TOO_LARGE) or ()) or "body"
        raise ApiError(400, f"{name[:120]}: the number {too_large[0][:40]} is too large for JSON's numbers "
                            "(at most about 1.8e308), and infinity is not a JSON value", name)
    if _may_hold_surrogate(raw):
        where = surrogate_path(data)
        if where is not None:
            # a key may hold it too: named as its escape, so the answer itself is UTF-8
            name = (dotted(where) or "body").encode("utf-8", "backslashreplace").decode()
            raise ApiError(400, f"{name[:120]} holds a lone surrogate (an escape like \\ud800 without its pair), "
                                "which is not a character: send the text as UTF-8", name)
    return data


def _not_json(word: str):
    """NaN, Infinity, -Infinity: Python reads them, JSON has no such values (and the
    database's JSON reader refuses them)."""
    raise ValueError(f"{word} is not a JSON value (write a number, a string or null)")


def _may_hold_surrogate(raw: str | bytes) -> bool:
    if isinstance(raw, str):
        return _SURROGATE_ESCAPE.search(raw) is not None
    if json.detect_encoding(raw) not in ("utf-8", "utf-8-sig"):
        return True   # UTF-16 or -32 (json.loads reads them too): rare, walked
    return _SURROGATE_ESCAPE_BYTES.search(raw) is not None


def check(data) -> None:
    """Refuse (ApiError 400) parsed input that nests too deeply or holds a NUL."""
    deep = too_deep(data, MAX_JSON_DEPTH)
    if deep is not None:
        where = dotted(deep)
        where = where if len(where) <= 120 else where[:120] + "..."
        raise ApiError(400, f"the JSON body nests too deeply (more than {MAX_JSON_DEPTH} levels, at "
                            f"{where or 'the top'})", str(deep[0]) if deep else "body")
    nul = nul_path(data)
    if nul is not None:
        raise ApiError(400, f"{dotted(nul) or 'the body'} holds a NUL character (\\u0000), which no flow or "
                            "message may contain", dotted(nul) or "body")


class _Provider(DefaultJSONProvider):
    """Flask's JSON, reading bodies with `loads` above."""

    def loads(self, s, **kwargs):
        return loads(s)


def install(app: Flask) -> None:
    """Read every `request.get_json()` of `app` through `loads` (keeps the app's
    other JSON settings)."""
    sort_keys = app.json.sort_keys
    app.json = _Provider(app)
    app.json.sort_keys = sort_keys


class SocketJSON:
    """socket.io's JSON (`SocketIO(json=...)`): Flask's, with a packet that is too deep
    or holds a NUL refused as a ValueError, which python-socketio treats as a bad packet
    and drops (the API's 400 means nothing on a websocket)."""

    def __init__(self, app: Flask):
        self.provider = app.json

    def dumps(self, obj, **kwargs) -> str:
        return self.provider.dumps(obj, **kwargs)

    def loads(self, s, **kwargs):
        try:
            return loads(s)
        except ApiError as exc:
            raise ValueError(exc.message) from None
