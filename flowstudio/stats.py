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
never loaded into Python. A background `Summarizer` keeps what executions did in
`execution_paths` and, per hour, `path_hours` (statsschema.py): a finished one once,
with its outcome (`execution_summaries`, `outcome_hours`); an active one as it goes,
up to its `execution_progress` (the last turn read). The counts read those, and, in
the same snapshot, only what they do not hold yet: the turns after each active or
unsummarised execution's progress, and the outcome of active executions and of
finished ones not summarised yet (looked up one by one only in the hours whose
finished count differs from the hourly sums, and in the partial hours at the ends).

A step counts for this flow when its `flow` is the flow the execution started on (a
subflow's steps name the subflow), which the execution's revision id names: after a
rename the executions move to the new id and their steps, which name the old one,
still count on its canvas. Known limit: the summaries of an execution deleted (or of a
flow renamed) are dropped by the Summarizer's `tidy` within a minute (and summarised
again under the new id), until which they are still counted under the old one.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import math
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone, tzinfo

from sqlalchemy import DateTime, String, bindparam, delete, insert, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .adapters import statsschema as ss
from .adapters.store import Store, iso_utc, utc
from .background import Background

log = logging.getLogger("flowstudio.stats")

EXPIRED_REASON = "the execution expired"   # engine/runner.py ends an expired execution with this reason
MAX_CSV_ROWS = 100_000
_TYPES = dict(flow=String(), lo=DateTime(timezone=True), hi=DateTime(timezone=True))
# Per dialect: the steps of a turn as rows (`s`), a field of a step, and an execution's last widget.
_STEPS = {"sqlite": "JOIN json_each(turns.steps) AS s",
          "postgresql": "CROSS JOIN LATERAL jsonb_array_elements(turns.steps::jsonb) AS s"}
_FIELD = {"sqlite": "json_extract(s.value, '$.{}')", "postgresql": "(s ->> '{}')"}
_LAST = {"sqlite": "json_extract(x.state, '$.last_widget')", "postgresql": "(x.state ->> 'last_widget')"}


def _own(dialect: str) -> str:
    """Whether step `s` is one of the execution's own flow's (not a subflow's): its flow
    is the one the execution started on, which its revision id names (`<flow>@<n>` or a
    console snapshot's `<flow>~<sha>`; flow ids hold neither mark). Not `x.flow_id`:
    a rename moves the execution to the new id, but its steps name the old one."""
    f = _FIELD[dialect].format("flow")
    return f"substr(x.revision_id, 1, length({f}) + 1) IN ({f} || '@', {f} || '~')"
_RANGE = "x.flow_id = :flow AND x.created_at >= :lo AND x.created_at < :hi"
# The editor's test console runs (and its tries of "Send to a list") are the flow's
# author trying it, not the people it is for: never counted, summarised or exported.
# Where the counts compare finished executions per hour with the hourly sums, an hour
# holding console runs is looked up one by one (a few rows, which this then leaves out).
_NOT_CONSOLE = "x.session_key NOT LIKE 'console:%'"
_SUMMARY_RANGE = "flow_id = :flow AND created_at >= :lo AND created_at < :hi"
_UNSUMMARISED = "NOT EXISTS (SELECT 1 FROM execution_summaries m WHERE m.execution_id = x.id)"
# The executions counted live: active ones, and finished ones not summarised yet. The
# status list makes the database seek (flow, status, created_at) in its index instead
# of reading every execution row of the flow.
_LIVE = f"{_RANGE} AND x.status IN ('active', 'ended', 'failed') AND (x.status = 'active' OR {_UNSUMMARISED})"


_AFTER_PROGRESS = """LEFT JOIN execution_progress g ON g.execution_id = x.id
JOIN turns ON turns.execution_id = x.id AND turns.id > coalesce(g.turn_id, 0)"""


def _live_paths(dialect: str, finished: bool) -> str:
    """The executions counted live (as `_live_status`) with each distinct (src, ev,
    dst) they took in the turns their summary has not reached (`execution_progress`):
    for most, none."""
    f = _FIELD[dialect]
    # The executions are found from the index alone (MATERIALIZED: not merged into the
    # join, where the database would read every one's row for its revision id); only
    # those with turns after their progress are read.
    return f"""
WITH live AS MATERIALIZED (SELECT x.id AS id FROM executions x WHERE {_RANGE} AND {_WHICH[finished]})
SELECT DISTINCT x.id AS eid, {f.format('from')} AS src, {f.format('event')} AS ev, {f.format('to')} AS dst
FROM live LEFT JOIN execution_progress g ON g.execution_id = live.id
JOIN turns ON turns.execution_id = live.id AND turns.id > coalesce(g.turn_id, 0)
JOIN executions x ON x.id = live.id {_STEPS[dialect]}
WHERE {_own(dialect)} AND {_NOT_CONSOLE}"""


