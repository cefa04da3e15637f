"""Studio's REST API v2, served under `/v2/` (docs/studio-rest-api.md).

Code written for `https://studio.twilio.com/v2/...` (Twilio's client libraries, curl)
works against FlowStudio with only the base URL changed: form-encoded requests,
snake_case JSON, Twilio's paging `meta` and Twilio's error body.

- Flows: list, fetch, create (`FriendlyName`, `Status`, `Definition`, `CommitMessage`),
  update, delete; `Flows/Validate`; a flow's Revisions. A Studio definition becomes a
  flow file (spec/studio.py); `Status=published` publishes it (refused, 400 with code
  81022 and the problems, when it has errors), `Status=draft` keeps it as the editor's
  draft. A pending draft counts as the newest revision, numbered after the published one.
- Executions: create (`To`, `From`, `Parameters`), list (`DateCreatedFrom`,
  `DateCreatedTo`, `Page`, `PageSize`), fetch, update (`Status=ended`), delete; their
  Context, Steps and Step Context. They go through `FlowService` like every other way in.
- SIDs: spec/sids.py. Flows are named by SID; a flow's id (file name) works too.
- Authentication: HTTP Basic with the account SID and auth token configured for this
  server (FLOWSTUDIO_STUDIO_ACCOUNT_SID / FLOWSTUDIO_STUDIO_AUTH_TOKEN, else
  TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN). With no pair configured the API is open on
  loopback and closed elsewhere, like `/api` (auth.login_required). A browser's
  cross-site request that changes something is refused either way.
"""
from __future__ import annotations

import logging
import os
import re
from datetime import datetime, timezone

from flask import Blueprint, Flask, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from ..adapters.flowstore import Stale
from ..adapters.store import Conflict
from ..editing import EditError, blank_flow
from ..repository import FLOW_ID, FlowUnavailable
from ..service import ExecutionBusy, ExecutionNotFound
from ..spec.issues import Issue
from ..spec.model import Flow
from ..spec.sids import FlowSids, new_flow_sid, parse_step_sid
from ..spec.studio import StudioFormatError, from_studio, to_studio
from . import formdata, jsonbody, serialize
from . import studio_json as sj
from .app import runtime
from .auth import login_required, origin_ok, same_secret
from .editor_api import editor
from .errors import ApiError, whole_number

log = logging.getLogger("flowstudio.studio_api")
blueprint = Blueprint("studio_api", __name__, url_prefix="/v2")

DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 1000
MAX_ID_TRIES = 20   # creates of one FriendlyName at once, each given the next free id
OPEN_ACCOUNT = "AC" + "0" * 32   # reported as account_sid when no account is configured
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
REVISION_ALIASES = ("LatestPublished", "LatestRevision")
# Twilio's error codes used here (https://www.twilio.com/docs/errors/<code>)
BAD_PARAMETER, UNAUTHENTICATED, NOT_FOUND, CONFLICT, UNAVAILABLE, INVALID_DEFINITION = \
    20001, 20003, 20404, 20409, 20503, 81022


