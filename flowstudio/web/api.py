"""The REST API: widget catalog, flows and their validity, executions.

JSON in and out; errors are `{"error": {"status", "message", "field"}}` (errors.py).

- `GET /api/widgets`: the widget catalog. (Flows, drafts and revisions: editor_api.py.)
- `POST /api/flows/<flow>/executions` with `{"to", "from", "parameters"}` (or Twilio's
  form fields `To`, `From`, `Parameters` as a JSON string): start an execution, 201.
- `GET /api/flows/<flow>/executions?status=&contact=&limit=`: newest first.
- `GET /api/flows/<flow>/executions/<id>`: one, with its steps, log and outbox.
- `POST /api/flows/<flow>/executions/<id>/end` (or `DELETE` the execution): end it.
- `GET /api/outbox?execution=<id>`: what was handed to the outbound channel.
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request, url_for

from ..adapters.store import Conflict
from ..engine.state import ACTIVE, ENDED, FAILED
from ..repository import FlowUnavailable
from ..service import ExecutionBusy, ExecutionNotFound
from ..widgets import registry
from . import errors, formdata, serialize
from .app import runtime
from .errors import ApiError, whole_number

log = logging.getLogger("flowstudio.api")
blueprint = Blueprint("api", __name__, url_prefix="/api")

DEFAULT_LIMIT, MAX_LIMIT = 50, 500
STATUSES = (ACTIVE, ENDED, FAILED)
END_REASON = "ended through the REST API"


@blueprint.get("/widgets")
def widgets():
    """The widget catalog: types, titles, categories, schemas, events and labels."""
    return jsonify({"widgets": registry.catalog()})


# ---------------------------------------------------------------- executions


@blueprint.post("/flows/<flow_id>/executions")
def start_execution(flow_id: str):
    """Start an execution for a contact (Studio's `incomingRequest`)."""
    service = runtime(current_app).service
    if not service.flows.exists(flow_id):
        raise ApiError(404, f"there is no flow '{flow_id}'")
    to, from_, parameters = _start_input()
    try:
        result = service.start_request(flow_id, to, from_, parameters)
    except ExecutionBusy as exc:
        active = service.store.active_execution(flow_id, to)
        if active is None:
            raise ApiError(409, str(exc)) from None
        return errors.response(409, f"{to} already has an active execution of flow '{flow_id}': {active.id}; end it "
                               f"first (POST {_url(active)}/end) or wait until it ends",
                               execution_id=active.id)
    except Conflict as exc:
        raise ApiError(503, f"the execution kept changing while it started; try again ({exc})") from None
    except FlowUnavailable as exc:
        log.error("%s", exc)
        return errors.response(503, f"{exc}; fix the flow file (GET /api/flows lists its issues)",
                               issues=[i.to_dict() for i in exc.issues])
    row = service.store.execution(result.execution_id)
    response = jsonify({**serialize.execution(row, _url(row)), "result": result.to_dict()})
    response.status_code = 201
    response.headers["Location"] = _url(row)
    return response


@blueprint.get("/flows/<flow_id>/executions")
def list_executions(flow_id: str):
    """A flow's executions, newest first, by status and contact."""
    service = runtime(current_app).service
    if not service.flows.exists(flow_id) and service.store.latest_revision(flow_id) is None:
        raise ApiError(404, f"there is no flow '{flow_id}'")
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise ApiError(400, f"status must be one of {', '.join(STATUSES)}, not '{status}'", field="status")
    contact = request.args.get("contact") or None
    if contact and contact.startswith(" "):  # ?contact=+1555... unencoded: the + arrives as a space
        contact = "+" + contact.lstrip()
    rows = service.store.executions(flow_id, contact, status, _limit())
    return jsonify({"executions": [serialize.execution(r, _url(r)) for r in rows]})


@blueprint.get("/flows/<flow_id>/executions/<execution_id>")
def show_execution(flow_id: str, execution_id: str):
    """One execution with its steps (and their contexts), its log and its outbox."""
    store = runtime(current_app).service.store
    row = _execution_row(flow_id, execution_id)
    return jsonify(serialize.execution_detail(row, _url(row), store.steps(row.id), store.logs(row.id),
                                              store.outbox(row.id)))


@blueprint.post("/flows/<flow_id>/executions/<execution_id>/end")
@blueprint.delete("/flows/<flow_id>/executions/<execution_id>")
def end_execution(flow_id: str, execution_id: str):
    """End an active execution."""
    service = runtime(current_app).service
    row = _execution_row(flow_id, execution_id)
    if row.status != ACTIVE:
        raise ApiError(409, _already_ended(row))
    try:
        result = service.end_execution(flow_id, execution_id, END_REASON)
    except ExecutionNotFound as exc:
        raise ApiError(404, str(exc)) from None
    except Conflict as exc:
        raise ApiError(503, f"the execution kept changing while it was being ended; try again ({exc})") from None
    row = service.store.execution(execution_id)
    if result.status == "ignored":  # it ended in between
        raise ApiError(409, _already_ended(row))
    return jsonify({**serialize.execution(row, _url(row)), "result": result.to_dict()})


@blueprint.get("/outbox")
def outbox():
    """Messages, calls and recordings the outbound channel was given, oldest first."""
    execution = request.args.get("execution") or None
    limit = whole_number(request.args.get("limit", "100"), 1, 1000)
    if limit is None:
        raise ApiError(400, "limit must be a whole number from 1 to 1000", field="limit")
    rows = runtime(current_app).service.store.outbox(execution, limit)
    return jsonify({"outbox": [serialize.outbox_entry(r) for r in rows]})


# ---------------------------------------------------------------- helpers


def _start_input() -> tuple[str, str, dict]:
    """`to`, `from` and `parameters` of a start request, checked."""
    raw = request.get_data(cache=True)
    as_json = request.is_json or raw.lstrip()[:1] == b"{"  # curl -d '{...}' sends it as a form
    if not as_json:
        formdata.check_utf8(request)
    return serialize.start_input(raw if as_json else request.form.to_dict())


def _limit() -> int:
    raw = request.args.get("limit") or str(DEFAULT_LIMIT)
    limit = whole_number(raw, 1, MAX_LIMIT)
    if limit is None:
        raise ApiError(400, f"limit must be a whole number from 1 to {MAX_LIMIT}, not '{raw[:30]}'", field="limit")
    return limit


def _execution_row(flow_id: str, execution_id: str):
    row = runtime(current_app).service.store.execution(execution_id)
    if row is None or row.flow_id != flow_id:
        raise ApiError(404, f"no execution {execution_id} of flow '{flow_id}'")
    return row


def _already_ended(row) -> str:
    why = f": {row.ended_reason}" if row.ended_reason else ""
    return f"execution {row.id} already ended (status {row.status}{why})"


def _url(row) -> str:
    return _absolute(url_for("api.show_execution", flow_id=row.flow_id, execution_id=row.id))


def _absolute(path: str) -> str:
    public = current_app.config.get("PUBLIC_URL")
    return (public.rstrip("/") if public else request.host_url.rstrip("/")) + path
