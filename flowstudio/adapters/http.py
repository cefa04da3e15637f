"""The HTTP client behind Make HTTP Request and Run Function.

Pure data in, pure data out: the engine hands over an `HttpRequest` and gets back an
`HttpResponse`. Network trouble never raises; it comes back as `error`, in plain
English, so the widget can follow its failure transition and the log can say why.
Studio's limits apply: 10 s to answer and 64 kB of answer at most.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import HTTPError, LocationParseError, ReadTimeoutError

from flowstudio import __version__

FORM = "application/x-www-form-urlencoded;charset=utf-8"
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class HttpRequest:
    """A request as the engine asks for it (properties already rendered)."""
    method: str  # "GET" | "POST"
    url: str
    content_type: str = FORM  # or "application/json;charset=utf-8"
    body: str | None = None  # raw text as rendered; POST only
    parameters: tuple[tuple[str, str], ...] = ()  # form fields, query string (GET) or JSON object
    headers: tuple[tuple[str, str], ...] = ()
    auth: tuple[str, str] | None = None  # basic auth (add_twilio_auth)


@dataclass(frozen=True)
class HttpResponse:
    """The answer, or why there is none. `error` set means the call failed."""
    status_code: int | None  # None when no answer at all
    content_type: str = ""
    body: str = ""  # decoded text, at most max_bytes of it
    error: str | None = None
    elapsed_ms: int = 0


class _Timeout(Exception):
    """The whole call took longer than the client's timeout."""


class HttpClient:
    """Performs `HttpRequest`s with a time limit and a size limit; never raises for network problems.

    A session passed in is used as is, except that its redirects are capped at 5.
    """

    def __init__(self, timeout: float = 10.0, max_bytes: int = 64 * 1024,
                 session: requests.Session | None = None):
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.session = requests.Session() if session is None else session
        self.session.max_redirects = MAX_REDIRECTS

    def perform(self, request: HttpRequest) -> HttpResponse:
        """Send `request` and return the answer (or the reason there is none)."""
        try:
            parts = urlsplit(request.url.strip())
        except ValueError as exc:  # e.g. an unclosed "[" of an IPv6 address
            return HttpResponse(None, error=f"bad URL: {exc}")
        if parts.scheme.lower() not in ("http", "https"):
            # Checked before anything is sent: file:, ftp: etc. must never be reachable from a flow.
            return HttpResponse(None, error="only http and https addresses can be called")
        if not parts.hostname:
            return HttpResponse(None, error=f"bad URL (no host name): {request.url}")
        start = time.monotonic()
        status, content_type = None, ""
        try:
            kwargs = self._arguments(request)
            # (connect, read) bounds each wait on the socket; _read also caps the total, or a
            # server trickling a byte at a time would hold the flow forever. A body stalling
            # just before the deadline can still take one more read timeout (at most ~2x).
            with self.session.request(request.method.upper(), request.url.strip(), stream=True,
                                      timeout=(self.timeout, self.timeout), **kwargs) as resp:
                status, content_type = resp.status_code, resp.headers.get("Content-Type", "")
                raw, too_large = self._read(resp, start)
            body = _decode(raw, content_type)
            error = f"response larger than {_size(self.max_bytes)}" if too_large else None
            return HttpResponse(status, content_type, body, error, _ms(start))
        except (requests.RequestException, HTTPError, _Timeout, OSError, ValueError) as exc:
            # ValueError covers what urllib3 raises for URLs it cannot parse and headers it cannot encode.
            return HttpResponse(status, content_type, "", self._describe(exc, parts.hostname), _ms(start))

    def _arguments(self, request: HttpRequest) -> dict:
        """The `requests` arguments for a GET, a form POST or a JSON POST."""
        headers = {"User-Agent": f"FlowStudio/{__version__}"}
        kwargs: dict = {"auth": request.auth}
        if request.method.upper() == "GET":
            kwargs["params"] = list(request.parameters)
        elif "json" in request.content_type.lower():
            headers["Content-Type"] = request.content_type
            text = request.body if request.body and request.body.strip() else ""
            if not text and request.parameters:  # no body written: send the parameters as an object
                text = json.dumps(dict(request.parameters))
            kwargs["data"] = text.encode("utf-8")
        else:
            headers["Content-Type"] = request.content_type
            # A hand-written form body is sent as is; otherwise the parameters are the fields.
            kwargs["data"] = request.body.encode("utf-8") if request.body else list(request.parameters)
        headers.update(request.headers)  # explicit headers win over our defaults
        kwargs["headers"] = headers
        return kwargs

    def _read(self, resp: requests.Response, start: float) -> tuple[bytes, bool]:
        """Up to max_bytes of the body, and whether there was more; stops on the total timeout."""
        buf = bytearray()
        while True:
            # read1, not iter_content: iter_content blocks until a whole chunk of 8 kB has come,
            # so a server trickling bytes would never get back to the time check.
            chunk = resp.raw.read1(8192, decode_content=True)
            if not chunk:
                return bytes(buf), False
            buf += chunk
            if len(buf) > self.max_bytes:
                # Stop reading at once (the `with` closes the connection) rather than drain it.
                return bytes(buf[:self.max_bytes]), True
            if time.monotonic() - start > self.timeout:
                raise _Timeout()

    def _describe(self, exc: Exception, host: str) -> str:
        """A plain-English reason for a failed call."""
        # While streaming the body, urllib3's own ReadTimeoutError comes through unwrapped.
        if isinstance(exc, (requests.Timeout, ReadTimeoutError, _Timeout)):
            return f"timed out: no answer within {self.timeout:g} second{'' if self.timeout == 1 else 's'}"
        if isinstance(exc, requests.TooManyRedirects):
            return f"too many redirects (more than {MAX_REDIRECTS})"
        if isinstance(exc, requests.exceptions.InvalidSchema):  # a redirect to ftp:, file: ...
            return "only http and https addresses can be called"
        if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                            LocationParseError)):
            return f"bad URL: {exc}"
        if isinstance(exc, requests.ConnectionError):
            text = str(exc).lower()
            why = ": connection refused" if "refused" in text else (
                ": no such host" if "resolve" in text or "name or service" in text else "")
            return f"could not connect to {host}{why}"
        if isinstance(exc, HTTPError):  # e.g. the server hung up in the middle of the answer
            return f"the connection to {host} broke off: {exc}"
        return f"the request failed: {exc}"


def _decode(raw: bytes, content_type: str) -> str:
    """Text in the response's charset, utf-8 when none is given or it is unknown."""
    msg = Message()
    msg["Content-Type"] = content_type or "application/octet-stream"
    try:
        return raw.decode(msg.get_content_charset() or "utf-8", errors="replace")
    except LookupError:  # an unknown charset, or a codec that is not a text encoding ("base64")
        return raw.decode("utf-8", errors="replace")


def _size(n: int) -> str:
    return f"{n // 1024} KB" if n % 1024 == 0 else f"{n} bytes"


def _ms(start: float) -> int:
    return int((time.monotonic() - start) * 1000)