class StudioError(Exception):
    """An answer in Twilio's error shape (studio_json.error)."""

    def __init__(self, status: int, code: int, message: str, details: dict | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details, self.headers = status, code, message, details, headers


def setup(app: Flask) -> None:
    """Read the account this API answers to, and register the blueprint."""
    env = os.environ
    app.config.setdefault("STUDIO_ACCOUNT_SID", env.get("FLOWSTUDIO_STUDIO_ACCOUNT_SID"))
    app.config.setdefault("STUDIO_AUTH_TOKEN", env.get("FLOWSTUDIO_STUDIO_AUTH_TOKEN"))
    app.register_blueprint(blueprint)


# ---------------------------------------------------------------- errors and auth


@blueprint.errorhandler(StudioError)
def _studio_error(exc: StudioError):
    return sj.error(exc.status, exc.code, exc.message, exc.details, exc.headers)


@blueprint.errorhandler(ApiError)
def _api_error(exc: ApiError):   # bad input found by the shared readers (serialize, jsonbody)
    return sj.error(exc.status, BAD_PARAMETER if exc.status == 400 else 20000 + exc.status, exc.message)


@blueprint.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    status = exc.code or 500
    return sj.error(status, 20000 + status, exc.description or exc.name)


@blueprint.errorhandler(Exception)
def _unexpected(exc: Exception):
    log.exception("unexpected error in the Studio API")
    return sj.error(500, 20500, "internal error; the server log has the details")


def account_pair() -> tuple[str, str] | None:
    """The (account SID, auth token) this API answers to, or None when none is configured."""
    c = current_app.config
    for sid, token in ((c.get("STUDIO_ACCOUNT_SID"), c.get("STUDIO_AUTH_TOKEN")),
                       (c.get("TWILIO_ACCOUNT_SID"), c.get("TWILIO_AUTH_TOKEN"))):
        if sid and token:
            return sid, token
    return None


@blueprint.before_request
def _authenticate():
    """HTTP Basic with the configured pair; without one, open on loopback only."""
    if request.method not in SAFE_METHODS:
        site = request.headers.get("Sec-Fetch-Site")
        if (site and site not in ("same-origin", "none")) or not origin_ok(request.headers.get("Origin"),
                                                                           {request.host}):
            raise StudioError(403, 20403, "cross-site request refused")
    if request.method not in SAFE_METHODS:
        formdata.check_utf8(request)
    pair = account_pair()
    given = request.authorization
    if pair is None:
        if login_required():
            raise _unauthenticated("this server listens beyond loopback (or has a password): set "
                                   "FLOWSTUDIO_STUDIO_ACCOUNT_SID and FLOWSTUDIO_STUDIO_AUTH_TOKEN to use its "
                                   "Studio API")
        username = given.username if given is not None and given.type == "basic" else None
        g.studio_account = username if isinstance(username, str) and re.fullmatch(r"AC[0-9a-fA-F]{32}", username) \
            else OPEN_ACCOUNT
        return None
    if (given is None or given.type != "basic" or not same_secret(given.username, pair[0])
            or not same_secret(given.password, pair[1])):
        log.warning("Studio API: refused credentials from %s", request.remote_addr)
        raise _unauthenticated("Authenticate: your AccountSid or AuthToken was incorrect")
    g.studio_account = pair[0]
    return None


def _unauthenticated(message: str) -> StudioError:
    return StudioError(401, UNAUTHENTICATED, message, headers={"WWW-Authenticate": 'Basic realm="Twilio API"'})


# ---------------------------------------------------------------- flows


@blueprint.get("/Flows")
def list_flows():
    """Every flow, definitions left out (as Studio's list does)."""
    number, size = _paging()
    ids = editor().flows.ids()
    chunk = ids[number * size:(number + 1) * size]
    items = [_flow_json(flow_id, full=False) for flow_id in chunk]
    return jsonify(sj.page("flows", items, _base() + "/v2/Flows", number, size,
                           (number + 1) * size < len(ids), {}))


@blueprint.post("/Flows")
def create_flow():
    """A new flow from a Studio definition: published, or kept as a draft."""
    name, status, definition = _text("FriendlyName"), _status(), _definition()
    message = _optional("CommitMessage")
    document = _document(definition, name, new_flow_sid())
    ed = editor()
    author = _author()
    if status == "published":
        flow_id = _edit(lambda: _with_new_id(name, lambda new_id: ed.create_document(
            new_id, document, author=author, message=message or "Created")), document)
    else:   # the file starts as a blank flow; the definition waits in the draft
        blank = {**blank_flow(name), "sid": document["sid"]}
        flow_id = _edit(lambda: _with_new_id(name, lambda new_id: ed.create_document(
            new_id, blank, author=author, message="Created (draft)")), blank)
        _edit(lambda: ed.save_draft(flow_id, document, version=0, base_revision=ed.flows.store.latest_revision_id(
            flow_id), author=author), document)
    response = jsonify(_flow_json(flow_id, full=True))
    response.status_code = 201
    return response


@blueprint.post("/Flows/Validate")
def validate_flow():
    """`{"valid": true}`, or 400 (code 81022) with the problems."""
    name, _status_value, definition = _text("FriendlyName"), _status(), _definition()
    document = _document(definition, name, None)
    errors = [i for i in editor().validate(document) if i.is_error]
    if errors:
        raise _invalid(errors, document)
    return jsonify({"valid": True})


@blueprint.get("/Flows/<sid>")
def fetch_flow(sid: str):
    """One flow with its newest definition (the draft when there is one)."""
    return jsonify(_flow_json(_flow_id(sid), full=True))


@blueprint.post("/Flows/<sid>")
def update_flow(sid: str):
    """A new revision: `Status=published` publishes (the given definition, else the
    draft), `Status=draft` keeps the definition as the draft."""
    flow_id = _flow_id(sid)
    status = _status()
    name = _optional("FriendlyName")
    message = _optional("CommitMessage")
    ed = editor()
    author = _author()
    current = ed.get(flow_id)
    flow_sid = _sids().sid(flow_id)
    if "Definition" in request.form:
        document = _document(_definition(), name or current["name"], flow_sid)
    else:
        document = {**(current["document"] or {}), "sid": flow_sid}
        if name:
            document["name"] = name
    draft = current["draft"]
    if status == "published":
        _edit(lambda: ed.publish_document(flow_id, document, author=author,
                                          message=message or "Published through the Studio API"), document)
    else:
        _edit(lambda: ed.save_draft(flow_id, document, version=draft["version"] if draft else 0,
                                    base_revision=draft["base_revision"] if draft else
                                    ed.flows.store.latest_revision_id(flow_id), author=author), document)
    return jsonify(_flow_json(flow_id, full=True))


@blueprint.delete("/Flows/<sid>")
def delete_flow(sid: str):
    """Delete the flow's file and draft (its revisions stay, for its executions)."""
    flow_id = _flow_id(sid)
    _edit(lambda: editor().delete(flow_id), None)
    return "", 204


@blueprint.get("/Flows/<sid>/Revisions")
def list_revisions(sid: str):
    """The flow's revisions, newest first (a pending draft first of all)."""
    flow_id = _flow_id(sid)
    number, size = _paging()
    revisions = _revisions(flow_id)
    chunk = revisions[number * size:(number + 1) * size]
    url = f"{_flow_url(flow_id)}/Revisions"
    items = [sj.revision(_revision_json(flow_id, r, full=False), f"{url}/{r['number']}") for r in chunk]
    return jsonify(sj.page("revisions", items, url, number, size, (number + 1) * size < len(revisions), {}))


@blueprint.get("/Flows/<sid>/Revisions/<which>")
def fetch_revision(sid: str, which: str):
    """One revision by number, or `LatestPublished` / `LatestRevision`."""
    flow_id = _flow_id(sid)
    revisions = _revisions(flow_id)
    if which == "LatestRevision":
        found = revisions[:1]
    elif which == "LatestPublished":
        found = [r for r in revisions if r["status"] == "published"][:1]
    else:
        found = [r for r in revisions if str(r["number"]) == which]
    if not found:
        raise _not_found(f"/Flows/{sid}/Revisions/{which}")
    url = f"{_flow_url(flow_id)}/Revisions/{found[0]['number']}"
    return jsonify(sj.revision(_revision_json(flow_id, found[0], full=True), url))


# ---------------------------------------------------------------- executions


@blueprint.post("/Flows/<sid>/Executions")
def create_execution(sid: str):
    """Start an execution (the Trigger's `incomingRequest`), as `/api` and the editor do."""
    flow_id = _flow_id(sid)
    form = request.form.to_dict()
    missing = [k for k in ("To", "From") if not form.get(k)]
    if missing:
        raise StudioError(400, BAD_PARAMETER, f"Missing required parameter {missing[0]} in the post body")
    to, from_, parameters = serialize.start_input(form)
    service = runtime(current_app).service
    try:
        result = service.start_request(flow_id, to, from_, parameters)
    except ExecutionBusy:
        active = service.store.active_execution(flow_id, to)
        raise StudioError(409, CONFLICT, f"{to} already has an active execution of this flow"
                                         f"{f' ({active.id})' if active else ''}: end it first "
                                         "(POST Status=ended to it) or wait until it ends") from None
    except Conflict as exc:
        raise StudioError(503, UNAVAILABLE, f"the execution kept changing while it started; try again ({exc})") \
            from None
    except FlowUnavailable as exc:
        raise StudioError(400, INVALID_DEFINITION, f"{exc}; fix the flow first",
                          {"errors": sj.issue_errors(exc.issues, None)}) from None
    row = service.store.execution(result.execution_id)
    response = jsonify(_execution_json(row, flow_id))
    response.status_code = 201
    return response


@blueprint.get("/Flows/<sid>/Executions")
def list_executions(sid: str):
    """The flow's executions, newest first, by creation date."""
    flow_id = _flow_id(sid, allow_deleted=True)
    number, size = _paging()
    created_from, created_to = _date_arg("DateCreatedFrom"), _date_arg("DateCreatedTo")
    rows = runtime(current_app).service.store.execution_page(flow_id, created_from, created_to, number * size,
                                                             size + 1)
    query = {k: request.args[k] for k in ("DateCreatedFrom", "DateCreatedTo") if request.args.get(k)}
    items = [_execution_json(r, flow_id) for r in rows[:size]]
    return jsonify(sj.page("executions", items, f"{_flow_url(flow_id)}/Executions", number, size,
                           len(rows) > size, query))


@blueprint.get("/Flows/<sid>/Executions/<execution_sid>")
def fetch_execution(sid: str, execution_sid: str):
    """One execution."""
    flow_id = _flow_id(sid, allow_deleted=True)
    return jsonify(_execution_json(_execution_row(flow_id, execution_sid), flow_id))


@blueprint.post("/Flows/<sid>/Executions/<execution_sid>")
def update_execution(sid: str, execution_sid: str):
    """`Status=ended` ends an active execution (an ended one stays as it is)."""
    flow_id = _flow_id(sid, allow_deleted=True)
    status = request.form.get("Status")
    if status != "ended":
        raise StudioError(400, BAD_PARAMETER, "Status must be 'ended' (the only change an execution accepts), "
                                              f"not {status!r}" if status else
                          "Missing required parameter Status in the post body")
    row = _execution_row(flow_id, execution_sid)
    if row.status == "active":
        _end(flow_id, row.id)
        row = runtime(current_app).service.store.execution(row.id)
    return jsonify(_execution_json(row, flow_id))


@blueprint.delete("/Flows/<sid>/Executions/<execution_sid>")
def delete_execution(sid: str, execution_sid: str):
    """Delete an execution with its steps (an active one is ended first)."""
    flow_id = _flow_id(sid, allow_deleted=True)
    row = _execution_row(flow_id, execution_sid)
    if row.status == "active":
        _end(flow_id, row.id)   # an ended execution never becomes active again: it can go now
    if not runtime(current_app).service.store.delete_execution(row.id):
        _execution_row(flow_id, execution_sid)   # 404 if someone deleted it meanwhile
        raise StudioError(503, UNAVAILABLE, "the execution kept changing while it was being deleted; try again")
    return "", 204


@blueprint.get("/Flows/<sid>/Executions/<execution_sid>/Context")
def execution_context(sid: str, execution_sid: str):
    """The execution's context (`flow`, `contact`, `trigger`, `widgets`)."""
    flow_id = _flow_id(sid, allow_deleted=True)
    row = _execution_row(flow_id, execution_sid)
    url = f"{_execution_url(flow_id, row.id)}/Context"
    return jsonify(sj.execution_context(row, g.studio_account, _sids().sid(flow_id), url))


@blueprint.get("/Flows/<sid>/Executions/<execution_sid>/Steps")
def list_steps(sid: str, execution_sid: str):
    """The execution's steps, oldest first."""
    flow_id = _flow_id(sid, allow_deleted=True)
    row = _execution_row(flow_id, execution_sid)
    number, size = _paging()
    steps = runtime(current_app).service.store.steps(row.id)
    url = f"{_execution_url(flow_id, row.id)}/Steps"
    flow_sid = _sids().sid(flow_id)
    items = [sj.step(s, g.studio_account, flow_sid, f"{url}/{sj.step_sid(s.turn_id, s.index)}")
             for s in steps[number * size:(number + 1) * size]]
    return jsonify(sj.page("steps", items, url, number, size, (number + 1) * size < len(steps), {}))


@blueprint.get("/Flows/<sid>/Executions/<execution_sid>/Steps/<step_sid>")
def fetch_step(sid: str, execution_sid: str, step_sid: str):
    """One step."""
    flow_id, s, url = _step(sid, execution_sid, step_sid)
    return jsonify(sj.step(s, g.studio_account, _sids().sid(flow_id), url))


@blueprint.get("/Flows/<sid>/Executions/<execution_sid>/Steps/<step_sid>/Context")
def step_context(sid: str, execution_sid: str, step_sid: str):
    """The context right after a step."""
    flow_id, s, url = _step(sid, execution_sid, step_sid)
    return jsonify(sj.step_context(s, g.studio_account, _sids().sid(flow_id), f"{url}/Context"))


@blueprint.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest: str):
    """Anything else under /v2/: Twilio's 404 (or 405 for a known resource)."""
    raise _not_found("/" + rest)


