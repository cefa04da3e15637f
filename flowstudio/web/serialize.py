"""JSON out and in for the REST API: rows of the store as plain JSON, datetimes as
ISO 8601 UTC; and the checked input of a request to start an execution.

Every datetime leaves as `2026-01-05T10:00:00+00:00`, as the engine writes them
(SQLite gives naive UTC datetimes, PostgreSQL aware ones in the session's zone: all
end up alike).
"""
from __future__ import annotations

from datetime import datetime

from ..adapters.store import iso_utc
from ..console import is_console
from . import jsonbody
from .errors import ApiError

MAX_ADDRESS = 200  # the executions.contact / flow_address columns


def iso(value: datetime | str | None) -> str | None:
    """A datetime (or an ISO string) as an ISO 8601 UTC string, None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return iso_utc(value)


def execution(row, url: str) -> dict:
    """An execution's summary (what lists show); `source` says whether the browser's
    test-run console ran it or a real phone (or backend) did."""
    return {"id": row.id, "flow_id": row.flow_id, "revision_id": row.revision_id, "status": row.status,
            "contact": row.contact, "flow_address": row.flow_address, "channel": row.channel,
            "waiting": waiting(row), "created_at": iso(row.created_at), "updated_at": iso(row.updated_at),
            "ended_at": iso(row.ended_at), "ended_reason": row.ended_reason, "expires_at": iso(row.expires_at),
            "source": "console" if is_console(row.session_key) else "phone", "url": url}


def waiting(row) -> dict | None:
    """What an active execution waits for: widget, kind (message, call, ...) and when it times out."""
    state = row.state or {}
    wait = state.get("waiting")
    if row.status != "active" or not wait:
        return None
    return {"widget": wait.get("widget"), "kind": wait.get("kind"), "due": iso(wait.get("due"))}


def execution_detail(row, url: str, steps: list, log: list[dict], outbox: list) -> dict:
    """An execution with its flow context, its steps, its log (trace) and its outbox."""
    out = execution(row, url)
    frames = (row.state or {}).get("frames") or [{}]
    out["context"] = frames[0].get("context", {})
    out["steps"] = [step(s, i) for i, s in enumerate(steps)]
    out["log"] = list(log)
    out["outbox"] = [outbox_entry(o) for o in outbox]
    return out


def step(row, index: int) -> dict:
    """One Studio step (the `index`-th): the event that moved the execution from a widget to the next."""
    return {"index": index, "flow": row.flow_id, "event": row.event, "from": row.from_widget,
            "to": row.to_widget, "at": iso(row.at), "context": row.context}


def outbox_entry(row) -> dict:
    """A message, call or recording handed to the outbound channel, with its answer."""
    return {"id": row.id, "execution_id": row.execution_id, "effect": row.effect, "status": row.status,
            "result": row.result, "created_at": iso(row.created_at)}


# ---------------------------------------------------------------- JSON in


def start_input(body: bytes | dict) -> tuple[str, str, dict]:
    """`to`, `from` and `parameters` of a request to start an execution, checked: `body`
    is the raw JSON, or the form fields (Twilio's `To`, `From`, `Parameters` as a JSON
    string). Bad input raises ApiError(400) naming the field as the client spelled it."""
    as_json = isinstance(body, bytes)
    data = _json_body(body) if as_json else body
    if not as_json:
        jsonbody.check(data)   # NUL characters in form fields

    def field(name: str):
        keys = (name, name.capitalize()) if as_json else (name.capitalize(), name)
        key = next((k for k in keys if k in data), keys[0])
        return key, data.get(key)

    to = _address(*field("to"), "the contact's address, e.g. +15555550142")
    from_ = _address(*field("from"), "the flow's address, e.g. your Twilio number")
    return to, from_, _parameters(*field("parameters"))


def _json_body(raw: bytes) -> dict:
    if not raw.strip():
        raise ApiError(400, "the body is empty: expected a JSON object with to, from and parameters", field="body")
    try:
        data = jsonbody.loads(raw)
    except ValueError as exc:  # UnicodeDecodeError is a ValueError too
        raise ApiError(400, f"the body is not valid JSON: {exc}", field="body") from None
    if not isinstance(data, dict):
        raise ApiError(400, f"the body must be a JSON object with to, from and parameters, not {_kind(data)}",
                       field="body")
    return data


def _address(key: str, value, what: str) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ApiError(400, f"{key} is required: {what}", field=key)
    if not isinstance(value, str):
        raise ApiError(400, f"{key} must be a string ({what}), not {_kind(value)}", field=key)
    if len(value.strip()) > MAX_ADDRESS:
        raise ApiError(400, f"{key} is too long: at most {MAX_ADDRESS} characters", field=key)
    return value.strip()


def _parameters(key: str, value) -> dict:
    """The parameters (`flow.data`): an object, or a JSON string of one (Twilio's form field)."""
    if isinstance(value, str):
        try:
            value = jsonbody.loads(value) if value.strip() else None
        except ValueError as exc:
            raise ApiError(400, f"{key} must be a JSON object, like {{\"first_name\": \"Ada\"}}: {exc}",
                           field=key) from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError(400, f"{key} must be an object (it becomes flow.data), not {_kind(value)}", field=key)
    return value


def _kind(value) -> str:
    if isinstance(value, bool):
        return "true or false"
    names = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}
    return names.get(type(value), "null" if value is None else type(value).__name__)