def _existing_paths(conn, ids) -> dict[str, set]:
    """The (src, event, dst) already summarised for each of these executions."""
    out: dict[str, set] = {}
    ids = sorted(ids)
    for i in range(0, len(ids), 500):
        for r in conn.execute(_PATHS_OF, {"ids": ids[i:i + 500]}):
            out.setdefault(r.execution_id, set()).add((r.src, r.event, r.dst))
    return out


_PATHS_OF = text("SELECT execution_id, src, event, dst FROM execution_paths WHERE execution_id IN :ids").bindparams(
    bindparam("ids", expanding=True))


_SUMMARY_PATHS = f"""
SELECT src, event AS ev, dst, count(*) AS n, sum(enters) AS entered FROM execution_paths
WHERE {_SUMMARY_RANGE} GROUP BY src, event, dst"""


def _live_last(dialect: str) -> str:
    """An execution's last widget: for an active one, where it waits (a column: its
    large state is not read); else from its state."""
    return f"CASE WHEN x.status = 'active' THEN x.waiting_widget ELSE {_LAST[dialect]} END"


_SUMMARY_STATUS = f"""
SELECT outcome, last_widget, count(*) AS n FROM execution_summaries WHERE {_SUMMARY_RANGE}
GROUP BY outcome, last_widget"""
_HOURS_STATUS = """
SELECT outcome, last_widget, sum(n) AS n FROM outcome_hours WHERE flow_id = :flow AND hour >= :lo AND hour < :hi
GROUP BY outcome, last_widget"""
_HOURS_PATHS = """
SELECT src, event AS ev, dst, sum(n) AS n, sum(entered) AS entered FROM path_hours
WHERE flow_id = :flow AND hour >= :lo AND hour < :hi GROUP BY src, event, dst"""


_WHICH = {False: "x.status = 'active'", True: f"x.status IN ('ended', 'failed') AND {_UNSUMMARISED}"}


def _live_status(dialect: str, finished: bool) -> str:
    """The executions counted live, by how they stand: the active ones, or
    (`finished`) the finished ones not summarised yet. Answered from the index (flow,
    status, created_at, id); only the rows kept are read."""
    return f"""
SELECT CASE WHEN x.status = 'ended' AND x.ended_reason = :expired THEN 'expired' ELSE x.status END
       AS outcome, {_live_last(dialect)} AS last_widget, count(*) AS n FROM executions x
WHERE {_RANGE} AND {_WHICH[finished]} AND {_NOT_CONSOLE}
GROUP BY 1, 2"""


# Per hour of start: how many executions finished, and how many are summarised. An hour
# whose two counts are equal has all its finished executions summarised (a summary is
# only ever made of a finished execution of the flow), so they are not looked up one by
# one. (Between a delete or rename and the next `tidy`, a summary left over can make up
# for one not made yet: counted in its place until the Summarizer's next round.)
_HOUR_OF = {"sqlite": "substr({}, 1, 13)", "postgresql": "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')"}


def _finished_hours(dialect: str) -> str:
    h = _HOUR_OF[dialect].format("x.created_at")
    return f"""SELECT {h} AS h, count(*) AS n FROM executions x WHERE x.flow_id = :flow
AND x.status IN ('ended', 'failed') AND x.created_at >= :lo AND x.created_at < :hi GROUP BY {h}"""


def _summarised_hours(dialect: str) -> str:
    h = _HOUR_OF[dialect].format("hour")
    return f"""SELECT {h} AS h, sum(n) AS n FROM outcome_hours WHERE flow_id = :flow AND hour >= :lo AND hour < :hi
GROUP BY {h}"""


def _behind(conn, dialect: str, flow_id: str, whole: tuple) -> list[tuple]:
    """The hours of `whole` (as merged ranges) with finished executions not summarised."""
    values = _params(flow_id, *whole)
    finished = {r.h: int(r.n) for r in conn.execute(_stmt(_finished_hours(dialect)), values)}
    summarised = {r.h: int(r.n) for r in conn.execute(_stmt(_summarised_hours(dialect)), values)}
    ranges: list[list] = []
    for h in sorted(h for h, n in finished.items() if summarised.get(h) != n):
        lo = datetime.fromisoformat(h.replace(" ", "T") + ":00").replace(tzinfo=timezone.utc)
        if ranges and ranges[-1][1] == lo:
            ranges[-1][1] = lo + timedelta(hours=1)
        else:
            ranges.append([lo, lo + timedelta(hours=1)])
    return [tuple(r) for r in ranges]


def _hour(value: datetime) -> datetime:
    """The start of the hour `value` is in (UTC)."""
    return utc(value).astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def _pieces(start: datetime, end: datetime):
    """[start, end) as its whole hours (or None) and the partial ends around them."""
    first = _hour(start) if _hour(start) == start else _hour(start) + timedelta(hours=1)
    last = _hour(end)
    if first >= last:
        return None, [(start, end)]
    return (first, last), [(a, b) for a, b in ((start, first), (last, end)) if a < b]


def _dialect(store: Store) -> str:
    return "postgresql" if store.is_postgres else "sqlite"