# ---------------------------------------------------------------- flows: inside


def _sids() -> FlowSids:
    ext = current_app.extensions
    if "flowstudio.sids" not in ext:
        ext["flowstudio.sids"] = FlowSids(runtime(current_app).service.flows.directory)
    return ext["flowstudio.sids"]


def _flow_id(ref: str, allow_deleted: bool = False) -> str:
    """The id of the flow `ref` names (its SID, or its id); 404 in Twilio's shape."""
    flows = runtime(current_app).service.flows
    ids = flows.ids()
    flow_id = _sids().resolve(ref, ids)
    if flow_id is None and FLOW_ID.fullmatch(ref or "") and (flows.exists(ref) or (
            allow_deleted and flows.store.latest_revision_id(ref) is not None)):
        flow_id = ref
    if flow_id is None:
        raise _not_found(f"/Flows/{ref}")
    return flow_id


def _flow_json(flow_id: str, full: bool) -> dict:
    """The Flow resource; `full`: with its definition and its problems (fetch), else
    with those null (list), as Studio answers."""
    ed = editor()
    revisions = _revisions(flow_id)
    newest = revisions[0] if revisions else None
    oldest = revisions[-1] if revisions else None
    # a list names a published flow from the editor's summary, kept per file: no revision is read
    name = ed.summary(flow_id)["name"] if newest and newest["status"] == "published" and not full else None
    out = _revision_json(flow_id, newest, full=full, name=name) if newest else None
    if out is None:
        out = sj.flow(sid=_sids().sid(flow_id), account_sid=g.studio_account,
                      friendly_name=ed.summary(flow_id)["name"], definition=None, status="draft", revision=0,
                      commit_message=None, valid=False, errors=None, warnings=None, created=None, updated=None,
                      url=_flow_url(flow_id), webhook_url=_webhook_url(flow_id))
    out["date_created"] = sj.date(oldest["created"]) if oldest else None
    return out


