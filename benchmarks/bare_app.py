"""The webhook benchmark's baseline: a bare Flask app answering every webhook with fixed TwiML.

`POST /webhooks/<flow>` returns `<Response><Message>ok</Message></Response>` (text/xml)
without reading the form: the cost of Flask + gunicorn + HTTP alone, served under the
same gunicorn settings as FlowStudio (see bench_webhook.py).
"""
from __future__ import annotations

from flask import Flask, Response

TWIML = "<Response><Message>ok</Message></Response>"


def create_app() -> Flask:
    """The bare app (a factory, like `flowstudio:create_app()`)."""
    app = Flask(__name__, static_folder=None)

    @app.post("/webhooks/<flow_id>")
    def webhook(flow_id: str) -> Response:
        return Response(TWIML, mimetype="text/xml")

    return app