def _params(flow_id: str, start: datetime, end: datetime) -> dict:
    return {"flow": flow_id, "lo": start, "hi": end, "expired": EXPIRED_REASON}


def _stmt(sql: str):
    """The statement, with the times bound as the store writes them."""
    return text(sql).bindparams(*(bindparam(k, type_=v) for k, v in _TYPES.items() if f":{k}" in sql))


@contextmanager
def _snapshot(store: Store):
    """A connection whose reads all see one snapshot of the database (the counts of a
    summary being written meanwhile are seen either all in the summary, or all live)."""
    with store.engine.connect() as conn:
        if store.is_postgres:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        else:
            conn.exec_driver_sql("BEGIN")   # a deferred read transaction: one WAL snapshot
        try:
            yield conn
        finally:
            conn.rollback()


def flow_stats(store: Store, flow_id: str, start: datetime, end: datetime) -> dict:
    """The counts of executions of `flow_id` started in [start, end) (module docstring)."""
    dialect, params = _dialect(store), _params(flow_id, start, end)
    executions = {"started": 0, "ended": 0, "failed": 0, "active": 0, "expired": 0}
    stopped: dict[str, dict[str, int]] = {}
    whole, edges = _pieces(start, end)
    status_reads = [(_live_status(dialect, False), params)] + [(_SUMMARY_STATUS, _params(flow_id, a, b))
                                                               for a, b in edges]
    path_reads = [(_SUMMARY_PATHS, _params(flow_id, a, b)) for a, b in edges]
    if whole is not None:
        status_reads.append((_HOURS_STATUS, _params(flow_id, *whole)))
        path_reads.append((_HOURS_PATHS, _params(flow_id, *whole)))
    taken: dict[tuple, int] = {}
    entered: dict[str, int] = {}
    with _snapshot(store) as conn:
        # finished executions not summarised yet: looked up in the partial hours, and in
        # the whole hours whose counts say some are missing
        behind = edges + (_behind(conn, dialect, flow_id, whole) if whole is not None else [])
        status_reads += [(_live_status(dialect, True), _params(flow_id, a, b)) for a, b in behind]
        live_reads = [(_live_paths(dialect, False), params)] + [(_live_paths(dialect, True), _params(flow_id, a, b))
                                                                for a, b in behind]
        for sql, values in status_reads:
            for row in conn.execute(_stmt(sql), values):
                how, last, n = row.outcome, row.last_widget or None, int(row.n)
                executions["started"] += n
                executions[how] = executions.get(how, 0) + n
                if last:
                    kind = "waiting" if how == "active" else how
                    counts = stopped.setdefault(last, {"ended": 0, "failed": 0, "expired": 0, "waiting": 0})
                    counts[kind] = counts.get(kind, 0) + n
        for sql, values in path_reads:
            for r in conn.execute(_stmt(sql), values):
                key = (r.src or None, r.ev or None, r.dst or None)
                taken[key] = taken.get(key, 0) + int(r.n)
                if key[2] is not None:
                    entered[key[2]] = entered.get(key[2], 0) + int(r.entered)
        live_entered: dict[str, set] = {}
        live = []   # few rows: the turns not summarised yet
        for sql, values in live_reads:
            live += conn.execute(_stmt(sql), values).all()
        had = _existing_paths(conn, {r.eid for r in live})
        for r in live:
            before = had.get(r.eid, ())
            if (r.src, r.ev, r.dst) in before:
                continue   # summarised already, from an earlier turn
            taken[(r.src, r.ev, r.dst)] = taken.get((r.src, r.ev, r.dst), 0) + 1
            if r.dst is not None and not any(dst == r.dst for _s, _e, dst in before):
                live_entered.setdefault(r.dst, set()).add(r.eid)
        for name, ids in live_entered.items():
            entered[name] = entered.get(name, 0) + len(ids)
    taken = {k: n for k, n in taken.items() if n}
    transitions = [{"from": k[0], "event": k[1], "to": k[2], "count": n} for k, n in taken.items()]
    transitions.sort(key=lambda x: (-x["count"], x["from"] or "", x["event"] or "", x["to"] or ""))
    widgets = []
    for name in sorted(set(entered) | set(stopped)):
        how = stopped.get(name, {"ended": 0, "failed": 0, "expired": 0, "waiting": 0})
        widgets.append({"name": name, "entered": entered.get(name, 0), "stopped_here": sum(how.values()),
                        "stopped": how})
    return {"flow_id": flow_id, "from": start.isoformat(), "to": end.isoformat(), "executions": executions,
            "transitions": transitions, "widgets": widgets}


# ---------------------------------------------------------------- summaries