def _revisions(flow_id: str) -> list[dict]:
    """The flow's revisions, newest first: a pending draft (numbered after the newest
    published revision) and then the published ones."""
    ed = editor()
    if ed.flows.exists(flow_id):
        ed.flows.problems(flow_id)   # a file not yet seen (or changed on disk) becomes a revision now
    rows = ed.history.revisions(flow_id)
    out = [{"number": r.number, "status": "published", "id": r.id, "message": r.message or None,
            "created": r.created_at, "updated": r.created_at} for r in rows]
    draft = ed.history.draft(flow_id)
    if draft is not None:
        out.insert(0, {"number": (rows[0].number if rows else 0) + 1, "status": "draft", "id": None,
                       "message": None, "created": draft.updated_at, "updated": draft.updated_at})
    return out


def _revision_json(flow_id: str, r: dict, full: bool, name: str | None = None) -> dict:
    """A flow as it is at revision `r` (a dict of `_revisions`); without `full`, when
    `name` is given, the revision's document is not even read (a list of flows)."""
    ed = editor()
    if name is not None and not full:
        document = {"name": name}
    elif r["status"] == "draft":
        draft = ed.history.draft(flow_id)
        document = draft.data if draft is not None else None
    else:
        row = ed.flows.store.revision(r["id"])
        document = row.data if row is not None else None
    definition = valid = errors = warnings = None
    if full and isinstance(document, dict):
        issues = ed.validate(document)
        errors = sj.issue_errors([i for i in issues if i.is_error], document)
        warnings = sj.issue_errors([i for i in issues if not i.is_error], document)
        valid = not errors
        definition = _studio_definition(document)
    name = document.get("name") if isinstance(document, dict) and isinstance(document.get("name"), str) else flow_id
    return sj.flow(sid=_sids().sid(flow_id), account_sid=g.studio_account, friendly_name=name,
                   definition=definition, status=r["status"], revision=r["number"], commit_message=r["message"],
                   valid=valid, errors=errors, warnings=warnings, created=r["created"], updated=r["updated"],
                   url=_flow_url(flow_id), webhook_url=_webhook_url(flow_id))


