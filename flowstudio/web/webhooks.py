"""Twilio-compatible webhooks: one URL per flow, answered in TwiML.

`POST /webhooks/<flow-id>` takes what a number sends: a message (it carries
`MessageSid`) or a call (`CallSid`), a Conversations webhook (`ConversationSid`,
`EventType=onMessageAdded`), and the callbacks of the verbs we printed (their
URLs carry `execution`, `widget` and `token`). `POST /webhooks/<flow-id>/status` takes
status callbacks: a finished call ends its execution, an undelivered message follows
`deliveryFailure`. A flow that cannot run answers with an apology, never silence.

The webhooks are a small WSGI app of their own, in front of Flask (`install`): every
request under `/webhooks/` comes here, everything else goes on to Flask. They read
the request from the WSGI environ (`_Hook`; werkzeug's Request, what Flask's is built
on, only for signatures and query arguments) and write TwiML straight to WSGI, without
Flask's per-request machinery (request and app contexts, routing, sessions, hooks,
signals): that machinery cost more than the rest of an SMS answer outside the turn
itself, and a webhook uses none of it. Errors are the same JSON as the API's (errors.py).

Measured (a fast path stays while it saves >= 5 % of a whole turn): a whole in-process
webhook SMS turn on SQLite takes 0.85 ms of CPU with this app against 1.49 ms with the
same `dispatch` routed as Flask views, 43 % of the turn saved (41 % in a second run:
0.99 against 1.69 ms); `python benchmarks/run.py -k "Flask routing"` (bench_fastpaths.py).
Through the real server, the worker's CPU per request: 1.41 ms against 1.98 ms (29 %).
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache
from urllib.parse import quote, urlencode

from flask import Flask
from twilio.request_validator import RequestValidator
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from ..adapters import twiml
from ..campaigns import KEYWORDS, record_keyword
from ..repository import FlowUnavailable
from ..service import ExecutionNotFound, TurnResult
from . import errors, formdata
from .app import runtime
from .auth import is_loopback
from .errors import ApiError, whole_number

log = logging.getLogger("flowstudio.webhooks")

PREFIX = "/webhooks/"
MAX_WEBHOOK_BODY = 64 * 1024
OURS = ("execution", "widget", "token")          # query parameters we add to callback URLs
CALL_OVER = ("completed", "busy", "failed", "no-answer", "canceled")
NOT_DELIVERED = ("undelivered", "failed")
MAX_TOKEN = 10**12                                # a callback's token: the turn counter we printed
METHODS = ("POST", "GET")                         # Twilio calls back with either
# Twilio parameters that become a key or a bounded column of the store (adapters/schema.py:
# call_sid 64, contact / flow_address / waiting_widget 200, the turn's key 300): a SID is
# 34 characters. Longer ones are refused here, naming the field, rather than by
# PostgreSQL with a 500 (SQLite would keep them, and their keys would not fit).
MAX_SID, MAX_NAME = 64, 200
BOUNDED = {"MessageSid": MAX_SID, "SmsSid": MAX_SID, "CallSid": MAX_SID, "ConversationSid": MAX_SID,
           "From": MAX_NAME, "To": MAX_NAME, "Author": MAX_NAME, "Widget": MAX_NAME}
_PATH_SAFE = "!$&'()*+,/:;=@"   # how werkzeug's routing quotes a path part (what url_for wrote)
_QUERY_SAFE = "!$'()*,/:;?@"    # ... and a query


def install(app: Flask) -> None:
    """Put the webhooks in front of the app's WSGI callable (after every other
    middleware, so that they come first)."""
    app.wsgi_app = Webhooks(app, app.wsgi_app)


class Webhooks:
    """The WSGI app of `/webhooks/...`; other paths go on to `fallback` (Flask)."""

    def __init__(self, app: Flask, fallback):
        self.app = app
        self.config = app.config
        self.fallback = fallback

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").startswith(PREFIX):
            return self.fallback(environ, start_response)
        try:
            response = self.dispatch(_Hook(environ))
        except ApiError as exc:
            response = errors.response(exc.status, exc.message, exc.field)
        except RequestEntityTooLarge:
            response = errors.response(413, f"webhook bodies are limited to {MAX_WEBHOOK_BODY // 1024} KB")
        except Exception:  # noqa: BLE001 - answered like the API's unexpected errors
            log.exception("unexpected error in webhook %s", environ["PATH_INFO"])
            response = errors.response(500, "internal error; the server log has the details")
        return response(environ, start_response)

    def dispatch(self, request: _Hook):
        """Route, check and answer one webhook request."""
        parts = request.path[len(PREFIX):].split("/")
        if not parts[0] or len(parts) > 2 or (len(parts) == 2 and parts[1] != "status"):
            raise ApiError(404, "no such page")
        if request.method not in METHODS:
            response = errors.response(405, "method not allowed here")
            response.headers["Allow"] = ", ".join(METHODS)
            return response
        if (request.content_length or 0) > MAX_WEBHOOK_BODY:
            raise RequestEntityTooLarge()
        problem = self.refusal(request)
        if problem:
            log.warning("refused webhook %s from %s: %s", request.path, request.remote_addr, problem)
            raise ApiError(403, problem)
        service = runtime(self.app).service
        if not service.flows.exists(parts[0]):
            raise ApiError(404, f"there is no flow '{parts[0]}'")
        handle = status if len(parts) == 2 else webhook
        return handle(request, service, parts[0])

    def refusal(self, request: _Hook) -> str | None:
        """Why this webhook must be refused, or None (see README: security)."""
        token = self.config.get("TWILIO_AUTH_TOKEN")
        if token:
            signature = request.headers.get("X-Twilio-Signature", "")
            if not signature or not RequestValidator(token).validate(self.signed_url(request), request.form,
                                                                     signature):
                return "the X-Twilio-Signature header is missing or wrong for this URL and token"
            return None
        if self.config.get("INSECURE") or is_loopback(self.config.get("LISTEN_HOST")):
            return None
        return ("unsigned webhooks are accepted only on loopback: set TWILIO_AUTH_TOKEN "
                "(or start the server with --insecure)")

    def signed_url(self, request: _Hook) -> str:
        """The URL Twilio signed: our public address when behind a proxy."""
        public = self.config.get("PUBLIC_URL")
        if not public:
            return request.url
        query = request.query_string.decode()
        return public.rstrip("/") + request.path + (f"?{query}" if query else "")


def webhook(request: _Hook, service, flow_id: str) -> _Xml:
    """A message, a call, or a callback of a verb we printed."""
    params = _params(request)
    execution = _arg(request, "execution")
    is_call = "CallSid" in params and "MessageSid" not in params
    if execution is None and params.get("FlowEvent") == "return" and is_call:
        execution = service.execution_of_call(flow_id, params["CallSid"])  # back from Add TwiML Redirect
        if execution is None:
            raise ApiError(404, "no active execution for this call")
    try:
        if execution:
            widget = request.args.get("widget") or params.get("Widget", "")
            result = service.callback(flow_id, execution, widget, params, _token(request))
            return _voice(request, flow_id, result)
        if "ConversationSid" in params:   # before MessageSid: a Conversations message carries one too
            return conversation(service, flow_id, params)
        if "MessageSid" in params:
            if not params.get("From", "").strip():
                # Twilio names the sender of every message: without one, every such post
                # would share one conversation (the contact "").
                raise ApiError(400, "a message needs From: the sender's address", field="From")
            if params.get("Body", "").strip().upper() in KEYWORDS:   # STOP, START...: campaigns.py
                record_keyword(service, flow_id, params)
            result = service.inbound_message(flow_id, params)
            return _Xml(twiml.messaging(result.replies, lambda widget: _url(
                request, flow_id, "/status", execution=result.execution_id, widget=widget)))
        if "CallSid" in params:
            return _voice(request, flow_id, service.inbound_call(flow_id, params))
    except FlowUnavailable as exc:
        log.error("%s", exc)
        return _Xml(twiml.apology(is_call))
    except ExecutionNotFound as exc:
        raise ApiError(404, str(exc)) from None
    mimetype = request.environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
    if mimetype not in ("", formdata.URLENCODED, "multipart/form-data"):
        # JSON, XML...: werkzeug reads no form from it, and "MessageSid is missing" would puzzle
        raise ApiError(400, f"expected a Twilio webhook, a form (Content-Type: {formdata.URLENCODED}), not "
                            f"{mimetype[:60]}", field="Content-Type")
    raise ApiError(400, "expected a Twilio webhook: MessageSid (a message) or CallSid (a call) is missing",
                   field="MessageSid")


def conversation(service, flow_id: str, params: dict) -> Response:
    """A Conversations webhook: `onMessageAdded` starts or resumes the Conversation's
    execution (replies go through the Conversations API, so the answer is empty);
    `onDeliveryUpdated` with Status failed/undelivered is the waiting question's
    `deliveryFailure`; other events (a participant joined, the Conversation
    changed...) are not the flow's and get an empty 200. A flow that cannot run answers 503: Twilio shows it in its debugger."""
    event = params.get("EventType", "onMessageAdded")
    undelivered = event == "onDeliveryUpdated" and params.get("Status") in NOT_DELIVERED
    if event != "onMessageAdded" and not undelivered:
        return Response(status=200)
    try:
        if undelivered:
            service.conversation_delivery_failed(flow_id, params)
        else:
            service.inbound_conversation(flow_id, params)
    except FlowUnavailable as exc:
        log.error("%s", exc)
        return errors.response(503, str(exc))
    return Response(status=200)