@contextmanager
def _gated(store: Store, write: bool = False):
    """A connection (`write`: in a write transaction) for the Summarizer's work,
    holding the turn gate as a turn does (SQLite; nothing on PostgreSQL): its Python
    work beside a turn's made the turn wait for the GIL at each of its SQLite calls (a
    convoy). Held per chunk read and per chunk written, never for a whole pass, so a
    turn waits for one chunk at most (a pass of 200 turns held it for about 150 ms).
    The scans that only find which executions to look at are SQL with few rows to
    Python, and some are long (every execution, after a restart): not gated."""
    with store.gate.held(), (store._write() if write else store.engine.connect()) as conn:
        yield conn


def summarize(store: Store, limit: int = 100, since: datetime | None = None, chunk: int = 25,
              pace=None) -> int:
    """Summarise up to `limit` finished executions not summarised yet (statsschema.py);
    how many. With `since`, only those that ended at or after it are looked for (the
    index of executions by end time: a few rows, where without it every execution is
    checked). They go by `chunk`: each chunk's steps and last widgets are read, then
    written in a transaction that only checks that they are still there and
    unsummarised, then inserts (a finished execution never changes, so what was read
    is its own for good). On SQLite each read and each write holds up every other turn
    (the turn gate, _gated), so each stays short: with the reads of 100 executions
    under one hold, a webhook waited up to 360 ms while a campaign ran. An execution
    is summarised whole or not at all. `pace()`, when given, is called before each chunk
    (the Summarizer waits there while turns run)."""
    dialect = _dialect(store)
    f = _FIELD[dialect]
    recent = "x.ended_at IS NOT NULL AND x.ended_at >= :since AND " if since is not None else ""
    find = text(f"""SELECT x.id FROM executions x WHERE {recent}x.status IN ('ended', 'failed') AND {_UNSUMMARISED}
AND {_NOT_CONSOLE} LIMIT :limit""")
    if since is not None:
        find = find.bindparams(bindparam("since", type_=DateTime(timezone=True)))
    about = text(f"""SELECT x.id AS id, x.flow_id AS flow_id, x.created_at AS created_at, x.status AS status,
x.ended_reason AS reason, {_LAST[dialect]} AS last_widget FROM executions x WHERE x.id IN :ids""").columns(
        created_at=DateTime(timezone=True)).bindparams(bindparam("ids", expanding=True))
    taken = text(f"""SELECT DISTINCT x.id AS eid, {f.format('from')} AS src, {f.format('event')} AS ev,
{f.format('to')} AS dst FROM executions x JOIN turns ON turns.execution_id = x.id {_STEPS[dialect]}
WHERE x.id IN :ids AND {_own(dialect)}""").bindparams(bindparam("ids", expanding=True))
    lock = " FOR UPDATE OF x SKIP LOCKED" if store.is_postgres else ""
    # In the write: only the primary keys (never the large state), and the flow (a
    # rename meanwhile: left for the next round, under the new id).
    pick = text(f"""SELECT x.id AS id, x.flow_id AS flow_id FROM executions x
WHERE x.id IN :ids AND x.status IN ('ended', 'failed') AND {_UNSUMMARISED}{lock}""").bindparams(
        bindparam("ids", expanding=True))
    with store.engine.connect() as conn:   # ids only (a scan in SQL, hourly a long one): not gated
        found = sorted(r[0] for r in conn.execute(find, {"limit": limit, **({"since": since} if since else {})}))
    done = 0
    for i in range(0, len(found), chunk):
        if pace is not None:
            pace()
        with _gated(store) as conn:
            rows = {r.id: r for r in conn.execute(about, {"ids": found[i:i + chunk]}) if r.status in ("ended", "failed")}
            if not rows:
                continue
            steps = list(conn.execute(taken, {"ids": list(rows)}))
            last = dict(conn.execute(_LAST_TURN, {"ids": list(rows)}).all())
        by: dict[str, list] = {}
        for p in steps:
            by.setdefault(p.eid, []).append(p)
        part = sorted(rows)
        with _gated(store, write=True) as conn:
            still = sorted(r.id for r in conn.execute(pick, {"ids": part}) if r.flow_id == rows[r.id].flow_id)
            if not still:
                continue
            # Its progress first: this waits for (and then stops) a summary of it as an
            # active execution being written meanwhile by another process.
            _set_progress(conn, store.is_postgres, [{"execution_id": e, "flow_id": rows[e].flow_id,
                                                      "turn_id": last.get(e, 0)} for e in still])
            had = _existing_paths(conn, still)
            paths = []
            for e in still:
                r = rows[e]
                paths += _new_paths(e, r.flow_id, r.created_at, by.get(e, ()), had.get(e, set()))
            summaries = [{"execution_id": e, "flow_id": rows[e].flow_id, "created_at": rows[e].created_at,
                          "outcome": _how(rows[e].status, rows[e].reason), "last_widget": rows[e].last_widget}
                         for e in still]
            if paths:
                conn.execute(insert(ss.execution_paths), paths)
            conn.execute(insert(ss.execution_summaries), summaries)
            _bump(conn, store.is_postgres, paths, summaries, +1)
            done += len(summaries)
    return done


_LAST_TURN = text("SELECT execution_id, max(id) FROM turns WHERE execution_id IN :ids GROUP BY execution_id").bindparams(
    bindparam("ids", expanding=True))