def _studio_definition(document: dict) -> dict | None:
    """The Studio definition of a FlowStudio document; Run Subflow names other flows
    by their SIDs, as Studio does."""
    try:
        flow = Flow.from_data(document)
    except Exception:  # noqa: BLE001 - a draft may be half-made: no definition rather than a 500
        return None
    return to_studio(flow, _sids().mapping(runtime(current_app).service.flows.ids()))


def _document(definition: dict, name: str, sid: str | None) -> dict:
    """The FlowStudio document of a Studio definition (400, code 81022, when it is not one)."""
    try:
        flow = from_studio(definition, name)
    except StudioFormatError as exc:
        raise StudioError(400, INVALID_DEFINITION, f"Invalid Flow definition: {exc}",
                          {"errors": [{"message": str(exc), "property_path": "#"}]}) from None
    flow.sid = sid
    # A Run Subflow naming a flow by the SID derived from its id (the definitions this
    # API gives out do) names it by id in the file: the engine resolves ids and
    # recorded SIDs only, and the file stays as it was before the round trip.
    derived = _sids().derived(runtime(current_app).service.flows.ids())
    for widget in flow.widgets:
        child = (widget.properties or {}).get("flow_sid")
        if widget.type == "run-subflow" and isinstance(child, str) and child in derived:
            widget.properties["flow_sid"] = derived[child]
    return flow.to_data()


