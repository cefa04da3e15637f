"""Executions, steps, revisions and timers in SQL, with SQLAlchemy Core.

SQLite (a file under the data folder) by default, PostgreSQL when
`FLOWSTUDIO_DATABASE_URL` says so. The service uses it in a fixed pattern per event:

    with store.turn(session) as conn:               # one event per session at a time
        answer, row = store.begin_turn(..., conn)   # a retried delivery's answer, or the execution
        ... run the engine, perform I/O (inside `with store.gate.opened():`) ...
        store.save_turn(record, conn)               # ONE write transaction, or nothing

`turn(session)` holds the session across processes until the block ends, and is
released if a process dies. On SQLite: `locked` (a thread lock plus a POSIX lock on a
byte of `<db>.lock`), then the process's TurnGate (database.py: one turn at a time per
process, on one kept-open connection); the reads run in autocommit, the write in its
own transaction. On PostgreSQL (_PgTurn): one pooled connection, and one transaction
from the first read to the commit, holding a transaction-scoped advisory lock on the
session, in four round trips. `save_turn` also checks the row's `version`, so even if
two processes ever ran the same event, only one would advance the execution: the
other gets `Conflict` (having written nothing) and the service retries with fresh state.
"""
from __future__ import annotations

import secrets
import sqlite3
import threading
from collections import namedtuple
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import SimpleNamespace

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import and_, bindparam, delete, func, insert, literal_column, select, update
from sqlalchemy.dialects.sqlite import DATETIME as SQLiteDateTime
from sqlalchemy.exc import DBAPIError, IntegrityError


from ..engine import jsontext
from . import schema as t
from .database import Checkpointer, GatedConnection, SessionLocks, TurnGate, advisory_number, make_engine


class Conflict(Exception):
    """Someone else changed this execution (or started one for this session) first."""


@dataclass
class TurnRecord:
    """Everything one processed event writes, saved in one transaction."""

    execution_id: str
    flow_id: str
    revision_id: str
    session_key: str
    contact: str
    flow_address: str
    channel: str
    status: str
    state: dict
    version: int | None            # the version read; None for a new execution
    now: datetime
    expires_at: datetime
    waiting_widget: str | None = None
    waiting_kind: str | None = None
    wait_due: datetime | None = None
    ended_reason: str | None = None
    steps: list[dict] = field(default_factory=list)
    trace: list[dict] = field(default_factory=list)
    inbound_key: str | None = None
    response: dict | None = None
    outbox: list[dict] = field(default_factory=list)
    call_sid: str | None = None
    was_active: bool = False       # the row read was active (it stays so unless status says otherwise)


def revision_id(conn, flow_id: str, number: int) -> str:
    """A new revision's id: `<flow>@<number>`, or, when a flow of the same name that was
    deleted or renamed away already used that id, `<flow>@<number>.<random>`. An id is
    minted once and never reused: executions stay pinned to the document they started on."""
    rev_id = f"{flow_id}@{number}"
    while conn.execute(select(t.revisions.c.id).where(t.revisions.c.id == rev_id)).first() is not None:
        rev_id = f"{flow_id}@{number}.{secrets.token_hex(3)}"
    return rev_id