def status(request: _Hook, service, flow_id: str) -> Response:
    """Status callbacks: calls that end, messages that were not delivered."""
    params = _params(request)
    execution, widget = _arg(request, "execution"), _arg(request, "widget")
    call_status, message_status = params.get("CallStatus"), params.get("MessageStatus")
    try:
        if message_status in NOT_DELIVERED and execution and widget:
            service.delivery_failed(flow_id, execution, widget, params)
        elif call_status and widget and execution and call_status != "completed":
            service.callback(flow_id, execution, widget, params, _token(request))  # an outgoing call not answered
        elif call_status in CALL_OVER:
            execution = execution or service.execution_of_call(flow_id, params.get("CallSid", ""))
            if execution:
                service.call_ended(flow_id, execution, params)
    except ExecutionNotFound as exc:
        raise ApiError(404, str(exc)) from None
    return Response(status=204)


# ---------------------------------------------------------------- helpers


class _Hook:
    """The request, as the webhooks read it: path, method, query string and length
    straight from the WSGI environ, as werkzeug's Request gives them; that Request
    (`full`) is built only for what needs it (a signature, query arguments), since it
    costs more to build than the rest of reading an SMS."""

    __slots__ = ("environ", "method", "path", "query_string", "script_root", "_full")

    def __init__(self, environ: dict):
        self.environ = environ
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        self.path = "/" + _wsgi_text(environ.get("PATH_INFO") or "").lstrip("/")
        self.query_string = environ.get("QUERY_STRING", "").encode("latin1")
        self.script_root = _wsgi_text(environ.get("SCRIPT_NAME") or "").rstrip("/")
        self._full = None

    @property
    def full(self) -> Request:
        """werkzeug's Request of this environ."""
        if self._full is None:
            self._full = Request(self.environ)
        return self._full

    @property
    def content_length(self) -> int | None:
        return formdata.content_length(self.environ)

    @property
    def remote_addr(self) -> str | None:
        return self.environ.get("REMOTE_ADDR")

    @property
    def args(self):
        return self.full.args

    @property
    def headers(self):
        return self.full.headers

    @property
    def form(self):
        return self.full.form

    @property
    def url(self) -> str:
        return self.full.url