def _new_paths(eid: str, flow_id: str, created_at, steps, had: set) -> list[dict]:
    """The execution_paths rows to add for an execution that took `steps` (rows with
    src, ev, dst), `had` (its (src, event, dst) summarised already) left out; `enters`
    is 1 on the first row into a widget it had not entered."""
    entered = {dst for _s, _e, dst in had}
    out = []
    for p in sorted({(p.src, p.ev, p.dst) for p in steps} - had, key=lambda p: (p[0] or "", p[1] or "", p[2] or "")):
        enters = int(p[2] is not None and p[2] not in entered)
        entered.add(p[2])
        out.append({"execution_id": eid, "flow_id": flow_id, "created_at": created_at, "src": p[0], "event": p[1],
                    "dst": p[2], "enters": enters})
    return out


def _upsert(is_postgres: bool, table):
    """An INSERT into `table` that can take ON CONFLICT, in the database's dialect."""
    return (pg_insert if is_postgres else sqlite_insert)(table)


def _set_progress(conn, is_postgres: bool, rows: list[dict]) -> None:
    """Record how far these executions' paths are summarised (insert or move on)."""
    stmt = _upsert(is_postgres, ss.execution_progress)
    stmt = stmt.on_conflict_do_update(index_elements=["execution_id"], set_={"turn_id": stmt.excluded.turn_id})
    conn.execute(stmt, rows)


# Active executions with turns their progress has not reached (after a restart, and hourly).
_BEHIND = text(f"""SELECT x.id FROM executions x WHERE x.status = 'active' AND {_NOT_CONSOLE} AND EXISTS (SELECT 1 FROM turns
WHERE turns.execution_id = x.id AND turns.id > coalesce((SELECT g.turn_id FROM execution_progress g
WHERE g.execution_id = x.id), 0)) LIMIT :limit""")
_TURNS_AFTER = text("SELECT id, execution_id FROM turns WHERE id > :after ORDER BY id LIMIT :limit")


_MOVE = "UPDATE execution_progress SET turn_id = {0} WHERE execution_id = {0} AND turn_id = {0}"
_FIRST = ("INSERT INTO execution_progress (execution_id, flow_id, turn_id) VALUES {} "
          "ON CONFLICT (execution_id) DO NOTHING RETURNING execution_id")


def _move_progress(conn, moves: list[tuple[str, str, int | None, int]]) -> set[str]:
    """Move each execution's progress, given as (execution id, flow id, where it was
    read: None for none yet, where it goes); the ids moved. One not at `was` any more
    is left out (another process, or its finishing summary, got there first).

    Plain SQL in the driver's own style: while a campaign starts executions by the
    hundred, building an SQLAlchemy UPDATE per execution took more of the worker than
    the turns did (py-spy --gil: 18 % of the GIL for this, 26 % for the turns)."""
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    moved: set[str] = set()
    first = [m for m in moves if m[2] is None]
    if first:
        values = ", ".join([f"({mark}, {mark}, {mark})"] * len(first))
        # RETURNING: psycopg reports no row count for an INSERT ... ON CONFLICT DO NOTHING
        moved.update(r[0] for r in conn.exec_driver_sql(
            _FIRST.format(values), tuple(v for e, flow, _was, to in first for v in (e, flow, to))))
    move = _MOVE.format(mark)
    for e, _flow, was, to in moves:
        if was is not None and conn.exec_driver_sql(move, (to, e, was)).rowcount == 1:
            moved.add(e)
    return moved