def utc(value: datetime | None) -> datetime | None:
    """A datetime from the database as an aware UTC datetime (SQLite returns naive ones)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


def iso_utc(value: datetime | None) -> str | None:
    """A datetime from the database as ISO 8601 in UTC, with its zone (`+00:00`: SQLite
    gives naive ones, PostgreSQL the session's zone), or None."""
    return utc(value).astimezone(timezone.utc).isoformat() if value is not None else None


# 'active' written out, never bound: the indexes these queries use are partial (WHERE
# status = 'active'), and a bound status makes SQLite plan the statement again for every
# value bound (it cannot know the partial index applies until it sees the value): 20 µs
# of every read on the hot path. PostgreSQL's generic plans of prepared statements also
# match the partial indexes only then.
_IS_ACTIVE = t.executions.c.status == literal_column("'active'")
# Statements built once: the hot path runs them for every inbound event, and building
# a statement costs more than running it on SQLite.
_ACTIVE = select(t.executions).where(and_(
    t.executions.c.flow_id == bindparam("flow_id"), t.executions.c.session_key == bindparam("session_key"),
    _IS_ACTIVE))
_BY_ID = select(t.executions).where(t.executions.c.id == bindparam("execution_id"))
_INBOUND = select(t.turns.c.response).where(t.turns.c.key == bindparam("key"))
# The session's active execution and, in the same statement, the answer if this delivery
# was already processed: a reply to a waiting execution costs one query.
_ACTIVE_OR_DONE = select(t.executions, _INBOUND.scalar_subquery().label("done_response")).where(and_(
    t.executions.c.flow_id == bindparam("flow_id"), t.executions.c.session_key == bindparam("session_key"),
    _IS_ACTIVE))


def _advance(columns: tuple[str, ...]):
    """The UPDATE that moves an execution from the version read to the next, setting `columns`."""
    return update(t.executions).where(and_(
        t.executions.c.id == bindparam("b_id"), t.executions.c.version == bindparam("b_version"))).values(
        version=bindparam("b_new_version"), **{k: bindparam(k) for k in columns})


_CHANGING = ("status", "waiting_widget", "waiting_kind", "due_at", "state", "updated_at", "ended_at", "ended_reason")
_ADVANCE = _advance(_CHANGING)
_ADVANCE_CALL = _ADVANCE.values(call_sid=bindparam("b_call_sid"))
# Most turns leave an active execution active: their UPDATE leaves `status` (and the
# end columns) alone, and so the indexes on `status`, which the database would
# otherwise rewrite with the row (two index pages less to write per turn).
_KEEP = _advance(("waiting_widget", "waiting_kind", "due_at", "state", "updated_at"))
_KEEP_CALL = _KEEP.values(call_sid=bindparam("b_call_sid"))
_ADD_TURN = insert(t.turns)
_DUE_NOW = and_(_IS_ACTIVE, t.executions.c.due_at <= bindparam("now"))
_ANY_DUE = select(t.executions.c.id).where(_DUE_NOW).limit(1)
_DUE = (select(t.executions.c.id, t.executions.c.flow_id, t.executions.c.session_key).where(_DUE_NOW)
        .order_by(t.executions.c.due_at).limit(bindparam("limit")).with_for_update(skip_locked=True))
_LATEST_ID = select(t.revisions.c.id).where(t.revisions.c.flow_id == bindparam("flow_id")).order_by(
    t.revisions.c.number.desc()).limit(1)
_ADD_OUTBOX = insert(t.outbox)
_TURN_KEYS = ("execution_id", "key", "at", "steps", "trace", "response")
_NEW_KEYS = ("id", "flow_id", "revision_id", "session_key", "contact", "flow_address", "channel", "expires_at",
             "version", "created_at", "call_sid", "status", "waiting_widget", "waiting_kind", "due_at", "state",
             "updated_at", "ended_at", "ended_reason")


class _Raw:
    """One Core statement run straight on the sqlite3 connection: its SQL text, parameter
    order and SQLAlchemy's own bind and result processors are taken once from the
    compiled statement, so what is written and read is exactly what Core would write and
    read, without Core's per-call work (about 0.3 ms of a turn). For the few statements of
    the turn's hot path; everything else goes through Core."""

    def __init__(self, stmt, dialect, keys=None):
        compiled = stmt.compile(dialect=dialect, column_keys=list(keys) if keys else None)
        self.sql = str(compiled)
        # SQLite's paramstyle is positional (qmark); psycopg's is named (pyformat)
        self.named = compiled.positiontup is None
        self.binds = []   # (name, processor, value when the statement carries it)
        for name in compiled.binds if self.named else compiled.positiontup:
            bind = compiled.binds[name]
            self.binds.append((name, _bind_processor(bind.type.dialect_impl(dialect), dialect),
                               bind.value if bind.value is not None else _UNSET))
        self.names = [name for name, _, _ in self.binds]
        self.row = None
        if getattr(stmt, "selected_columns", None) is not None:
            columns = list(stmt.selected_columns)
            self.row = namedtuple("Row", [c.key for c in columns])
            self.results = [(i, c.type.dialect_impl(dialect).result_processor(dialect, None))
                            for i, c in enumerate(columns)]
            self.results = [(i, p) for i, p in self.results if p is not None]

    def params(self, values: dict) -> list | dict:
        """The statement's parameters from `values`, converted as Core converts them."""
        out = []
        for name, process, default in self.binds:
            value = values[name] if default is _UNSET else values.get(name, default)
            out.append(process(value) if process is not None else value)
        return dict(zip(self.names, out)) if self.named else out

    def row_of(self, values):
        """A fetched row as Core reads it: a named tuple, its values converted."""
        if values is None:
            return None
        row = list(values)
        for i, process in self.results:
            row[i] = process(row[i])
        return self.row._make(row)

    def first(self, dbapi_conn, values: dict):
        """The first row (a named tuple) or None; the statement runs to its end, so no
        read transaction stays open on the connection."""
        rows = dbapi_conn.execute(self.sql, self.params(values)).fetchall()
        return self.row_of(rows[0]) if rows else None


_UNSET = object()


def _bind_processor(impl, dialect):
    """SQLAlchemy's bind processor for a column type, except for SQLite's DATETIME in
    its default format, whose processor (a %-format of a dict) took three times as long
    as `isoformat` takes to write the same text: "YYYY-MM-DD HH:MM:SS.ffffff", the
    time zone left out (tests/adapters/test_raw_statements.py compares the two)."""
    process = impl.bind_processor(dialect)
    if not isinstance(impl, SQLiteDateTime) or impl._storage_format != SQLiteDateTime._storage_format:
        return process

    def datetime_text(value):
        if type(value) is datetime:
            return value.isoformat(" ", "microseconds")[:26]
        return process(value)

    return datetime_text


_OUTBOX_KEYS = ("execution_id", "created_at", "effect", "status", "result")
_READS = {"active": _ACTIVE, "by_id": _BY_ID, "inbound": _INBOUND, "active_or_done": _ACTIVE_OR_DONE}
_WRITES = {"advance": _ADVANCE, "advance_call": _ADVANCE_CALL, "keep": _KEEP, "keep_call": _KEEP_CALL}


class Store:
    """The database behind executions. `url` is an SQLAlchemy URL."""

    def __init__(self, url: str):
        self.url = url
        self.is_postgres = url.startswith("postgresql")
        self.engine = make_engine(url)
        self.locks = SessionLocks(url)
        # Keyed turns begun in this process: while it moves, the Results Summarizer gives
        # way to them (stats.Summarizer.SHARE). A plain count: the GIL keeps it whole
        # enough for "did any turn begin since?".
        self.turns_begun = 0
        self._write_guard = None if self.is_postgres else threading.Lock()
        self._checkpointer = Checkpointer(self.engine) if self.locks.shared_file else None
        self.gate = TurnGate(enabled=not self.is_postgres)
        # An SQLite file: turns run on one kept-open connection, under the gate. (An
        # in-memory database is one connection, so it stays with the engine's.)
        path = self.engine.url.database if not self.is_postgres else None
        self._gated = GatedConnection(self.engine) if path and path != ":memory:" else None
        self._raw = None if self.is_postgres else {
            name: _Raw(stmt, self.engine.dialect, keys) for name, stmt, keys in (
                ("active", _ACTIVE, None), ("by_id", _BY_ID, None), ("inbound", _INBOUND, None),
                ("active_or_done", _ACTIVE_OR_DONE, None), ("advance", _ADVANCE, None),
                ("advance_call", _ADVANCE_CALL, None), ("keep", _KEEP, None), ("keep_call", _KEEP_CALL, None),
                ("add_turn", _ADD_TURN, _TURN_KEYS),
                ("new", insert(t.executions), _NEW_KEYS), ("add_outbox", _ADD_OUTBOX, _OUTBOX_KEYS))}
        # PostgreSQL: the turn's statements run straight on psycopg in a keyed turn
        # (`turn(key)`, _PgTurn), on connections of their own pool: no pre-ping there
        # (_PgTurn reconnects once if the server closed the connection).
        self._pg = None
        if self.is_postgres:
            self._pg = {name: _Raw(stmt, self.engine.dialect) for name, stmt in (
                ("active", _ACTIVE), ("by_id", _BY_ID), ("inbound", _INBOUND), ("active_or_done", _ACTIVE_OR_DONE),
                ("advance", _with_turn(_ADVANCE, "moved")), ("advance_call", _with_turn(_ADVANCE_CALL, "moved")),
                ("keep", _with_turn(_KEEP, "moved")), ("keep_call", _with_turn(_KEEP_CALL, "moved")),
                ("new", _with_turn(insert(t.executions).values({k: bindparam(k) for k in _NEW_KEYS}), "added")))}
            # inline(): no RETURNING of the new ids, which nothing reads
            self._pg["add_outbox"] = _Raw(_ADD_OUTBOX.inline(), self.engine.dialect, _OUTBOX_KEYS)
        self._turn_engine = make_engine(url, turns=True) if self.is_postgres else None

    def create_schema(self) -> None:
        """Bring the schema to the newest migration (migrate.py): tables created on a new
        database, revisions applied to an old one. Several processes starting together
        take turns."""
        from . import migrate  # Alembic is only needed here, at start

        migrate.upgrade(self)

    def close(self) -> None:
        """Stop the checkpointer and release the connection pools."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        if self._gated is not None:
            self._gated.close()
        self.engine.dispose()
        if self._turn_engine is not None:
            self._turn_engine.dispose()
        self.locks.close()

    def locked(self, key: str):
        """Run the block while no other thread or process holds `key` (see database.py)."""
        return self.locks.locked(key)

    @contextmanager
    def _write(self, conn=None):
        """A write transaction, on `conn` (which must have no transaction open) or a new
        connection."""
        # SQLite has one writer: threads of this process queue here, at once, rather than
        # in SQLite's busy handler, which sleeps in growing steps (up to 100 ms).
        with self._write_guard or nullcontext():
            with nullcontext(conn) if conn is not None else self.engine.connect() as conn:
                conn.execution_options(flowstudio_write=True)
                with conn.begin():
                    yield conn

    def turn(self, key: str | None = None):
        """One connection for the reads and the write of one event (`with
        store.turn(key) as conn:`), holding `key` (as `locked` does) when given.

        On SQLite: the key's lock, then the gate, and the process's kept-open sqlite3
        connection. On PostgreSQL with a key: a _PgTurn, the event's reads and write in
        ONE transaction that holds the key as a transaction-scoped advisory lock, four
        round trips in all (see _PgTurn). Without a key, a connection from the pool."""
        if key is not None:
            self.turns_begun += 1
            if self.is_postgres:
                return _PgTurn(self, key)
        return _Turn(self, key)

    @staticmethod
    def _driver(conn):
        """The sqlite3 connection behind what `turn()` gave."""
        return conn if isinstance(conn, sqlite3.Connection) else conn.connection.driver_connection

    # ------------------------------------------------------------ revisions

    def ensure_revision(self, flow_id: str, sha256: str, data: dict, now: datetime, author: str = "",
                        message: str = "") -> str:
        """The id of the latest revision of `flow_id` if it has this content, else of a
        new revision recorded now."""
        latest = self.latest_revision(flow_id)
        if latest is not None and latest.sha256 == sha256:
            return latest.id
        number = (latest.number if latest else 0) + 1
        try:
            with self._write() as conn:
                rev_id = revision_id(conn, flow_id, number)
                conn.execute(insert(t.revisions).values(id=rev_id, flow_id=flow_id, number=number, sha256=sha256,
                                                        data=data, created_at=now, author=author, message=message))
        except IntegrityError:  # another process recorded it first
            return self.ensure_revision(flow_id, sha256, data, now, author, message)
        return rev_id

    def latest_revision(self, flow_id: str):
        """The newest revision row of a flow, or None."""
        with self.engine.connect() as conn:
            return conn.execute(select(t.revisions).where(t.revisions.c.flow_id == flow_id)
                                .order_by(t.revisions.c.number.desc()).limit(1)).first()

    def latest_revision_id(self, flow_id: str) -> str | None:
        """The id of the newest revision of a flow (the published one), or None."""
        with self.engine.connect() as conn:
            return conn.execute(_LATEST_ID, {"flow_id": flow_id}).scalar()

    def revision(self, revision_id: str):
        """One revision row, or None."""
        with self.engine.connect() as conn:
            return conn.execute(select(t.revisions).where(t.revisions.c.id == revision_id)).first()

    # ------------------------------------------------------------ executions: read

    def active_execution(self, flow_id: str, session_key: str):
        """The active execution of a session, or None."""
        with self.engine.connect() as conn:
            return conn.execute(_ACTIVE, {"flow_id": flow_id, "session_key": session_key}).first()

    def begin_turn(self, flow_id: str, session_key: str, execution_id: str | None, inbound_key: str | None,
                   conn=None):
        """What an event needs before it runs, read in one go: the stored answer if this
        delivery was already processed, else the execution (by id, or the session's active one)."""
        if isinstance(conn, _PgTurn):  # PostgreSQL: inside the turn's transaction, under its lock
            pg = self._pg
            return self._read_turn(lambda name, values: conn.first(pg[name], values),
                                   flow_id, session_key, execution_id, inbound_key)
        if self._raw is not None:  # SQLite: the reads run in autocommit, to their end
            with nullcontext(conn) if conn is not None else self.turn() as conn:
                raw, dbapi = self._raw, self._driver(conn)
                return self._read_turn(lambda name, values: raw[name].first(dbapi, values),
                                       flow_id, session_key, execution_id, inbound_key)
        with nullcontext(conn) if conn is not None else self.engine.connect() as conn:
            try:
                return self._read_turn(lambda name, values: conn.execute(_READS[name], values).first(),
                                       flow_id, session_key, execution_id, inbound_key)
            finally:
                conn.rollback()  # ends the reads, so the same connection can write next

    @staticmethod
    def _read_turn(first, flow_id, session_key, execution_id, inbound_key):
        if execution_id is not None:
            done = first("inbound", {"key": inbound_key}) if inbound_key is not None else None
            if done is not None:
                return done.response, None
            return None, first("by_id", {"execution_id": execution_id})
        if inbound_key is None:
            return None, first("active", {"flow_id": flow_id, "session_key": session_key})
        row = first("active_or_done", {"flow_id": flow_id, "session_key": session_key, "key": inbound_key})
        if row is not None:
            return (row.done_response, None) if row.done_response is not None else (None, row)
        done = first("inbound", {"key": inbound_key})  # a retry of an event that ended it
        return (done.response, None) if done is not None else (None, None)

    def active_call(self, flow_id: str, call_sid: str):
        """The active execution that a call belongs to, or None."""
        with self.engine.connect() as conn:
            return conn.execute(select(t.executions).where(and_(
                t.executions.c.flow_id == flow_id, t.executions.c.call_sid == call_sid,
                _IS_ACTIVE))).first()

    def execution(self, execution_id: str):
        """One execution row, or None."""
        with self.engine.connect() as conn:
            return conn.execute(_BY_ID, {"execution_id": execution_id}).first()

    def executions(self, flow_id: str | None = None, contact: str | None = None, status: str | None = None,
                   limit: int = 100, session_key: str | None = None) -> list:
        """Executions, newest first, filtered by flow, contact, status and session."""
        query = select(t.executions).order_by(t.executions.c.created_at.desc(), t.executions.c.id).limit(limit)
        for column, value in (("flow_id", flow_id), ("contact", contact), ("status", status),
                              ("session_key", session_key)):
            if value is not None:
                query = query.where(t.executions.c[column] == value)
        with self.engine.connect() as conn:
            return list(conn.execute(query))

    def steps(self, execution_id: str) -> list:
        """The steps of an execution, in order: `event`, `from_widget`, `to_widget`,
        `flow_id`, `at` and `context` (a dict); `turn_id` and `index` (its place in that
        turn) name a step for good (Studio's step SIDs are made from them)."""
        return [_step(execution_id, row.id, i, s) for row in self._turns(execution_id, t.turns.c.id, t.turns.c.steps)
                for i, s in enumerate(jsontext.loads(row.steps))]

    def turn_step(self, turn_id: int, index: int):
        """The `index`-th step of turn `turn_id` (as `steps` gives it), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(t.turns.c.execution_id, t.turns.c.steps).where(t.turns.c.id == turn_id)).first()
        steps = jsontext.loads(row.steps) if row is not None else []
        return _step(row.execution_id, turn_id, index, steps[index]) if 0 <= index < len(steps) else None

    def execution_page(self, flow_id: str, created_from: datetime | None, created_to: datetime | None,
                       offset: int, limit: int) -> list:
        """A flow's executions created in [created_from, created_to] (either may be
        None), newest first, `limit` of them after skipping `offset`."""
        c = t.executions.c
        query = select(t.executions).where(c.flow_id == flow_id)
        if created_from is not None:
            query = query.where(c.created_at >= created_from)
        if created_to is not None:
            query = query.where(c.created_at <= created_to)
        query = query.order_by(c.created_at.desc(), c.id).offset(offset).limit(limit)
        with self.engine.connect() as conn:
            return list(conn.execute(query))

    def delete_execution(self, execution_id: str) -> bool:
        """Delete an execution that is no longer active, with its turns and outbox;
        False when there is no such execution or it is still active."""
        with self._write() as conn:
            gone = conn.execute(delete(t.executions).where(t.executions.c.id == execution_id,
                                                           t.executions.c.status != "active")).rowcount
            if gone:
                conn.execute(delete(t.turns).where(t.turns.c.execution_id == execution_id))
                conn.execute(delete(t.outbox).where(t.outbox.c.execution_id == execution_id))
        return bool(gone)

    def logs(self, execution_id: str) -> list[dict]:
        """The trace of an execution, in order."""
        return [e for row in self._turns(execution_id, t.turns.c.trace) for e in row.trace]

    def _turns(self, execution_id: str, *columns) -> list:
        with self.engine.connect() as conn:
            return list(conn.execute(select(*columns).where(t.turns.c.execution_id == execution_id)
                                     .order_by(t.turns.c.id)))

    def outbox(self, execution_id: str | None = None, limit: int | None = None) -> list:
        """Messages and calls sent outside webhook answers, oldest first (the newest
        `limit` of them when a limit is given)."""
        query = select(t.outbox).order_by(t.outbox.c.id.desc())
        if execution_id is not None:
            query = query.where(t.outbox.c.execution_id == execution_id)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return list(reversed(list(conn.execute(query))))

    def peek(self, stmt, params: dict | None = None):
        """The first row of one read (a statement built once), outside any transaction,
        or None: for the background pollers (due timers, campaigns), which every
        process runs several times a second. On PostgreSQL it runs on the turns' pool
        (autocommit, no pre-ping): one round trip, where the engine's pool took four (a
        pre-ping, BEGIN, the statement, ROLLBACK); a connection the server closed
        meanwhile is replaced once, as pre-ping would have. The campaign runner's poll
        (5 a second in every worker) went from 780 to 185 us of CPU in the process on
        PostgreSQL, the timers' from 290 to 120-150 us; an idle 1-worker server on
        PostgreSQL from 15-29 to 7 ms of CPU a second, its PostgreSQL backends from 6-13
        to 1-6 ms (one run each, a loaded machine)."""
        engine = self._turn_engine or self.engine
        for attempt in (1, 2):
            try:
                with engine.connect() as conn:
                    return conn.execute(stmt, params or {}).first()
            except DBAPIError as exc:
                if attempt == 2 or not exc.connection_invalidated:
                    raise

    def inbound_response(self, key: str) -> dict | None:
        """The stored answer to an already processed webhook delivery."""
        with self.engine.connect() as conn:
            row = conn.execute(_INBOUND, {"key": key}).first()
        return row.response if row else None

    def next_due(self) -> datetime | None:
        """When the soonest timer of any active execution falls due, or None."""
        c = t.executions.c
        with self.engine.connect() as conn:
            return utc(conn.execute(select(func.min(c.due_at)).where(_IS_ACTIVE)).scalar())

    def due_timers(self, now: datetime) -> tuple[int, datetime | None]:
        """How many timers are due at `now` and not claimed yet, and when the oldest of
        them fell due (None when none is): for /metrics (metrics.py)."""
        c = t.executions.c
        with self.engine.connect() as conn:
            row = conn.execute(select(func.count(), func.min(c.due_at)).where(_DUE_NOW), {"now": now}).first()
        return row[0], utc(row[1])

    def claim_due(self, now: datetime, until: datetime, limit: int = 100) -> list:
        """Claim up to `limit` active executions whose timer is due at `now`, oldest
        first, for this process: their `due_at` moves to `until` in the same write
        transaction, so another process's scheduler neither takes them nor (on
        PostgreSQL, FOR UPDATE SKIP LOCKED) waits for them; it claims the next ones.
        Firing the timer saves the execution's real `due_at`; should this process die
        first, the timer falls due again at `until`. SQLite has one writer at a time,
        so its write transaction alone keeps two claims apart."""
        if self.peek(_ANY_DUE, {"now": now}) is None:  # most rounds find nothing: no write lock for them
            return []
        with self._write() as conn:
            rows = list(conn.execute(_DUE, {"now": now, "limit": limit}))
            if rows:
                conn.execute(update(t.executions).where(t.executions.c.id.in_([r.id for r in rows]))
                             .values(due_at=until))
        return rows

    def count(self, status: str | None = None) -> int:
        """How many executions there are (with this status)."""
        query = select(func.count()).select_from(t.executions)
        if status:
            query = query.where(t.executions.c.status == status)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()

    # ------------------------------------------------------------ executions: write

    def save_turn(self, r: TurnRecord, conn=None) -> None:
        """Write one processed event atomically; raise Conflict if the execution changed
        since it was read, or the webhook delivery was already processed."""
        ended = r.status != "active"
        due = None if ended else min(d for d in (r.wait_due, r.expires_at) if d is not None)
        values = dict(status=r.status, waiting_widget=r.waiting_widget, waiting_kind=r.waiting_kind, due_at=due,
                      state=r.state, updated_at=r.now, ended_at=r.now if ended else None,
                      ended_reason=r.ended_reason)
        turn = {"execution_id": r.execution_id, "key": r.inbound_key, "at": r.now, "steps": _steps_json(r.steps),
                "trace": r.trace, "response": r.response}
        if r.version is None:
            first = ("new", dict(id=r.execution_id, flow_id=r.flow_id, revision_id=r.revision_id,
                                 session_key=r.session_key, contact=r.contact, flow_address=r.flow_address,
                                 channel=r.channel, expires_at=r.expires_at, version=1, created_at=r.now,
                                 call_sid=r.call_sid, **values))
        else:
            name = "keep" if r.was_active and r.status == "active" else "advance"
            first = (name + "_call" if r.call_sid else name, {
                "b_id": r.execution_id, "b_version": r.version, "b_new_version": r.version + 1,
                "b_call_sid": r.call_sid, **values})
        outbox = [{"execution_id": r.execution_id, "created_at": r.now, **o} for o in r.outbox]
        if self._raw is not None:
            return self._save_raw(r, first, turn, outbox, conn)
        if isinstance(conn, _PgTurn):
            return conn.save(self._pg, r.execution_id, first, {"t_" + k: v for k, v in turn.items()}, outbox)
        try:
            with self._write(conn) as conn:
                if r.version is None:
                    conn.execute(insert(t.executions).values(**first[1]))
                elif conn.execute(_WRITES[first[0]], first[1]).rowcount != 1:
                    raise Conflict(f"execution {r.execution_id} changed while this event was processed")
                conn.execute(_ADD_TURN, turn)
                if outbox:
                    conn.execute(_ADD_OUTBOX, outbox)
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from None

    def _save_raw(self, r: TurnRecord, first, turn: dict, outbox: list, conn) -> None:
        """save_turn on SQLite: the statements run straight on the sqlite3 connection,
        their values converted before the write lock is taken."""
        raw = self._raw
        sql, params = raw[first[0]].sql, raw[first[0]].params(first[1])
        turn_params = raw["add_turn"].params(turn)
        outbox_params = [raw["add_outbox"].params(o) for o in outbox]
        # the gate before the write lock, as in every turn (the other order could deadlock)
        with nullcontext(conn) if conn is not None else self.turn() as conn, self._write_guard:
            dbapi = self._driver(conn)
            try:
                dbapi.execute("BEGIN IMMEDIATE")
                if dbapi.execute(sql, params).rowcount != 1:
                    raise Conflict(f"execution {r.execution_id} changed while this event was processed")
                dbapi.execute(raw["add_turn"].sql, turn_params)
                if outbox_params:
                    dbapi.executemany(raw["add_outbox"].sql, outbox_params)
                dbapi.execute("COMMIT")
            except BaseException as exc:
                if dbapi.in_transaction:
                    dbapi.rollback()
                if isinstance(exc, sqlite3.IntegrityError):
                    raise Conflict(str(exc)) from None
                raise

    def delete_all(self) -> None:
        """Empty every table (tests and the terminal console)."""
        with self._write() as conn:
            for table in reversed(t.metadata.sorted_tables):
                conn.execute(delete(table))


class _Turn:
    """Store.turn() on SQLite (or without a key): a class rather than a generator, since
    every event takes one. The key's lock is taken before the gate: a turn waiting for
    its contact must not hold up the others."""

    __slots__ = ("_store", "_held", "_conn", "_lock")

    def __init__(self, store: Store, key: str | None = None):
        self._store, self._conn = store, None
        self._lock = store.locked(key) if key is not None else None
        self._held = store.gate.held()

    def __enter__(self):
        if self._lock is not None:
            self._lock.__enter__()
        try:
            self._held.__enter__()
            try:
                gated = self._store._gated
                if gated is not None:
                    return gated.get()
                self._conn = self._store.engine.connect()
                return self._conn
            except BaseException:
                self._held.__exit__(None, None, None)
                raise
        except BaseException:
            if self._lock is not None:
                self._lock.__exit__(None, None, None)
            raise

    def __exit__(self, *exc) -> None:
        try:
            try:
                if self._conn is not None:
                    self._conn.close()
            finally:
                self._held.__exit__(*exc)
        finally:
            if self._lock is not None:
                self._lock.__exit__(*exc)


class _PgTurn:
    """Store.turn(key) on PostgreSQL: one event on one pooled psycopg connection, in
    ONE transaction, in four round trips (tests/adapters/test_pg_turn.py counts them):

    1. `BEGIN; SELECT pg_advisory_xact_lock(<key's number>)`, one simple query;
    2. the read (the execution, and whether the delivery was already answered): its own
       statement, so its snapshot is taken once the lock is held and it sees what the
       previous holder of the key committed;
    3. the write: ONE statement, the execution's UPDATE (or INSERT) with the turn's
       INSERT, which inserts only if the UPDATE moved the row (`_with_turn`);
    4. COMMIT, once that statement says it wrote (else ROLLBACK and Conflict).
    (Outbox rows, for sends, are one more.)

    The lock is held to the end of the transaction, so it covers whatever the event
    waits on in between (an HTTP widget, a send through Twilio): the contact's next
    event waits for this one, in any process. Those waits happen with the transaction
    open but nothing written yet (no transaction id, nothing held back from VACUUM);
    a process that dies anywhere leaves nothing behind (the server rolls back and
    releases the lock). An event that writes nothing (a retried delivery, an ignored
    event) ends with COMMIT too: a ROLLBACK makes psycopg forget its prepared statements.

    The read and the write are the store's own Core statements compiled once (_Raw),
    run straight on psycopg, which prepares them on the server after 5 uses on a
    connection. psycopg's pipeline mode would send 1-2 and 3-4 together, but cost more
    CPU than the round trips it saved (one turn's statements: 0.56 ms pipelined in 3
    round trips, 0.46 ms in 5 plain ones). Against the turn as it was (Core on two
    connections: a session lock on a second connection, pre-ping, the reads, ROLLBACK,
    then the write transaction, 10 round trips, nothing prepared since psycopg forgets
    prepared statements at every ROLLBACK) the service's CPU per turn went from 4.0 ms
    to 1.2-1.5 ms, in a thread alone (webhook turns of benchmarks/bench_runtime's flow);
    the webhook benchmark's worker, HTTP included, went from about 3.8 to 2.2-3.1 ms
    (bench_workers, `-k "against SQLite"`, benchmarks/README.md)."""

    __slots__ = ("_store", "_begin_sql", "_fairy", "dbapi", "_cursor", "_begun")

    def __init__(self, store: Store, key: str):
        self._store = store
        # an int in the text, never a string: nothing to quote
        self._begin_sql = b"BEGIN; SELECT pg_advisory_xact_lock(%d)" % advisory_number(key)
        self._fairy = self.dbapi = self._cursor = None
        self._begun = False

    def __enter__(self) -> "_PgTurn":
        self._connect()
        return self

    def _connect(self) -> None:
        # The turn pool's connections are in autocommit (make_engine): BEGIN is ours, it
        # travels with the lock.
        fairy = self._store._turn_engine.raw_connection()
        self._fairy, self.dbapi = fairy, fairy.driver_connection
        self._cursor = self.dbapi.cursor()

    def _begin(self) -> None:
        """Begin the transaction and take the lock (waiting for it), once."""
        if self._begun:
            return
        try:
            self._cursor.execute(self._begin_sql, prepare=False)
        except psycopg.OperationalError:
            if not self.dbapi.broken:
                raise
            # The server closed this pooled connection (a restart, an idle timeout):
            # nothing was done on it. Once more, on a new one (what pre-ping was for).
            self._fairy.invalidate()
            self._fairy.close()
            self._fairy = None
            self._connect()
            self._cursor.execute(self._begin_sql, prepare=False)
        self._begun = True

    def first(self, raw: _Raw, values: dict):
        """The first row of one read (a named tuple) or None, under the lock."""
        self._begin()
        cursor = self._cursor
        cursor.execute(raw.sql, raw.params(values))
        return raw.row_of(cursor.fetchone())

    def save(self, pg: dict, execution_id: str, first: tuple, turn: dict, outbox: list) -> None:
        """Write the turn (Store.save_turn's values) and commit; Conflict, with nothing
        written, when the execution moved or the delivery was already saved."""
        dbapi, cursor = self.dbapi, self._cursor
        statement, add_outbox = pg[first[0]], pg["add_outbox"]
        try:
            self._begin()  # already done, unless the save came without a read
            cursor.execute(statement.sql, statement.params({**first[1], **turn}))
            if cursor.rowcount != 1:  # the UPDATE moved nothing, so nothing was inserted
                dbapi.rollback()
                raise Conflict(f"execution {execution_id} changed while this event was processed")
            if outbox:
                cursor.executemany(add_outbox.sql, [add_outbox.params(o) for o in outbox])
            dbapi.commit()
        except psycopg.IntegrityError as exc:
            dbapi.rollback()
            raise Conflict(str(exc).split("\n", 1)[0]) from None
        except Conflict:
            raise
        except BaseException:
            if not dbapi.broken:
                dbapi.rollback()
            raise
        finally:
            self._begun = False

    def __exit__(self, *exc) -> None:
        fairy, dbapi = self._fairy, self.dbapi
        if fairy is None:
            return
        self._fairy = self.dbapi = self._cursor = None
        try:
            status = dbapi.info.transaction_status
            if status == TransactionStatus.INTRANS:
                # Only reads ran (save ends its own transaction), even if the event then
                # failed (a REST start for a busy contact): COMMIT ends it, releasing the
                # lock, and keeps the prepared statements that ROLLBACK would drop.
                dbapi.commit()
            elif status != TransactionStatus.IDLE:
                dbapi.rollback()
            if dbapi.info.transaction_status != TransactionStatus.IDLE:  # the pool resets nothing
                fairy.invalidate()
        except Exception:  # noqa: BLE001 - a broken connection: the pool drops it; nothing was written
            fairy.invalidate()
        finally:
            fairy.close()


def _with_turn(write, name: str):
    """`write` (the execution's UPDATE or INSERT) and the turn's INSERT as ONE statement
    (PostgreSQL): the turn row is inserted from what `write` returns, so when the
    UPDATE finds the version changed, nothing at all is written and the statement's
    row count, 0, says so. The turn's values are bound as `t_<column>`."""
    written = write.returning(t.executions.c.id).cte(name)
    columns = ("key", "at", "steps", "trace", "response")
    return insert(t.turns).from_select(("execution_id",) + columns, select(
        written.c.id, *(bindparam("t_" + k, type_=t.turns.c[k].type) for k in columns)))


def _step(execution_id: str, turn_id: int, index: int, s: dict) -> SimpleNamespace:
    return SimpleNamespace(execution_id=execution_id, flow_id=s["flow"], event=s["event"], from_widget=s["from"],
                           to_widget=s["to"], at=datetime.fromisoformat(s["at"]), context=s["context"],
                           turn_id=turn_id, index=index)


def _steps_json(steps: list[dict]) -> str:
    """The steps as one JSON list, with each context the engine serialised already
    written in as it is."""
    return jsontext.dumps([{"event": s["event"], "from": s["from"], "to": s["to"], "flow": s["flow"], "at": s["at"],
                            "context": jsontext.verbatim(s["context"])} for s in steps])
