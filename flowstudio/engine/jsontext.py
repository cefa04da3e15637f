"""JSON text, fast: orjson, with the standard library as the fallback for the rare value
orjson refuses (an integer beyond 64 bits from some HTTP answer)."""
from __future__ import annotations

import json

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(value) -> str:
    """Compact JSON text of `value`; anything not JSON is written as its str()."""
    try:
        return orjson.dumps(value, default=str, option=_OPTIONS).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value, default=str, separators=(",", ":"))


loads = orjson.loads
