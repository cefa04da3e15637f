"""Errors as JSON, in one place: `{"error": {"status", "message", "field"}}`."""
from __future__ import annotations

import json
import logging

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

log = logging.getLogger("flowstudio.web")


class ApiError(Exception):
    """An error to answer with `status`; `field` names the bad input when there is one."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


def response(status: int, message: str, field: str | None = None, **extra) -> Response:
    """The JSON error response (a werkzeug response: the webhooks answer without Flask);
    `extra` says more inside the error (an execution id, a flow's issues)."""
    body = {"status": status, "message": message}
    if field:
        body["field"] = field
    body.update(extra)
    return Response(json.dumps({"error": body}), status=status, mimetype="application/json")


def register(app: Flask) -> None:
    """Answer every error as JSON, with a clear message."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return response(exc.status, exc.message, exc.field)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        messages = {413: "the request body is too large", 404: "no such page", 405: "method not allowed here"}
        return response(exc.code or 500, messages.get(exc.code, exc.description or exc.name))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error")
        return response(500, "internal error; the server log has the details")
