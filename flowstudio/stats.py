"""What happened in a flow: counts per transition and widget, and a CSV of executions.

The executions counted are those *started* in the range [start, end); each is counted
with everything it did, even after the range (a funnel of the people who started then).

- `executions`: how many started, and how many of them are now ended, failed,
  expired (ended by the 30-day expiry) or still active.
- `transitions`: for each (from, event, to) of this flow (not of its subflows), how
  many of those executions took it at least once.
- `widgets`: for each widget, how many executions entered it at least once, and how
  many stopped there (their last widget), by how: ended, failed, expired, waiting.

Everything is computed by the database from the `turns` table (each turn's steps, a
JSON list) and the `executions` table, so it is exactly what they say; the JSON is
taken apart by the database (SQLite's json_each, PostgreSQL's jsonb_array_elements),
never loaded into Python.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

from sqlalchemy import DateTime, String, bindparam, text

from .adapters.store import Store, utc

EXPIRED_REASON = "the execution expired"   # engine/runner.py ends an expired execution with this reason
MAX_CSV_ROWS = 100_000
_TYPES = dict(flow=String(), lo=DateTime(timezone=True), hi=DateTime(timezone=True))

_STATUS = """
SELECT status, ended_reason = :expired AS expired, {last} AS last_widget, count(*) AS n
FROM executions WHERE flow_id = :flow AND created_at >= :lo AND created_at < :hi
GROUP BY status, ended_reason = :expired, {last}
"""
_LAST = {"sqlite": "json_extract(state, '$.last_widget')", "postgresql": "(state ->> 'last_widget')"}

_TRANSITIONS = {
    "sqlite": """
SELECT json_extract(s.value, '$.from') AS src, json_extract(s.value, '$.event') AS ev,
       json_extract(s.value, '$.to') AS dst, count(DISTINCT x.id) AS n
FROM executions x JOIN turns ON turns.execution_id = x.id, json_each(turns.steps) s
WHERE x.flow_id = :flow AND x.created_at >= :lo AND x.created_at < :hi
  AND json_extract(s.value, '$.flow') = :flow
GROUP BY src, ev, dst
""",
    "postgresql": """
SELECT s ->> 'from' AS src, s ->> 'event' AS ev, s ->> 'to' AS dst, count(DISTINCT x.id) AS n
FROM executions x JOIN turns ON turns.execution_id = x.id
CROSS JOIN LATERAL jsonb_array_elements(turns.steps::jsonb) s
WHERE x.flow_id = :flow AND x.created_at >= :lo AND x.created_at < :hi AND s ->> 'flow' = :flow
GROUP BY src, ev, dst
"""}

_ENTERED = {
    "sqlite": """
SELECT json_extract(s.value, '$.to') AS w, count(DISTINCT x.id) AS n
FROM executions x JOIN turns ON turns.execution_id = x.id, json_each(turns.steps) s
WHERE x.flow_id = :flow AND x.created_at >= :lo AND x.created_at < :hi
  AND json_extract(s.value, '$.flow') = :flow AND json_extract(s.value, '$.to') IS NOT NULL
GROUP BY w
""",
    "postgresql": """
SELECT s ->> 'to' AS w, count(DISTINCT x.id) AS n
FROM executions x JOIN turns ON turns.execution_id = x.id
CROSS JOIN LATERAL jsonb_array_elements(turns.steps::jsonb) s
WHERE x.flow_id = :flow AND x.created_at >= :lo AND x.created_at < :hi AND s ->> 'flow' = :flow
  AND s ->> 'to' IS NOT NULL
