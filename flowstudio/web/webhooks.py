"""Twilio-compatible webhooks: one URL per flow, answered in TwiML.

`POST /webhooks/<flow-id>` takes what a number sends: a message (it carries
`MessageSid`) or a call (`CallSid`), and the callbacks of the verbs we printed (their
URLs carry `execution`, `widget` and `token`). `POST /webhooks/<flow-id>/status` takes
status callbacks: a finished call ends its execution, an undelivered message follows
`deliveryFailure`. A flow that cannot run answers with an apology, never silence.
"""
from __future__ import annotations

import logging
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, current_app, request, url_for
from twilio.request_validator import RequestValidator

from ..adapters import twiml
from ..repository import FlowUnavailable
from ..service import ExecutionNotFound, TurnResult
from . import formdata
from .app import runtime
from .auth import is_loopback
from .errors import ApiError

log = logging.getLogger("flowstudio.webhooks")
blueprint = Blueprint("webhooks", __name__)

MAX_WEBHOOK_BODY = 64 * 1024
OURS = ("execution", "widget", "token")          # query parameters we add to callback URLs
CALL_OVER = ("completed", "busy", "failed", "no-answer", "canceled")
NOT_DELIVERED = ("undelivered", "failed")
_PATH_SAFE = "!$&'()*+,/:;=@"   # werkzeug's default converter quotes path parts with this


@blueprint.before_request
def _guard() -> None:
    if (request.content_length or 0) > MAX_WEBHOOK_BODY:
        raise ApiError(413, f"webhook bodies are limited to {MAX_WEBHOOK_BODY // 1024} KB")
    problem = _refusal()
    if problem:
        log.warning("refused webhook %s from %s: %s", request.path, request.remote_addr, problem)
        raise ApiError(403, problem)


@blueprint.route("/webhooks/<flow_id>", methods=["POST", "GET"])
def webhook(flow_id: str) -> Response:
    """A message, a call, or a callback of a verb we printed."""
    service = _service(flow_id)
    params = _params()
    execution = request.args.get("execution")
    is_call = "CallSid" in params and "MessageSid" not in params
    if execution is None and params.get("FlowEvent") == "return" and is_call:
        execution = service.execution_of_call(flow_id, params["CallSid"])  # back from Add TwiML Redirect
        if execution is None:
            raise ApiError(404, "no active execution for this call")
    try:
        if execution:
            token = _token()
            widget = request.args.get("widget") or params.get("Widget", "")
            result = service.callback(flow_id, execution, widget, params, token)
            return _voice(flow_id, result)
        if "MessageSid" in params:
            result = service.inbound_message(flow_id, params)
            return _xml(twiml.messaging(result.replies, lambda w: _status_url(flow_id, result.execution_id, w)))
        if "CallSid" in params:
            return _voice(flow_id, service.inbound_call(flow_id, params))
    except FlowUnavailable as exc:
        log.error("%s", exc)
        return _xml(twiml.apology(is_call))
    except ExecutionNotFound as exc:
        raise ApiError(404, str(exc)) from None
    raise ApiError(400, "expected a Twilio webhook: MessageSid (a message) or CallSid (a call) is missing",
                   field="MessageSid")


@blueprint.route("/webhooks/<flow_id>/status", methods=["POST", "GET"])
def status(flow_id: str) -> Response:
    """Status callbacks: calls that end, messages that were not delivered."""
    service = _service(flow_id)
    params = _params()
    execution, widget = request.args.get("execution"), request.args.get("widget")
    call_status, message_status = params.get("CallStatus"), params.get("MessageStatus")
    try:
        if message_status in NOT_DELIVERED and execution and widget:
            service.delivery_failed(flow_id, execution, widget, params)
        elif call_status and widget and execution and call_status != "completed":
            service.callback(flow_id, execution, widget, params, _token())  # an outgoing call not answered
        elif call_status in CALL_OVER:
            execution = execution or service.execution_of_call(flow_id, params.get("CallSid", ""))
            if execution:
                service.call_ended(flow_id, execution, params)
    except ExecutionNotFound as exc:
        raise ApiError(404, str(exc)) from None
    return Response(status=204)


# ---------------------------------------------------------------- helpers


def _service(flow_id: str):
    service = runtime(current_app).service
    if not service.flows.exists(flow_id):
        raise ApiError(404, f"there is no flow '{flow_id}'")
    return service


def _params() -> dict:
    """Twilio's parameters (form body, and GET query) without the ones we add."""
    form = formdata.form_of(request)
    if not request.query_string:
        return dict(form)
    params = {k: v for k, v in request.args.items() if k not in OURS}
    params.update(form)
    return params


def _token() -> int | None:
    raw = request.args.get("token")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, "token must be a whole number", field="token") from None


def _voice(flow_id: str, result: TurnResult) -> Response:
    token = (result.waiting or {}).get("token")
    ended = result.status != "active"

    def callback(widget: str, token=None, **extra) -> str:
        return url_for("webhooks.webhook", flow_id=flow_id, execution=result.execution_id, widget=widget,
                       token=token, **extra)

    return _xml(twiml.voice(result.voice, callback, token, ended))


def _status_url(flow_id: str, execution: str | None, widget: str) -> str:
    """url_for("webhooks.status", flow_id=..., execution=..., widget=...), written with
    werkzeug's own quoting: every SMS answer carries one, and url_for costs 40 µs."""
    query = urlencode([(k, v) for k, v in (("execution", execution), ("widget", widget)) if v is not None],
                      safe="!$'()*,/:;?@")
    path = f"{request.script_root}/webhooks/{quote(flow_id, safe=_PATH_SAFE)}/status"
    return f"{path}?{query}" if query else path


def _xml(body: str) -> Response:
    return Response(body, mimetype="text/xml")


def _refusal() -> str | None:
    """Why this webhook must be refused, or None (see README: security)."""
    config = current_app.config
    token = config.get("TWILIO_AUTH_TOKEN")
    if token:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not RequestValidator(token).validate(_signed_url(), request.form, signature):
            return "the X-Twilio-Signature header is missing or wrong for this URL and token"
        return None
    if config.get("INSECURE") or is_loopback(config.get("LISTEN_HOST")):
        return None
    return ("unsigned webhooks are accepted only on loopback: set TWILIO_AUTH_TOKEN "
            "(or start the server with --insecure)")


def _signed_url() -> str:
    """The URL Twilio signed: our public address when behind a proxy."""
    public = current_app.config.get("PUBLIC_URL")
    if not public:
        return request.url
    query = request.query_string.decode()
    return public.rstrip("/") + request.path + (f"?{query}" if query else "")