def _edit(action, document):
    """Run an editor action; its refusals in Twilio's shape."""
    try:
        return action()
    except EditError as exc:
        if exc.status == 422:
            issues = exc.extra.get("issues") or []
            raise _invalid([Issue(**i) for i in issues], document) from None
        if exc.status == 409:
            raise StudioError(409, CONFLICT, exc.message) from None
        raise StudioError(exc.status, 20000 + exc.status, exc.message) from None
    except Stale:
        raise StudioError(409, CONFLICT, "this flow changed elsewhere; fetch it and try again") from None


def _invalid(issues, document) -> StudioError:
    errors = sj.issue_errors(issues, document)
    first = errors[0]["message"] if errors else ""
    return StudioError(400, INVALID_DEFINITION, f"Invalid Flow definition: {len(errors)} problem(s), first: {first}",
                       {"errors": errors})


def _new_flow_id(name: str) -> str:
    """A file name for a flow created through the API: its name, made URL-safe, with a
    number added when taken."""
    flows = runtime(current_app).service.flows
    base = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_")[:90] or "flow"
    candidate, n = base, 1
    while flows.exists(candidate) or flows.store.latest_revision_id(candidate) is not None \
            or candidate.endswith(".test"):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _with_new_id(name: str, create) -> str:
    """`create(flow_id)` with a new id made from `name`; the id it got. Studio lets
    flows share a name: when another request took the id meanwhile (two creates of one
    name at once), the next free one is tried, rather than answering 409."""
    for _ in range(MAX_ID_TRIES - 1):
        flow_id = _new_flow_id(name)
        try:
            create(flow_id)
            return flow_id
        except EditError as exc:
            if exc.status != 409:
                raise
    flow_id = _new_flow_id(name)
    create(flow_id)   # the last try: its refusal is the answer
    return flow_id


def _author() -> str:
    return f"Studio API ({g.studio_account})"


