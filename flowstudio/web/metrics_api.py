"""`GET /metrics` (Prometheus's text format; what it holds: flowstudio/metrics.py), and
the counting of webhook answers by status.

`/metrics` is protected like the API (auth.py): open on loopback; beyond loopback, or
whenever `FLOWSTUDIO_PASSWORD` is set, it needs `Authorization: Bearer
$FLOWSTUDIO_API_TOKEN` (what a Prometheus scrape config sends) or a signed-in session.
"""
from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app

from .. import metrics
from .app import runtime
from .auth import bearer_ok, login_required, signed_in_user
from .errors import ApiError

blueprint = Blueprint("metrics", __name__)
WEBHOOKS = "/webhooks/"


@blueprint.get("/metrics")
def scrape():
    """This server's figures for Prometheus."""
    _check_access()
    service = runtime(current_app).service
    return Response(metrics.exposition(service.store, service.clock), content_type=metrics.CONTENT_TYPE)


def _check_access() -> None:
    """The API's rule (auth.py), for a GET: who may read the API may read the metrics."""
    if not login_required():
        return
    if bearer_ok():
        return
    config = current_app.config
    if not config.get("PASSWORD") and not config.get("API_TOKEN"):
        raise ApiError(403, "this server listens beyond loopback: set FLOWSTUDIO_API_TOKEN and send it as "
                            "`Authorization: Bearer <token>` (a Prometheus scrape config's `authorization`)")
    if not signed_in_user():
        raise ApiError(401, "send `Authorization: Bearer $FLOWSTUDIO_API_TOKEN`, or log in first")


class CountWebhookAnswers:
    """WSGI middleware, outermost: counts every answer under /webhooks/ by its status,
    including those given before the webhooks' own app (a refused host, a bad request)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").startswith(WEBHOOKS):
            return self.app(environ, start_response)

        def counted(status, headers, exc_info=None):
            metrics.webhook_answered(status)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return self.app(environ, counted)


def setup(app: Flask) -> None:
    """Add `/metrics`; `install` (after every other middleware) counts webhook answers."""
    app.register_blueprint(blueprint)


def install(app: Flask) -> None:
    """Count webhook answers: wraps the app's WSGI callable, outermost (see CountWebhookAnswers)."""
    app.wsgi_app = CountWebhookAnswers(app.wsgi_app)
