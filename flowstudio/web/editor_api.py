"""The editor's API: flows, drafts, publishing and revision history (docs/editor-api.md).

Thin: each route reads its JSON, calls `FlowEditor`, and answers JSON; `EditError`s
become `{"error": {...}}` answers with their status (409 carries the current flow, a
refused publish its issues).
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from ..editing import EditError, FlowEditor
from ..spec.issues import Issue
from . import jsonbody
from .app import runtime
from .auth import current_user

blueprint = Blueprint("editor_api", __name__, url_prefix="/api")


def editor() -> FlowEditor:
    """The app's FlowEditor (made once, on first use)."""
    ext = current_app.extensions
    if "flowstudio.editor" not in ext:
        rt = runtime(current_app)
        ext["flowstudio.editor"] = FlowEditor(rt.service.flows, rt.service.clock)
    return ext["flowstudio.editor"]


@blueprint.errorhandler(EditError)
def _edit_error(exc: EditError):
    body = {"status": exc.status, "message": exc.message, **({"field": exc.field} if exc.field else {})}
    return jsonify({"error": body, **exc.extra}), exc.status


@blueprint.get("/flows")
def list_flows():
    """Every flow with its validity, problems, webhook URL, published revision and draft;
    and `ignored`: files in the folder that look like flows but are not served, and why."""
    ed = editor()
    return jsonify({"flows": [_flow(ed.summary(flow_id)) for flow_id in ed.flows.ids()],
                    "ignored": ed.flows.ignored()})


@blueprint.get("/examples")
def examples():
    """The example flows a new flow can start from."""
    return jsonify({"examples": FlowEditor.examples()})


@blueprint.post("/flows")
def create_flow():
    """A new flow: blank, from an example, a copy of another flow, or imported from a
    Twilio Studio export (`studio`: the exported JSON, which becomes the new flow's draft)."""
    body = _body()
    flow = editor().create(body.get("id"), name=_text(body, "name"), example=_text(body, "example"),
                           copy_of=_text(body, "copy_of"), studio=body.get("studio"), author=_author(body))
    return jsonify(_flow(flow)), 201


@blueprint.get("/flows/<flow_id>")
def get_flow(flow_id: str):
    """The flow as the editor opens it (draft or published) and its problems; its
    canonical YAML too with `?include=yaml`."""
    return jsonify(_flow(editor().get(flow_id, with_yaml=request.args.get("include") == "yaml")))


@blueprint.get("/flows/<flow_id>/status")
def flow_status(flow_id: str):
    """The published revision and draft version only: for polling."""
    return jsonify(editor().status(flow_id))


@blueprint.put("/flows/<flow_id>/draft")
def save_draft(flow_id: str):
    """Autosave the draft; 409 when it was based on a stale version."""
    body = _body()
    out = editor().save_draft(flow_id, body.get("document"), version=body.get("version"),
                              base_revision=body.get("base_revision"), author=_author(body))
    return jsonify({**out, "issues": _issues(out["issues"])})


@blueprint.delete("/flows/<flow_id>/draft")
def discard_draft(flow_id: str):
    """Throw the draft away."""
    editor().discard_draft(flow_id)
    return "", 204


@blueprint.post("/flows/<flow_id>/validate")
def validate(flow_id: str):
    """The validator's issues for a document (nothing is stored)."""
    return jsonify({"issues": _issues(editor().validate(_body().get("document")))})


@blueprint.post("/flows/<flow_id>/publish")
def publish(flow_id: str):
    """Make the draft the version webhooks run, with a message."""
    body = _body()
    flow = editor().publish(flow_id, version=body.get("version"), message=_text(body, "message") or "",
                            author=_author(body))
    return jsonify(_flow(flow))


@blueprint.post("/flows/<flow_id>/rename")
def rename(flow_id: str):
    """Give a flow a new name (`name`: what people read), a new id (`id`: its file name and
    webhook URL; its tests and history follow), or both."""
    body = _body()
    return jsonify(_flow(editor().rename(flow_id, body.get("id"), name=body.get("name"), author=_author(body))))


@blueprint.delete("/flows/<flow_id>")
def delete_flow(flow_id: str):
    """Delete the flow's file and tests; its history is archived (a new flow of this id starts afresh)."""
    editor().delete(flow_id)
    return "", 204


@blueprint.get("/flows/<flow_id>/revisions")
def revisions(flow_id: str):
    """The published revisions, newest first."""
    return jsonify({"revisions": editor().revisions(flow_id)})


@blueprint.get("/flows/<flow_id>/revisions/<int:number>")
def revision(flow_id: str, number: int):
    """One revision with its document and YAML."""
    return jsonify(editor().revision(flow_id, number))


@blueprint.get("/flows/<flow_id>/diff")
def diff(flow_id: str):
    """A line diff of two revisions, or of a revision and the draft."""
    old, new = request.args.get("from"), request.args.get("to")
    if not old or not new:
        raise EditError(400, "give both 'from' and 'to' (revision numbers or 'draft')", "from" if not old else "to")
    return jsonify(editor().diff(flow_id, old, new))


@blueprint.post("/flows/<flow_id>/revisions/<int:number>/restore")
def restore(flow_id: str, number: int):
    """Put an old revision into the draft."""
    body = _body()
    return jsonify(editor().restore(flow_id, number, version=body.get("version"), author=_author(body)))


def _body() -> dict:
    body = None
    if request.is_json:
        try:
            body = jsonbody.loads(request.get_data(cache=True))
        except ValueError as exc:   # JSON, but not valid: say why, not only "send a JSON object"
            raise EditError(400, f"the body is not valid JSON: {str(exc)[:300]}", "body") from None
    if not isinstance(body, dict):
        raise EditError(400, "send a JSON object (Content-Type: application/json)")
    return body


def _text(body: dict, key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise EditError(400, f"'{key}' must be text", key)
    return value or None


def _author(body: dict) -> str:
    name = body.get("author")
    return name.strip()[:200] if isinstance(name, str) and name.strip() else current_user()


def _issues(issues: list[Issue]) -> list[dict]:
    # File names relative to the flows folder: the server's paths are its own business.
    return [{**i.to_dict(), "file": i.file.rsplit("/", 1)[-1] if i.file else None} for i in issues]


def _flow(flow: dict) -> dict:
    base = (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    return {**flow, "issues": _issues(flow["issues"]), "webhook_url": f"{base}/webhooks/{flow['id']}"}