GROUP BY w
"""}


def _dialect(store: Store) -> str:
    return "postgresql" if store.is_postgres else "sqlite"


def _params(flow_id: str, start: datetime, end: datetime) -> dict:
    return {"flow": flow_id, "lo": start, "hi": end, "expired": EXPIRED_REASON}


def _stmt(sql: str):
    """The statement, with the times bound as the store writes them."""
    return text(sql).bindparams(*(bindparam(k, type_=v) for k, v in _TYPES.items() if f":{k}" in sql))


def flow_stats(store: Store, flow_id: str, start: datetime, end: datetime) -> dict:
    """The counts of executions of `flow_id` started in [start, end) (module docstring)."""
    dialect, params = _dialect(store), _params(flow_id, start, end)
    executions = {"started": 0, "ended": 0, "failed": 0, "active": 0, "expired": 0}
    stopped: dict[str, dict[str, int]] = {}
    with store.engine.connect() as conn:
        for row in conn.execute(_stmt(_STATUS.format(last=_LAST[dialect])), params):
            how = "expired" if row.status == "ended" and row.expired else row.status
            executions["started"] += row.n
            executions[how] = executions.get(how, 0) + row.n
            if row.last_widget:
                kind = "waiting" if how == "active" else how
                counts = stopped.setdefault(row.last_widget, {"ended": 0, "failed": 0, "expired": 0, "waiting": 0})
                counts[kind] = counts.get(kind, 0) + row.n
        transitions = [{"from": r.src, "event": r.ev, "to": r.dst, "count": r.n}
                       for r in conn.execute(_stmt(_TRANSITIONS[dialect]), params)]
        entered = {r.w: r.n for r in conn.execute(_stmt(_ENTERED[dialect]), params)}
    transitions.sort(key=lambda x: (-x["count"], x["from"] or "", x["event"] or "", x["to"] or ""))
    widgets = []
    for name in sorted(set(entered) | set(stopped)):
        how = stopped.get(name, {"ended": 0, "failed": 0, "expired": 0, "waiting": 0})
        widgets.append({"name": name, "entered": entered.get(name, 0), "stopped_here": sum(how.values()),
                        "stopped": how})
    return {"flow_id": flow_id, "from": start.isoformat(), "to": end.isoformat(), "executions": executions,
            "transitions": transitions, "widgets": widgets}


# ---------------------------------------------------------------- executions


_LIST = """
SELECT id, contact, status, ended_reason, created_at, ended_at, {last} AS last_widget
FROM executions WHERE flow_id = :flow AND created_at >= :lo AND created_at < :hi {extra}
ORDER BY created_at, id LIMIT :limit
"""
_TOOK = {
    "sqlite": """AND EXISTS (SELECT 1 FROM turns, json_each(turns.steps) s WHERE turns.execution_id = executions.id
  AND json_extract(s.value, '$.flow') = :flow AND {cond})""",
    "postgresql": """AND EXISTS (SELECT 1 FROM turns CROSS JOIN LATERAL jsonb_array_elements(turns.steps::jsonb) s
  WHERE turns.execution_id = executions.id AND s ->> 'flow' = :flow AND {cond})"""}
_FIELD = {"sqlite": "json_extract(s.value, '$.{}')", "postgresql": "(s ->> '{}')"}


def executions_of(store: Store, flow_id: str, start: datetime, end: datetime, *, widget: str | None = None,
                  stopped: str | None = None, transition: tuple[str, str, str | None] | None = None,
                  limit: int = 200) -> list[dict]:
    """The executions behind a count: those that entered `widget` (or, with `stopped`
    = ended/failed/expired/waiting/any, stopped there), or took `transition` (from,
    event, to); oldest first."""
    dialect, params = _dialect(store), {**_params(flow_id, start, end), "limit": limit}
    field = _FIELD[dialect]
    extra = ""
    if widget is not None and stopped is not None:
        extra = f"AND {_LAST[dialect]} = :widget"
        params["widget"] = widget
        condition = {"ended": "status = 'ended' AND (ended_reason IS NULL OR ended_reason != :expired)",
                     "expired": "status = 'ended' AND ended_reason = :expired", "failed": "status = 'failed'",
                     "waiting": "status = 'active'"}.get(stopped)
        if condition:
            extra += f" AND {condition}"
    elif widget is not None:
        extra = _TOOK[dialect].format(cond=f"{field.format('to')} = :widget")
        params["widget"] = widget
    elif transition is not None:
        f, e, t = transition
        cond = f"{field.format('from')} = :tf AND {field.format('event')} = :te AND " + (
            f"{field.format('to')} = :tt" if t is not None else f"{field.format('to')} IS NULL")
        extra = _TOOK[dialect].format(cond=cond)
        params.update(tf=f, te=e, tt=t)
    sql = _stmt(_LIST.format(last=_LAST[dialect], extra=extra))
    with store.engine.connect() as conn:
        return [{"id": r.id, "contact": r.contact, "status": _how(r.status, r.ended_reason),
                 "started": _iso(r.created_at), "ended": _iso(r.ended_at), "last_widget": r.last_widget}
                for r in conn.execute(sql, params)]


def _how(status: str, reason: str | None) -> str:
    return "expired" if status == "ended" and reason == EXPIRED_REASON else status


def _iso(value) -> str | None:
    """A time as ISO 8601 UTC (SQLite gives text() columns as text, in UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return utc(value).astimezone(timezone.utc).isoformat()


# ---------------------------------------------------------------- CSV


REPLY_FIELDS = ("Body", "Digits", "SpeechResult")


def executions_csv(store: Store, flow_id: str, start: datetime, end: datetime) -> str:
    """One CSV row per execution started in [start, end): contact, started, ended,
    status, last widget, then one column per `flow.variables` key and per reply a
    Send & Wait or Gather got: `widgets.<name>.inbound.Body` (SMS; only Send & Wait
    has an inbound), `widgets.<name>.Digits` / `.SpeechResult` (Gather), in the order
    first seen. Cells a spreadsheet would run as formulas get a leading `'`."""
    sql = _stmt("SELECT id, contact, status, ended_reason, created_at, ended_at, state FROM executions "
                "WHERE flow_id = :flow AND created_at >= :lo AND created_at < :hi ORDER BY created_at, id "
                "LIMIT :limit")
    rows, variables, replies = [], [], []
    with store.engine.connect() as conn:
        for r in conn.execute(sql, {"flow": flow_id, "lo": start, "hi": end, "limit": MAX_CSV_ROWS}):
            state = r.state if isinstance(r.state, dict) else json.loads(r.state)
            frames = state.get("frames") or [{}]
            context = frames[0].get("context") or {}
            flow_vars = (context.get("flow") or {}).get("variables") or {}
            got = {}
            for name, widget in (context.get("widgets") or {}).items():
                if not isinstance(widget, dict):
                    continue
                inbound = widget.get("inbound") if isinstance(widget.get("inbound"), dict) else {}
                for key in REPLY_FIELDS:
                    value = inbound.get(key) if key == "Body" else widget.get(key)
                    if value not in (None, ""):
                        column = f"widgets.{name}.inbound.{key}" if key == "Body" else f"widgets.{name}.{key}"
                        got[column] = value
            for key in flow_vars:
                if key not in variables:
                    variables.append(key)
            for key in got:
                if key not in replies:
                    replies.append(key)
            rows.append((r, state, flow_vars, got))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["execution", "contact", "started", "ended", "status", "last_widget"]
                    + [f"flow.variables.{k}" for k in variables] + replies)
    for r, state, flow_vars, got in rows:
        writer.writerow([r.id, _cell(r.contact), _iso(r.created_at), _iso(r.ended_at) or "",
                         _how(r.status, r.ended_reason), state.get("last_widget") or ""]
                        + [_cell(flow_vars.get(k, "")) for k in variables] + [_cell(got.get(k, "")) for k in replies])
    return out.getvalue()


def _cell(value) -> str:
    """A cell, with what a spreadsheet would run as a formula made inert (CSV injection)."""
    text_ = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return "'" + text_ if text_[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text_) else text_


def _is_number(text_: str) -> bool:
    """Phone numbers (+1555...) and signed numbers are data, not formulas."""
    try:
        float(text_)
        return True
    except ValueError:
        return False