def summarize_active(store: Store, after: int | None = None, turns: int = 2000, chunk: int = 25,
                     pace=None) -> tuple[int, int]:
    """Summarise the paths active executions took in their turns since their progress
    (`execution_progress`); (how many executions, the newest turn id looked at). With
    `after`, the executions of up to `turns` turns after that turn id are looked at;
    without, every active execution with turns beyond its progress (up to `turns` of
    them). By `chunk` executions, each read and then written (each under the turn
    gate, _gated, held briefly); an execution's progress moves only if it is where it
    was read (else another process, or its finishing summary, got there first, and
    it is left to them). `pace`: as summarize's."""
    dialect = _dialect(store)
    f = _FIELD[dialect]
    with store.engine.connect() as conn:   # ids only (after a restart, a scan in SQL): not gated
        if after is None:
            newest = conn.execute(text("SELECT max(id) FROM turns")).scalar() or 0
            ids = [r[0] for r in conn.execute(_BEHIND, {"limit": turns})]
        else:
            seen = conn.execute(_TURNS_AFTER, {"after": after, "limit": turns}).all()
            newest = max((r.id for r in seen), default=after)
            ids = sorted({r.execution_id for r in seen if r.execution_id})
    if not ids:
        return 0, newest
    read = text(f"""SELECT x.id AS eid, x.flow_id AS flow_id, x.created_at AS created_at, g.turn_id AS was,
turns.id AS turn, {f.format('from')} AS src, {f.format('event')} AS ev, {f.format('to')} AS dst
FROM executions x {_AFTER_PROGRESS} {_STEPS[dialect]}
WHERE x.id IN :ids AND x.status = 'active' AND {_own(dialect)} AND {_NOT_CONSOLE}""").columns(
        created_at=DateTime(timezone=True)).bindparams(bindparam("ids", expanding=True))
    done = 0
    for i in range(0, len(ids), chunk):
        if pace is not None:
            pace()
        with _gated(store) as conn:   # each chunk read, then written, under a hold of its own
            found = list(conn.execute(read, {"ids": ids[i:i + chunk]}))
            if not found:
                continue
            had = _existing_paths(conn, {r.eid for r in found})
        by: dict[str, list] = {}
        for r in found:
            by.setdefault(r.eid, []).append(r)
        part = sorted(by)
        with _gated(store, write=True) as conn:
            # up to the last turn read (a turn committed since is read next time)
            moved = _move_progress(conn, [(e, by[e][0].flow_id, by[e][0].was, max(r.turn for r in by[e]))
                                          for e in part])
            paths = []
            for e in part:
                if e in moved:
                    rows = by[e]
                    paths += _new_paths(e, rows[0].flow_id, rows[0].created_at, rows, had.get(e, set()))
            done += len(moved)
            if paths:
                conn.execute(insert(ss.execution_paths), paths)
                _bump(conn, store.is_postgres, paths, [], +1)
    return done, newest


def _bump(conn, is_postgres: bool, paths: list[dict], summaries: list[dict], sign: int) -> None:
    """Add (or, with sign -1, take away) summarised executions to the hourly sums."""
    by_path: dict[tuple, list[int]] = {}
    for p in paths:
        key = (p["flow_id"], _hour(p["created_at"]), p["src"] or "", p["event"] or "", p["dst"] or "")
        total = by_path.setdefault(key, [0, 0])
        total[0] += sign
        total[1] += sign * p["enters"]
    by_outcome: dict[tuple, int] = {}
    for m in summaries:
        key = (m["flow_id"], _hour(m["created_at"]), m["outcome"], m["last_widget"] or "")
        by_outcome[key] = by_outcome.get(key, 0) + sign
    add_paths, add_outcomes = _upserts(is_postgres)
    if by_path:
        conn.execute(add_paths, [{"flow_id": k[0], "hour": k[1], "src": k[2], "event": k[3], "dst": k[4],
                                  "n": v[0], "entered": v[1]} for k, v in by_path.items()])
    if by_outcome:
        conn.execute(add_outcomes, [{"flow_id": k[0], "hour": k[1], "outcome": k[2], "last_widget": k[3], "n": v}
                                    for k, v in by_outcome.items()])


_UPSERTS: dict[bool, tuple] = {}


def _upserts(is_postgres: bool) -> tuple:
    """The two "add to the hourly sums" statements, built once per dialect (building
    them, `excluded` and all, took longer than running them)."""
    if is_postgres not in _UPSERTS:
        paths = _upsert(is_postgres, ss.path_hours)
        paths = paths.on_conflict_do_update(index_elements=["flow_id", "hour", "src", "event", "dst"], set_={
            "n": ss.path_hours.c.n + paths.excluded.n, "entered": ss.path_hours.c.entered + paths.excluded.entered})
        outcomes = _upsert(is_postgres, ss.outcome_hours)
        outcomes = outcomes.on_conflict_do_update(index_elements=["flow_id", "hour", "outcome", "last_widget"],
                                                  set_={"n": ss.outcome_hours.c.n + outcomes.excluded.n})
        _UPSERTS[is_postgres] = (paths, outcomes)
    return _UPSERTS[is_postgres]


def tidy(store: Store) -> int:
    """Drop what is summarised of executions deleted since, and of those whose flow was
    renamed (summarised again under the new id); how many executions. The search
    reads outside any write; each write takes away exactly the rows it deleted
    (DELETE ... RETURNING), so two processes tidying at once never take one away twice."""
    stale = """SELECT m.execution_id FROM execution_summaries m LEFT JOIN executions x ON x.id = m.execution_id
WHERE x.id IS NULL OR x.flow_id != m.flow_id
UNION SELECT g.execution_id FROM execution_progress g LEFT JOIN executions x ON x.id = g.execution_id
WHERE x.id IS NULL OR x.flow_id != g.flow_id"""
    with store.engine.connect() as conn:   # ids only, a scan in SQL: not gated
        ids = sorted(r[0] for r in conn.execute(text(stale)))
    dropped = 0
    for i in range(0, len(ids), 100):
        chunk = ids[i:i + 100]
        with _gated(store, write=True) as conn:
            summaries = [dict(r._mapping) for r in conn.execute(
                delete(ss.execution_summaries).where(ss.execution_summaries.c.execution_id.in_(chunk))
                .returning(*ss.execution_summaries.c))]
            paths = [dict(r._mapping) for r in conn.execute(
                delete(ss.execution_paths).where(ss.execution_paths.c.execution_id.in_(chunk))
                .returning(*ss.execution_paths.c))]
            progress = conn.execute(delete(ss.execution_progress).where(ss.execution_progress.c.execution_id
                                                                        .in_(chunk))).rowcount
            _bump(conn, store.is_postgres, paths, summaries, -1)
            dropped += max(len(summaries), progress)
    return dropped


