"""Retention: ended executions, with their turns and outbox, are deleted once they are
older than `FLOWSTUDIO_RETENTION_DAYS` (default 30, Studio's log window; 0 keeps
everything).

A background thread (`Retention`, one per process, started beside the timer
scheduler) looks every `interval` seconds for executions that ended before the
cutoff, oldest first, and deletes them in small batches, each its own short write
transaction: at most `turns` turn rows (100), or `executions` executions (50) with
their outbox.
Between batches it rests at least as long as the batch took, so a purge of millions
of rows never holds the database for more than a batch at a time, and turns go on
between batches (on SQLite they queue behind a batch as behind another turn's write).

A batch's turns go first and the execution last, so an interrupted purge never leaves
turns whose execution is gone; the next round finishes what the last one started.
Several processes may purge at once: deleting rows another process already deleted
just deletes nothing. An active execution is never deleted, however old.
"""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, delete, literal_column, select

from ..background import Background
from . import schema as t

log = logging.getLogger("flowstudio.retention")

DEFAULT_DAYS = 30

_e, _t, _o = t.executions.c, t.turns.c, t.outbox.c
# Ended before the cutoff: `ended_at < :before` uses the partial index ix_executions_ended
# (ended_at IS NOT NULL), which active executions are not in.
_OLD = (select(_e.id).where(and_(_e.ended_at.isnot(None), _e.ended_at < bindparam("before"),
                                 _e.status != literal_column("'active'")))
        .order_by(_e.ended_at).limit(bindparam("limit")))
_SOME_TURNS = select(_t.id).where(_t.execution_id.in_(bindparam("ids", expanding=True))).limit(bindparam("limit"))
_DELETE_TURNS = delete(t.turns).where(_t.id.in_(_SOME_TURNS.scalar_subquery()))
_DELETE_OUTBOX = delete(t.outbox).where(_o.execution_id.in_(bindparam("ids", expanding=True)))
_DELETE_EXECUTIONS = delete(t.executions).where(and_(_e.id.in_(bindparam("ids", expanding=True)),
                                                     _e.status != literal_column("'active'")))


@dataclass
class Purged:
    """What one call of `purge` deleted."""

    executions: int = 0
    turns: int = 0
    outbox: int = 0
    batches: int = 0

    def __iadd__(self, other: "Purged") -> "Purged":
        self.executions += other.executions
        self.turns += other.turns
        self.outbox += other.outbox
        self.batches += other.batches
        return self


def purge_batch(store, before: datetime, executions: int = 100, turns: int = 500) -> Purged:
    """Delete one batch of what ended before `before`: up to `turns` turn rows of the
    oldest `executions` ended executions, or, once they have no turns left, those
    executions and their outbox. Each write is one short transaction. Returns what
    was deleted (nothing: nothing is left to delete)."""
    with store.engine.connect() as conn:
        ids = list(conn.execute(_OLD, {"before": before, "limit": executions}).scalars())
        if not ids:
            return Purged()
        with _checkpoint_after(conn, store.is_postgres):
            with store._write(conn) as tx:
                gone = tx.execute(_DELETE_TURNS, {"ids": ids, "limit": turns}).rowcount
            if gone:
                return Purged(turns=gone, batches=1)
            with store._write(conn) as tx:
                outbox = tx.execute(_DELETE_OUTBOX, {"ids": ids}).rowcount
                done = tx.execute(_DELETE_EXECUTIONS, {"ids": ids}).rowcount
        return Purged(executions=done, outbox=outbox, batches=1)


@contextmanager
def _checkpoint_after(conn, is_postgres: bool):
    """On SQLite: the block's commits never copy the write-ahead log into the database
    themselves (SQLite does so in the commit that takes the log past its limit, here
    while holding the store's write lock: 300-500 ms in which no turn could commit, seen
    every 80 MB deleted); the log is copied after the block instead, holding no lock
    (a PASSIVE checkpoint: turns read and commit meanwhile)."""
    conn.rollback()   # the read above ended: no transaction is open for _write
    if is_postgres:
        yield
        return
    dbapi = conn.connection.driver_connection
    limit = dbapi.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    dbapi.execute("PRAGMA wal_autocheckpoint=0")
    try:
        yield
    finally:
        dbapi.execute(f"PRAGMA wal_autocheckpoint={int(limit)}")   # the pooled connection as it was
        dbapi.execute("PRAGMA wal_checkpoint(PASSIVE)")


def retention_days(environ) -> float:
    """FLOWSTUDIO_RETENTION_DAYS: days after which ended executions are deleted (default
    30; 0 keeps everything). ValueError, naming the variable, for anything else."""
    text = environ.get("FLOWSTUDIO_RETENTION_DAYS")
    if text is None or not text.strip():
        return DEFAULT_DAYS
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value >= 0 and value != float("inf")):
        raise ValueError(f"FLOWSTUDIO_RETENTION_DAYS must be a number of days (0 keeps everything), not {text!r}")
    return value


class Retention(Background):
    """A daemon thread that deletes what is older than `keep` (see module docstring)."""

    thread_name = "flowstudio-retention"

    def __init__(self, store, keep: timedelta, clock, interval: float = 60.0, executions: int = 50,
                 turns: int = 100, rest: float = 0.01):
        self.store, self.keep, self.clock = store, keep, clock
        self.interval, self.executions, self.turns, self.rest = interval, executions, turns, rest
        self.purged = Purged()
        self.longest = 0.0   # seconds of the longest batch so far (benchmarks/bench_growth.py)
        super().__init__()

    def run_once(self) -> Purged:
        """Delete, batch after batch, everything older than `keep` now; returns what was
        deleted. Rests between batches (see module docstring) and stops early if asked."""
        before = self.clock() - self.keep
        total = Purged()
        while not self._stop.is_set():
            started = time.monotonic()
            batch = purge_batch(self.store, before, self.executions, self.turns)
            if not batch.batches:
                break
            total += batch
            self.purged += batch
            took = time.monotonic() - started
            self.longest = max(self.longest, took)
            # rest at least as long as the batch held the database: turns get the rest
            self._stop.wait(max(self.rest, took))
        if total.executions:
            log.info("retention: deleted %d ended executions (%d turns) older than %s", total.executions,
                     total.turns, before.isoformat(timespec="seconds"))
        return total

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - a failed round is retried at the next one
                log.exception("retention: deleting old executions failed; trying again in %.0f s", self.interval)
            self._stop.wait(self.interval)
