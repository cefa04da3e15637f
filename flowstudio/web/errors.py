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


def whole_number(raw: str | None, low: int, high: int) -> int | None:
    """`raw` as a whole number from `low` to `high`, or None when it is not one.

    Only ASCII digits count, and only as many as `high` has: `str.isdigit` is true of
    "²" (which `int` refuses) and of 5,000 nines (which `int` refuses past 4,300 digits),
    and `int` itself reads "١٢", " 12 " and "1_2". Every number a request carries in its
    address (paging, limits, tokens) is read here, so none of those reaches `int` raw."""
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or len(raw) > len(str(high)):
        return None
    value = int(raw)
    return value if low <= value <= high else None


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