class Summarizer(Background):
    """A daemon thread summarising finished executions every `interval` seconds (each
    process runs one; on PostgreSQL they share the work, SKIP LOCKED).

    Once it has caught up, it looks only at executions that ended since a little
    before the newest end time it saw (`MARGIN`: a turn still committing then may
    carry an earlier end time), through the index of executions by end time, instead
    of checking every execution each round; every `FULL_EVERY` seconds, and after a
    restart, it checks them all (what a longer-running transaction could have hidden)."""

    thread_name = "flowstudio-stats"

    # Seconds, not rounds: rounds follow each other quickly while a campaign finishes
    # executions by the hundred, and these passes read every summary or execution.
    TIDY_EVERY = 60.0   # between tidy() passes
    FULL_EVERY = 3600.0  # between looks at every execution
    MARGIN = timedelta(minutes=10)
    PAUSE = 0.05        # seconds between busy rounds: turns get the database between them
    TURNS = 200         # turns (or, after a restart, active executions) looked at per round
    TURN_MARGIN = 500   # turn ids looked at again on PostgreSQL (committed out of order)
    # While this process runs turns, the Summarizer takes at most this share of the time
    # (of one core): it waits between chunks for 1/SHARE - 1 times the CPU time it used,
    # MAX_WAIT at most. Turns come first: under a burst the summaries fall behind (the
    # counts stay exact, reading the turns not summarised yet, only slower) and catch
    # up, at full speed, when no turn runs. Measured: with every request a new
    # execution, summarising took more of a saturated worker than the turns did.
    SHARE = 0.1
    MAX_WAIT = 1.0

    def __init__(self, store: Store, interval: float = 5.0):
        self.store, self.interval = store, interval
        self.rounds = 0
        self._tidied = self._full = -math.inf   # time.monotonic() of the last of each
        self.since: datetime | None = None   # None: look at every execution
        self.after: int | None = None        # the turn id the active executions are summarised to
        self._begun, self._cpu = store.turns_begun, None   # for _give_way (its thread's time)
        super().__init__()

    def _give_way(self) -> None:
        """Before each chunk: if turns began since the last one, wait (SHARE)."""
        used = 0.0 if self._cpu is None else time.thread_time() - self._cpu   # this thread's CPU
        begun = self.store.turns_begun
        if begun != self._begun:
            self._begun = begun
            self._stop.wait(min(used * (1 / self.SHARE - 1), self.MAX_WAIT))
        self._cpu = time.thread_time()

    def round(self) -> int:
        """One round: tidy when due, then summarise a batch of finished executions and
        the new turns of active ones; how many executions were summarised."""
        now = time.monotonic()
        if now - self._tidied >= self.TIDY_EVERY:
            self._tidied = now
            tidy(self.store)
        if now - self._full >= self.FULL_EVERY:
            self._full = now
            self.since = self.after = None
        self.rounds += 1
        newest = _newest_end(self.store)   # read first: what ends after it is found next time
        # each read and chunk under the turn gate (_gated); giving way to turns between chunks
        done = summarize(self.store, since=self.since, pace=self._give_way)
        if done < 100 and newest is not None:   # caught up to `newest`
            self.since = utc(newest) - self.MARGIN
        active, last_turn = summarize_active(self.store, after=self.after, turns=self.TURNS, pace=self._give_way)
        if self.after is None and active < self.TURNS or self.after is not None:
            # PostgreSQL commits turns out of id order: look again at the last few ids
            self.after = max(0, last_turn - (self.TURN_MARGIN if self.store.is_postgres else 0))
        return done + active

    def _loop(self) -> None:
        while not self._stop.is_set():
            done = 0
            try:
                done = self.round()
            except Exception:  # noqa: BLE001 - counted live until the next round
                log.exception("summarising finished executions failed")
            self._stop.wait(self.PAUSE if done >= 100 else self.interval)   # more waiting: go on soon


def _newest_end(store: Store):
    """The latest end time of any execution (the index's last entry)."""
    with store.engine.connect() as conn:
        value = conn.execute(text("SELECT max(ended_at) FROM executions WHERE ended_at IS NOT NULL")).scalar()
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value


# ---------------------------------------------------------------- executions


_LIST = """
SELECT x.id AS id, x.contact AS contact, x.status AS status, x.ended_reason AS reason, x.created_at AS created_at,
       x.ended_at AS ended_at, {last} AS last_widget
FROM executions x WHERE {range} AND {not_console} {extra}
ORDER BY x.created_at, x.id LIMIT :limit
"""


