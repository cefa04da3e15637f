"""Webhook form bodies, decoded the way werkzeug decodes them, in a quarter of the time.

Every inbound SMS is a urlencoded form of about 20 fields. werkzeug's `request.form`
(parse_qsl into a MultiDict, then `to_dict()`) cost about 50 µs of each webhook's
CPU; `decode` gives the same dict (the first value of a repeated name, blank values
kept, `+` as a space, invalid UTF-8 escapes kept as written, as werkzeug's
"werkzeug.url_quote" error handler does), unescaping the whole body in one call
when it can. tests/web/test_formdata.py compares the two on random bodies.

Measured on a whole in-process webhook SMS turn on SQLite (a fast path stays while it
saves >= 5 % of a turn): 0.85 ms of CPU with `decode` against 1.08 ms with werkzeug's
`request.form.to_dict()`, 21 % of the turn saved (20 % in a second run: 0.99 against
1.25 ms); `python benchmarks/run.py -k "form parser"` (bench_fastpaths.py). Through the
real server, the worker's CPU per request: 1.41 ms against 1.73 ms (18 %).
"""
from __future__ import annotations

import io
import re
from urllib.parse import unquote

import werkzeug.urls  # noqa: F401 - registers the "werkzeug.url_quote" codec error handler
from werkzeug.sansio.utils import get_content_length
from werkzeug.wrappers import Request

from .errors import ApiError

URLENCODED = "application/x-www-form-urlencoded"
_ESCAPED_SEPARATOR = re.compile("%(?:26|3[dD])").search   # an escaped "&" or "="


def decode(text: str) -> dict[str, str]:
    """The fields of a urlencoded body, as `request.form.to_dict()` would give them."""
    if "+" in text:
        text = text.replace("+", " ")
    if "%" in text and not _ESCAPED_SEPARATOR(text):
        # Unescaping cannot make a separator here, so the whole body is unescaped in
        # one call rather than field by field: the same text, since the fields are
        # joined by "&" and "=", which no escape sequence (valid UTF-8 or not) spans.
        text, escaped = unquote(text, errors="werkzeug.url_quote"), False
    else:
        escaped = "%" in text
    out: dict[str, str] = {}
    for part in text.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if escaped and "%" in part:
            name, value = _unescape(name), _unescape(value)
        if name not in out:
            out[name] = value
    return out


def _unescape(text: str) -> str:
    return unquote(text, errors="werkzeug.url_quote") if "%" in text else text


def form_of(environ: dict) -> dict[str, str]:
    """The form fields (the first value of each name) of the request in this WSGI
    `environ`, decoded once per request. When werkzeug parsed the form already (the
    signature check reads it as a MultiDict, since a signature covers every value of a
    repeated name), that is used."""
    cached = environ.get("flowstudio.form")
    if cached is None:
        mimetype = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
        parsed = environ.get("werkzeug.request")  # set by a werkzeug Request of this environ
        if mimetype == URLENCODED and (parsed is None or "form" not in parsed.__dict__):
            body = _body(environ)
            if b"%00" in body or b"\x00" in body:
                _refuse_nul()
            try:
                cached = decode(body.decode())
            except UnicodeDecodeError as exc:
                # werkzeug's form is silently empty then, and the answer said "MessageSid is
                # missing" of a body that has one: Twilio's bodies are UTF-8, so say that.
                raise _not_utf8(body, exc, "Twilio sends its parameters as UTF-8") from None
        else:
            cached = (parsed or Request(environ)).form.to_dict()
            if any("\x00" in k or "\x00" in v for k, v in cached.items()):
                _refuse_nul()
        environ["flowstudio.form"] = cached
    return cached


def check_utf8(request: Request) -> None:
    """Refuse (ApiError 400, saying where) a urlencoded body that is not UTF-8: werkzeug
    reads it as an empty form, and the answer would blame a missing field instead."""
    if request.mimetype != URLENCODED:
        return
    body = request.get_data(cache=True)   # werkzeug parses the form from this copy later
    try:
        body.decode()
    except UnicodeDecodeError as exc:
        raise _not_utf8(body, exc, "send the parameters as UTF-8") from None


def _not_utf8(body: bytes, exc: UnicodeDecodeError, advice: str) -> ApiError:
    """The 400 for a form body that is not UTF-8, naming its first bad byte."""
    return ApiError(400, f"the form body is not UTF-8 (byte {exc.start} is {body[exc.start]:#04x}): {advice}", "body")


def _refuse_nul():
    """NUL characters are refused at the edge, the same on every database: PostgreSQL
    cannot store them and SQLite would keep `+1555\x00999` as a contact's number."""
    raise ApiError(400, "the form holds a NUL character (%00), which no Twilio parameter contains", "body")


def _body(environ: dict) -> bytes:
    """The body, read straight from the WSGI input, which is then replaced by a copy, so
    that werkzeug can still read it. (werkzeug's own `get_data` takes longer than the
    decoding.) Without a length, no body, as werkzeug reads it."""
    length = content_length(environ)
    data = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(data)
    return data


def content_length(environ: dict) -> int | None:
    """The body's length as werkzeug reads it: None when chunked or not given."""
    return get_content_length(environ.get("CONTENT_LENGTH"), environ.get("HTTP_TRANSFER_ENCODING"))
