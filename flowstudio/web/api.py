"""The REST API: widget catalog, flows and their validity, executions."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from ..spec.flowfile import load_flow_file
from ..spec.issues import FlowLoadError
from ..spec.validate import validate_document
from ..widgets import registry
from .app import runtime

blueprint = Blueprint("api", __name__, url_prefix="/api")


@blueprint.get("/widgets")
def widgets():
    """The widget catalog: types, titles, categories, schemas, events and labels."""
    return jsonify({"widgets": registry.catalog()})


@blueprint.get("/flows")
def flows():
    """Every flow file with its validity, problems and webhook URL."""
    service = runtime(current_app).service
    ids = service.flows.ids()
    out = []
    for flow_id in ids:
        path = service.flows.path(flow_id)
        try:
            doc = load_flow_file(path)
            issues = validate_document(doc, set(ids))
            name = doc.data.get("name", flow_id)
        except FlowLoadError as exc:
            issues, name = exc.issues, flow_id
        out.append({"id": flow_id, "name": name, "valid": not any(i.is_error for i in issues),
                    "issues": [i.to_dict() for i in issues],
                    "webhook_url": _absolute(f"/webhooks/{flow_id}")})
    return jsonify({"flows": out})


def _absolute(path: str) -> str:
    from flask import request

    public = current_app.config.get("PUBLIC_URL")
    return (public.rstrip("/") if public else request.host_url.rstrip("/")) + path