def _wsgi_text(value: str) -> str:
    """A WSGI path string (UTF-8 bytes as latin-1) as text, as werkzeug decodes it."""
    return value if value.isascii() else value.encode("latin1").decode(errors="replace")


def _params(request: _Hook) -> dict:
    """Twilio's parameters (form body, and GET query) without the ones we add; those
    that name a row (`BOUNDED`) checked for length."""
    form = formdata.form_of(request.environ)
    if not request.query_string:
        params = dict(form)
    else:
        params = {k: v for k, v in request.args.items() if k not in OURS}
        params.update(form)
        _check_length("widget", request.args.get("widget"), BOUNDED["Widget"])
    for name, limit in BOUNDED.items():
        _check_length(name, params.get(name), limit)
    return params


def _check_length(name: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise ApiError(400, f"{name} is {len(value):,} characters long: Twilio's are at most {limit} here "
                            f"({'a SID is 34' if limit == MAX_SID else 'an address, or a widget name'})",
                       field=name)


def _arg(request: _Hook, name: str) -> str | None:
    """A query parameter; most webhooks have no query, and werkzeug would parse the
    empty one into a MultiDict to say so."""
    return request.args.get(name) if request.query_string else None


def _token(request: _Hook) -> int | None:
    raw = _arg(request, "token")
    if raw is None:
        return None
    token = whole_number(raw, 0, MAX_TOKEN)
    if token is None:
        raise ApiError(400, f"token must be a whole number from 0 to {MAX_TOKEN:,}", field="token")
    return token


def _voice(request: _Hook, flow_id: str, result: TurnResult) -> _Xml:
    token = (result.waiting or {}).get("token")
    ended = result.status != "active"

    def callback(widget: str, token=None, **extra) -> str:
        return _url(request, flow_id, "", execution=result.execution_id, widget=widget, token=token, **extra)

    return _Xml(twiml.voice(result.voice, callback, token, ended))


def _url(request: _Hook, flow_id: str, suffix: str, **query) -> str:
    """The path of this flow's webhook (`suffix` "" or "/status") with `query` (None
    values left out), quoted as Flask's url_for quotes it."""
    pairs = [(k, v if type(v) is str else str(v)) for k, v in query.items() if v is not None]
    path = f"{request.script_root}{PREFIX}{_quoted(flow_id)}{suffix}"
    if not pairs:
        return path
    if all(_PLAIN(v) for _, v in pairs):  # ids and widget names: nothing to quote (urlencode's 8 µs)
        return path + "?" + "&".join(f"{k}={v}" for k, v in pairs)
    return f"{path}?{urlencode(pairs, safe=_QUERY_SAFE)}"


_PLAIN = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch   # what quoting leaves as it is


@lru_cache(maxsize=1024)
def _quoted(flow_id: str) -> str:
    return quote(flow_id, safe=_PATH_SAFE)


class _Xml:
    """A TwiML answer (200, text/xml), written straight to WSGI: every SMS gets one,
    and werkzeug's Response takes 8 µs to say the same."""

    __slots__ = ("body",)

    def __init__(self, text: str):
        self.body = text.encode()

    def __call__(self, environ, start_response):
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"),
                                  ("Content-Length", str(len(self.body)))])
        return [self.body]
