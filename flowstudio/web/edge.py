"""The first thing every request meets: refusals that hold for every path.

`install(app)` wraps the whole WSGI app (webhooks, socket.io and Flask alike):

- **Host names (DNS rebinding).** A web page on any site can point its own domain at
  127.0.0.1 and then send requests that a browser treats as same-origin to a FlowStudio
  running on the visitor's laptop. Such a request carries the attacker's name in
  `Host`, so only these names are answered: loopback names (`localhost`,
  `*.localhost`), IP addresses (a page cannot be served from an IP address it does
  not own), this machine's own name and the `--host` given, `FLOWSTUDIO_PUBLIC_URL`'s
  host, and `FLOWSTUDIO_ALLOWED_HOSTS` (comma-separated; `*.example.com` for every
  name under it; `*` turns the check off). Anything else gets 400 naming the setting.
  Webhooks that Twilio's signature protects (`TWILIO_AUTH_TOKEN` set) or that
  `--insecure` opens to anyone skip the check: a forged Host gains nothing there.
- **Chunked bodies** are read here, up to the body limit (a webhook's or the API's),
  and handed on with a length: a malformed chunk is a 400, never a 500 from deep in
  a handler, and an endless one a 413.
- **NUL characters** in the path or query string are refused (400): they end strings
  in C, PostgreSQL cannot store them, and no Twilio parameter or flow id holds one.
  Bodies are checked where they are parsed (jsonbody.py, formdata.py).
"""
from __future__ import annotations

import io
import socket
from ipaddress import ip_address
from urllib.parse import urlsplit

from flask import Flask

from . import errors
from .webhooks import MAX_WEBHOOK_BODY, PREFIX as WEBHOOKS

HOSTS_SETTING = "FLOWSTUDIO_ALLOWED_HOSTS"


def install(app: Flask) -> None:
    """Wrap the app's WSGI callable (call last: this must come first)."""
    app.wsgi_app = Edge(app.wsgi_app, allowed_hosts(app.config),
                        signed=bool(app.config.get("TWILIO_AUTH_TOKEN")) or bool(app.config.get("INSECURE")),
                        max_body=app.config.get("MAX_CONTENT_LENGTH") or 10 * 1024 * 1024)


def allowed_hosts(config) -> "HostRule":
    """The host names this server answers to (see module docstring)."""
    names = {"localhost", socket.gethostname().lower()}
    try:
        names.add(socket.getfqdn().lower())
    except OSError:  # pragma: no cover - a machine without a resolvable name
        pass
    for host in (config.get("LISTEN_HOST"), urlsplit(config.get("PUBLIC_URL") or "").hostname):
        if host:
            names.add(host.lower())
    extra = config.get("ALLOWED_HOSTS") or ""
    if isinstance(extra, str):
        extra = extra.split(",")
    names.update(h.strip().lower() for h in extra if h and h.strip())
    return HostRule(names)


class HostRule:
    """Whether a Host header names this server; answers are remembered (a few names
    come back on every request)."""

    def __init__(self, names: set[str]):
        self.any = "*" in names
        self.names = {n for n in names if not n.startswith("*.")}
        self.suffixes = tuple(n[1:] for n in names if n.startswith("*."))   # ".example.com"
        self._known: dict[str, bool] = {}

    def __call__(self, host_header: str) -> bool:
        known = self._known.get(host_header)
        if known is None:
            known = self._decide(host_header)
            if len(self._known) < 1024:   # an attacker sending endless names fills nothing
                self._known[host_header] = known
        return known

    def _decide(self, host_header: str) -> bool:
        if self.any or not host_header:
            return True   # no Host at all: HTTP/1.0 from a script, never a browser
        name = hostname(host_header)
        if name is None:
            return False
        if name in self.names or name == "localhost" or name.endswith(".localhost"):
            return True
        try:
            ip_address(name)
            return True
        except ValueError:
            pass
        return name.endswith(self.suffixes) if self.suffixes else False


def hostname(host_header: str) -> str | None:
    """The name in a Host header, lower case, without port or IPv6 brackets; None when
    it is not a valid host."""
    try:
        parts = urlsplit("//" + host_header)
        name, _ = parts.hostname, parts.port   # .port raises on a bad port
    except ValueError:
        return None
    if not name or parts.path or parts.query or parts.fragment or parts.username is not None:
        return None
    return name.rstrip(".")


class Edge:
    """The WSGI middleware (see module docstring)."""

    def __init__(self, wsgi_app, hosts: HostRule, *, signed: bool, max_body: int):
        self.wsgi_app = wsgi_app
        self.hosts = hosts
        self.signed = signed
        self.max_body = max_body

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        problem = self.refusal(environ, path)
        if problem is not None:
            return problem(environ, start_response)
        return self.wsgi_app(environ, start_response)

    def refusal(self, environ, path: str):
        """The error response that refuses this request, or None to let it through."""
        host = environ.get("HTTP_HOST", "")
        if not (self.signed and path.startswith(WEBHOOKS)) and not self.hosts(host):
            return errors.response(
                400, f"this server does not answer to the host name '{host[:200]}': a web page may be trying to "
                     f"reach it through its own domain name. If that name is yours, add it to {HOSTS_SETTING} "
                     "(comma-separated) or set FLOWSTUDIO_PUBLIC_URL", "Host")
        query = environ.get("QUERY_STRING", "")
        if "\x00" in path or "%00" in query or "\x00" in query:
            return errors.response(400, "the address holds a NUL character (%00), which no flow, execution or "
                                        "Twilio parameter contains", "query" if "%00" in query else "path")
        if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked" and environ.get("wsgi.input_terminated"):
            return self._read_chunked(environ, MAX_WEBHOOK_BODY if path.startswith(WEBHOOKS) else self.max_body)
        return None

    @staticmethod
    def _read_chunked(environ, limit: int):
        """Read a chunked body whole (at most `limit` bytes) and hand it on with a
        length; the error response when it is malformed or too long, else None."""
        try:
            body = environ["wsgi.input"].read(limit + 1)
        except Exception as exc:  # noqa: BLE001 - every server reports a bad chunk its own way
            return errors.response(400, f"the chunked request body is malformed ({type(exc).__name__}: "
                                        f"{str(exc)[:200]})", "body")
        if len(body) > limit:
            return errors.response(413, f"the request body is too large: at most {limit // 1024:,} KB here")
        environ.update({"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
        del environ["HTTP_TRANSFER_ENCODING"]
        return None