# ---------------------------------------------------------------- executions: inside


def _execution_row(flow_id: str, execution_sid: str):
    row = runtime(current_app).service.store.execution(execution_sid) if execution_sid else None
    if row is None or row.flow_id != flow_id:
        raise _not_found(f"/Flows/{_sids().sid(flow_id)}/Executions/{execution_sid}")
    return row


def _execution_json(row, flow_id: str) -> dict:
    return sj.execution(row, g.studio_account, _sids().sid(flow_id), _execution_url(flow_id, row.id))


def _end(flow_id: str, execution_id: str) -> None:
    try:
        runtime(current_app).service.end_execution(flow_id, execution_id, "ended through the Studio API")
    except ExecutionNotFound:
        raise _not_found(f"/Executions/{execution_id}") from None
    except Conflict as exc:
        raise StudioError(503, UNAVAILABLE, f"the execution kept changing while it was being ended; try again "
                                            f"({exc})") from None


def _step(sid: str, execution_sid: str, step_sid: str):
    flow_id = _flow_id(sid, allow_deleted=True)
    row = _execution_row(flow_id, execution_sid)
    where = parse_step_sid(step_sid)
    s = runtime(current_app).service.store.turn_step(*where) if where else None
    if s is None or s.execution_id != row.id:
        raise _not_found(f"/Flows/{sid}/Executions/{execution_sid}/Steps/{step_sid}")
    return flow_id, s, f"{_execution_url(flow_id, row.id)}/Steps/{step_sid}"


# ---------------------------------------------------------------- request input


def _form() -> dict:
    form = request.form.to_dict()
    jsonbody.check(form)   # NUL characters
    return form


def _text(name: str) -> str:
    value = _form().get(name)
    if value is None or not value.strip():
        raise StudioError(400, BAD_PARAMETER, f"Missing required parameter {name} in the post body")
    return value.strip()


def _optional(name: str) -> str | None:
    value = _form().get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _status() -> str:
    value = _text("Status")
    if value not in ("draft", "published"):
        raise StudioError(400, BAD_PARAMETER, f"Status must be 'draft' or 'published', not {value!r}")
    return value


def _definition() -> dict:
    raw = _text("Definition")
    try:
        value = jsonbody.loads(raw)
    except ValueError as exc:
        raise StudioError(400, BAD_PARAMETER, f"Definition must be a JSON object (a Studio flow definition): "
                                              f"{exc}") from None
    if not isinstance(value, dict):
        raise StudioError(400, BAD_PARAMETER, "Definition must be a JSON object (a Studio flow definition)")
    return value


def _paging() -> tuple[int, int]:
    """Page (from 0) and PageSize (1 to 1000, default 50) of a list request."""
    out = []
    for name, default, low, high in (("Page", 0, 0, 10**6), ("PageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)):
        raw = request.args.get(name) or str(default)
        value = whole_number(raw, low, high)
        if value is None:
            raise StudioError(400, BAD_PARAMETER, f"{name} must be a whole number from {low} to {high}, "
                                                  f"not {raw[:30]!r}")
        out.append(value)
    return out[0], out[1]


def _date_arg(name: str) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    if raw.startswith(" "):   # an unencoded + of a time zone arrives as a space
        raw = raw.replace(" ", "+")
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise StudioError(400, BAD_PARAMETER, f"{name} must be an ISO 8601 date and time, like "
                                              f"2026-01-31T12:00:00Z, not {raw!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


# ---------------------------------------------------------------- URLs


def _base() -> str:
    public = current_app.config.get("PUBLIC_URL")
    return public.rstrip("/") if public else request.host_url.rstrip("/")


def _flow_url(flow_id: str) -> str:
    return f"{_base()}/v2/Flows/{_sids().sid(flow_id)}"


def _execution_url(flow_id: str, execution_id: str) -> str:
    return f"{_flow_url(flow_id)}/Executions/{execution_id}"


def _webhook_url(flow_id: str) -> str:
    return f"{_base()}/webhooks/{flow_id}"


def _not_found(path: str) -> StudioError:
    return StudioError(404, NOT_FOUND, f"The requested resource {path} was not found")

