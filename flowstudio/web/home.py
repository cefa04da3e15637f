"""The page at `/` until the browser editor exists: each flow, whether it is valid, and
the webhook URL to paste into the Twilio console."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template_string, request

from ..spec.flowfile import load_flow_file
from ..spec.issues import FlowLoadError
from ..spec.validate import validate_document
from .app import runtime

blueprint = Blueprint("home", __name__)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>FlowStudio</title>
<style>
 body { font: 16px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #1d2433; }
 table { border-collapse: collapse; width: 100%; } td, th { padding: .5rem; border-bottom: 1px solid #dde; text-align: left; }
 code { background: #f2f4f8; padding: .1rem .3rem; border-radius: 4px; }
 .ok { color: #137333; } .bad { color: #b3261e; }
</style></head><body>
<h1>FlowStudio</h1>
<p>Your flows, from the <code>{{ folder }}</code> folder. Point a Twilio number's
"A message comes in" and "A call comes in" at a flow's webhook URL.</p>
<table><tr><th>Flow</th><th>Status</th><th>Webhook URL</th></tr>
{% for f in flows %}<tr><td>{{ f.name }}</td>
<td class="{{ 'ok' if f.valid else 'bad' }}">{{ 'Ready' if f.valid else f.problems|string + ' problem(s): ' + f.first }}</td>
<td><code>{{ f.url }}</code></td></tr>{% endfor %}
</table>
<p>Try a flow without a phone: <code>flowstudio run flows/&lt;flow&gt;.yaml</code>.
API: <a href="/api/flows">/api/flows</a>, <a href="/api/widgets">/api/widgets</a>.</p>
</body></html>"""


@blueprint.get("/")
def index():
    """The flows, their validity and their webhook URLs."""
    service = runtime(current_app).service
    ids = service.flows.ids()
    base = (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    rows = []
    for flow_id in ids:
        try:
            doc = load_flow_file(service.flows.path(flow_id))
            errors = [i for i in validate_document(doc, set(ids)) if i.is_error]
        except FlowLoadError as exc:
            errors = exc.issues
        rows.append({"name": flow_id, "valid": not errors, "problems": len(errors),
                     "first": f"{errors[0].where()} {errors[0].message}".strip() if errors else "",
                     "url": f"{base}/webhooks/{flow_id}"})
    return render_template_string(PAGE, flows=rows, folder=runtime(current_app).settings.flows_dir)