def executions_of(store: Store, flow_id: str, start: datetime, end: datetime, *, widget: str | None = None,
                  stopped: str | None = None, transition: tuple[str, str, str | None] | None = None,
                  limit: int = 200) -> list[dict]:
    """The executions behind a count: those that entered `widget` (or, with `stopped`
    = ended/failed/expired/waiting/any, stopped there), or took `transition` (from,
    event, to); oldest first."""
    dialect, params = _dialect(store), {**_params(flow_id, start, end), "limit": limit}
    f = _FIELD[dialect]
    extra, condition = "", None
    if widget is not None and stopped is not None:
        extra = f"AND {_LAST[dialect]} = :widget"
        params["widget"] = widget
        extra += {"ended": " AND x.status = 'ended' AND (x.ended_reason IS NULL OR x.ended_reason != :expired)",
                  "expired": " AND x.status = 'ended' AND x.ended_reason = :expired",
                  "failed": " AND x.status = 'failed'", "waiting": " AND x.status = 'active'"}.get(stopped, "")
    elif widget is not None:
        condition = ("p.dst = :widget", f"{f.format('to')} = :widget")
        params["widget"] = widget
    elif transition is not None:
        params.update(tf=transition[0], te=transition[1], tt=transition[2])
        to_p, to_s = ("= :tt", "= :tt") if transition[2] is not None else ("IS NULL", "IS NULL")
        condition = (f"p.src = :tf AND p.event = :te AND p.dst {to_p}",
                     f"{f.format('from')} = :tf AND {f.format('event')} = :te AND {f.format('to')} {to_s}")
    if condition is not None:
        extra = f"""AND (EXISTS (SELECT 1 FROM execution_paths p WHERE p.execution_id = x.id AND {condition[0]})
  OR ({_UNSUMMARISED} AND EXISTS (SELECT 1 FROM turns {_STEPS[dialect]} WHERE turns.execution_id = x.id
  AND {_own(dialect)} AND {condition[1]})))"""
    sql = _stmt(_LIST.format(last=_LAST[dialect], range=_RANGE, not_console=_NOT_CONSOLE, extra=extra))
    with store.engine.connect() as conn:
        return [{"id": r.id, "contact": r.contact, "status": _how(r.status, r.reason),
                 "started": _iso(r.created_at), "ended": _iso(r.ended_at), "last_widget": r.last_widget}
                for r in conn.execute(sql, params)]


def _how(status: str, reason: str | None) -> str:
    return "expired" if status == "ended" and reason == EXPIRED_REASON else status


def _time(value) -> datetime | None:
    """A stored time as an aware datetime (SQLite gives text() columns as text, in UTC)."""
    return utc(datetime.fromisoformat(value) if isinstance(value, str) else value)


def _iso(value) -> str | None:
    """A time as ISO 8601 UTC."""
    return iso_utc(_time(value))


# ---------------------------------------------------------------- CSV


def _when(value, zone: tzinfo | None) -> str:
    """A CSV time: ISO 8601 UTC, or local to `zone` without the T, fraction and offset
    that keep a spreadsheet from seeing a date."""
    if value is None:
        return ""
    if zone is None:
        return _iso(value)
    return _time(value).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


REPLY_FIELDS = ("Body", "Digits", "SpeechResult")


class TooManyRows(ValueError):
    """More executions started in the range than one CSV holds (MAX_CSV_ROWS)."""


def executions_csv(store: Store, flow_id: str, start: datetime, end: datetime, zone: tzinfo | None = None) -> str:
    """One CSV row per execution started in [start, end): contact, started, ended (ISO
    8601 UTC, or with `zone` that zone's `YYYY-MM-DD HH:MM:SS`, which spreadsheets read
    as a date and time), status, last widget, then one column per `flow.variables` key
    and per reply a Send & Wait or Gather got: `widgets.<name>.inbound.Body` (SMS; only Send & Wait
    has an inbound), `widgets.<name>.Digits` / `.SpeechResult` (Gather), in the order
    first seen. Cells a spreadsheet would run as formulas get a leading `'`. TooManyRows
    when more than MAX_CSV_ROWS started in the range."""
    sql = _stmt("SELECT id, contact, status, ended_reason, created_at, ended_at, state FROM executions x "
                f"WHERE {_RANGE} AND {_NOT_CONSOLE} ORDER BY created_at, id LIMIT :limit")
    rows, variables, replies = [], [], []
    with store.engine.connect() as conn:
        for r in conn.execute(sql, {"flow": flow_id, "lo": start, "hi": end, "limit": MAX_CSV_ROWS + 1}):
            if len(rows) == MAX_CSV_ROWS:   # refused whole rather than cut short without a word
                raise TooManyRows(f"more than {MAX_CSV_ROWS:,} executions started in this range; a CSV holds "
                                  f"at most {MAX_CSV_ROWS:,}: choose a shorter range")
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
        writer.writerow([r.id, _cell(r.contact), _when(r.created_at, zone), _when(r.ended_at, zone),
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
