"""JSON shapes of Studio's REST API v2 (web/studio_api.py): snake_case resources,
Twilio's paging `meta` and Twilio's error body. Shapes as in Twilio's reference and the
fixtures of the official `twilio` package (docs/studio-rest-api.md lists the fields).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from ..adapters.store import utc
from ..spec.sids import step_sid

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"
# FlowStudio's execution statuses as Studio names them: a failed execution has ended.
STATUSES = {"active": "active", "ended": "ended", "failed": "ended"}


def date(value: datetime | None) -> str | None:
    """A datetime as Twilio writes them: `2017-11-06T12:00:00Z` (UTC, whole seconds)."""
    return utc(value).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def error(status: int, code: int, message: str, details: dict | None = None, headers: dict | None = None) -> Response:
    """Twilio's error answer: `{"code", "message", "more_info", "status"}` (and
    `details` when there is more to say, as Studio does for invalid definitions)."""
    body: dict = {"code": code, "message": message, "more_info": MORE_INFO.format(code=code), "status": status}
    if details is not None:
        body["details"] = details
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=headers)


def page(key: str, items: list, url: str, number: int, size: int, has_next: bool, query: dict) -> dict:
    """A list answer: the items under `key` and Twilio's paging `meta`; the page URLs
    carry the caller's filters (`query`) so a client following them keeps them."""

    def at(n: int) -> str:
        return f"{url}?{urlencode({**query, 'PageSize': size, 'Page': n})}"

    return {key: items, "meta": {
        "page": number, "page_size": size, "first_page_url": at(0),
        "previous_page_url": at(number - 1) if number > 0 else None, "url": at(number),
        "next_page_url": at(number + 1) if has_next else None, "key": key}}


def flow(*, sid: str, account_sid: str, friendly_name: str, definition, status: str, revision: int,
         commit_message: str | None, valid, errors, warnings, created: datetime | None,
         updated: datetime | None, url: str, webhook_url: str) -> dict:
    """A Flow (or, without `links`, one of its revisions: see `revision`)."""
    return {"sid": sid, "account_sid": account_sid, "friendly_name": friendly_name, "definition": definition,
            "status": status, "revision": revision, "commit_message": commit_message, "valid": valid,
            "errors": errors, "warnings": warnings, "date_created": date(created), "date_updated": date(updated),
            "webhook_url": webhook_url, "url": url,
            "links": {"revisions": f"{url}/Revisions", "executions": f"{url}/Executions"}}


def revision(flow_json: dict, url: str) -> dict:
    """A Flow Revision: the flow's fields as they were at that revision, its own URL."""
    out = {k: v for k, v in flow_json.items() if k not in ("links", "webhook_url", "warnings")}
    out["url"] = url
    return out


def execution(row, account_sid: str, flow_sid: str, url: str) -> dict:
    """An Execution (`context` is the Execution Context resource's, as in Studio)."""
    return {"sid": row.id, "account_sid": account_sid, "flow_sid": flow_sid,
            "contact_channel_address": row.contact, "context": {}, "status": STATUSES.get(row.status, row.status),
            "date_created": date(row.created_at), "date_updated": date(row.updated_at), "url": url,
            "links": {"steps": f"{url}/Steps", "execution_context": f"{url}/Context"}}


def execution_context(row, account_sid: str, flow_sid: str, url: str) -> dict:
    """An execution's context: `flow`, `contact`, `trigger`, `widgets` (the top flow's)."""
    frames = (row.state or {}).get("frames") or [{}]
    return {"account_sid": account_sid, "context": frames[0].get("context", {}), "flow_sid": flow_sid,
            "execution_sid": row.id, "url": url}


def step(s, account_sid: str, flow_sid: str, url: str) -> dict:
    """A Step: the event (`name`) that moved the execution from a widget to the next
    (`transitioned_to` is `Ended` when the execution ended there, as Studio writes it)."""
    return {"sid": step_sid(s.turn_id, s.index), "account_sid": account_sid, "flow_sid": flow_sid,
            "execution_sid": s.execution_id, "parent_step_sid": None, "name": s.event, "context": {},
            "transitioned_from": s.from_widget, "transitioned_to": s.to_widget or "Ended",
            "date_created": date(s.at), "date_updated": date(s.at), "url": url,
            "links": {"step_context": f"{url}/Context"}}


def step_context(s, account_sid: str, flow_sid: str, url: str) -> dict:
    """The context as it was right after a step."""
    return {"account_sid": account_sid, "context": s.context, "execution_sid": s.execution_id,
            "flow_sid": flow_sid, "step_sid": step_sid(s.turn_id, s.index), "url": url}


def issue_errors(issues, document) -> list[dict]:
    """Validator issues as Studio's `errors`/`warnings` items: a message and the JSON
    pointer into the Studio definition (`#/states/<n>/properties/<field>`)."""
    widgets = document.get("widgets") if isinstance(document, dict) else None
    # a draft may hold anything: only widgets named by text are pointed at
    index = {w["name"]: i for i, w in enumerate(widgets if isinstance(widgets, list) else [])
             if isinstance(w, dict) and isinstance(w.get("name"), str)}
    out = []
    for i in issues:
        pointer = "#"
        if i.widget in index:
            pointer += f"/states/{index[i.widget]}"
        if i.path:
            pointer += "/" + i.path.replace(".", "/")
        where = i.where()
        out.append({"message": f"{where}: {i.message}" if where else i.message, "property_path": pointer})
    return out
