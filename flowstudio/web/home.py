"""The browser editor at `/`: the single-page app built from `frontend/` into `static/`.

Every page of the app (`/`, `/flows/<id>`, `/login`) answers the same `index.html`; the
app routes in the browser. Built assets have content hashes in their names, so they
are cached for a long time; `index.html` is never cached, so a new build shows at once.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory

STATIC = Path(__file__).parent / "static"
blueprint = Blueprint("home", __name__)

NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>FlowStudio</title></head>
<body style="font: 16px/1.5 system-ui, sans-serif; margin: 3rem auto; max-width: 40rem">
<h1>FlowStudio</h1><p>The browser editor has not been built on this machine. Run <code>make run</code>
(it builds it), or <code>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</code>.</p>
<p>The webhooks and the API work without it: <a href="/api/flows">/api/flows</a>.</p></body></html>"""


@blueprint.get("/")
@blueprint.get("/login")
@blueprint.get("/flows/<path:_page>")
def index(_page: str | None = None):
    """The editor's page (the app shows the right screen for the URL)."""
    if not (STATIC / "index.html").is_file():
        return Response(NOT_BUILT, status=503, mimetype="text/html")
    response = send_from_directory(STATIC, "index.html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("/assets/<path:name>")
def assets(name: str):
    """The built scripts, styles and images (hashed names: cache them for a year)."""
    return send_from_directory(STATIC / "assets", name, max_age=31536000)


@blueprint.get("/healthz")
def health():
    """For load balancers and start-up scripts: 200 once the app answers (no login needed)."""
    return {"ok": True}
