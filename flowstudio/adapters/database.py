"""Database engines and the locks that keep events of one session apart.

`make_engine` configures SQLite for a server (WAL, one writer, background
checkpoints) and PostgreSQL pools. `SessionLocks.locked(key)` holds `key` across
threads and processes: a PostgreSQL advisory lock, or on SQLite a thread lock plus a
POSIX lock on one byte of `<db>.lock`. Both are released by the system if a process dies.
(A turn on PostgreSQL takes its key's lock in its own transaction instead, store._PgTurn;
the lock numbers are the same, `advisory_number`.)
On SQLite, `TurnGate` lets one turn of the process at a time work, on the one
`GatedConnection`.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from contextlib import contextmanager

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.pool import QueuePool, StaticPool
from sqlalchemy.util import queue as sqla_queue

from ..engine import jsontext

SCHEMA_LOCK = 2**62  # a byte of the lock file no session key maps to (keys use 56 bits)


class SessionLocks:
    """Per-key locks for one database URL (see module docstring)."""

    def __init__(self, url: str):
        self.is_postgres = url.startswith("postgresql")
        # A session-level advisory lock holds a connection while its block uses others:
        # a separate pool, so blocks waiting for a lock can never take every connection
        # a holder needs. (Turns do not come here on PostgreSQL: store._PgTurn.)
        self._lock_engine = (create_engine(url, pool_size=2, max_overflow=8, pool_timeout=120)
                             if self.is_postgres else None)
        self._local_locks: dict[str, list] = {}
        self._local_guard = threading.Lock()
        self._lock_file = open_lock_file(url)

    @property
    def shared_file(self) -> bool:
        """True for an SQLite file that several processes may share."""
        return self._lock_file is not None

    def close(self) -> None:
        """Release the lock pool and the lock file."""
        if self._lock_engine is not None:
            self._lock_engine.dispose()
        if self._lock_file is not None:
            os.close(self._lock_file)
            self._lock_file = None

    def locked(self, key: str):
        """Run the block while no other thread or process holds `key`."""
        if self.is_postgres:
            return self._advisory(key)
        return _KeyLock(self, key)

    @contextmanager
    def _advisory(self, key: str):
        number = advisory_number(key)
        with self._lock_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(select(func.pg_advisory_lock(number)))
            try:
                yield
            finally:
                conn.execute(select(func.pg_advisory_unlock(number)))

    @contextmanager
    def file_lock(self, offset: int):
        """Across processes sharing an SQLite file: a POSIX lock on one byte of
        `<db>.lock`, released by the system if the process dies. (These locks belong
        to the process, so the thread lock of `locked` keeps threads apart.)"""
        self.lock_byte(offset)
        try:
            yield
        finally:
            self.unlock_byte(offset)

    def lock_byte(self, offset: int) -> None:
        """Take the POSIX lock on byte `offset` of the lock file (see file_lock)."""
        if self._lock_file is not None:
            fcntl.lockf(self._lock_file, fcntl.LOCK_EX, 1, offset)

    def unlock_byte(self, offset: int) -> None:
        """Release what lock_byte took."""
        if self._lock_file is not None:
            fcntl.lockf(self._lock_file, fcntl.LOCK_UN, 1, offset)


def advisory_number(key: str) -> int:
    """The PostgreSQL advisory lock number of a key (a signed 64-bit integer): the same
    for `SessionLocks.locked(key)` and a turn's transaction-scoped lock (store._PgTurn)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


class _KeyLock:
    """`SessionLocks.locked(key)` on SQLite: a thread lock per key (shared by the threads
    waiting for it, dropped when none is left), then the key's byte of the lock file.
    A class rather than a generator: every event takes one."""

    __slots__ = ("_locks", "_key", "_entry", "_offset")

    def __init__(self, locks: SessionLocks, key: str):
        self._locks, self._key = locks, key
        self._offset = int.from_bytes(hashlib.sha256(key.encode()).digest()[:7], "big")

    def __enter__(self) -> None:
        locks = self._locks
        with locks._local_guard:
            entry = locks._local_locks.get(self._key)
            if entry is None:
                entry = locks._local_locks[self._key] = [threading.Lock(), 0]
            entry[1] += 1
        self._entry = entry
        try:
            entry[0].acquire()
            try:
                locks.lock_byte(self._offset)
            except BaseException:
                entry[0].release()
                raise
        except BaseException:
            self._forget()
            raise

    def __exit__(self, *exc) -> None:
        try:
            self._locks.unlock_byte(self._offset)
        finally:
            self._entry[0].release()
            self._forget()

    def _forget(self) -> None:
        locks = self._locks
        with locks._local_guard:
            self._entry[1] -= 1
            if self._entry[1] == 0:
                locks._local_locks.pop(self._key, None)


class Checkpointer:
    """Copies SQLite's write-ahead log into the database file every second, in the
    background. SQLite would otherwise do it inside whichever commit crosses 1,000 pages,
    and that event's answer would wait for it."""

    INTERVAL = 1.0

    def __init__(self, engine):
        self._engine = engine
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="flowstudio-wal-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current checkpoint."""
        self._stop.set()
        self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.wait(self.INTERVAL):
            try:
                with self._engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # noqa: BLE001 - a missed checkpoint is retried a second later
                continue


class TurnGate:
    """Lets one thread of this process at a time work on a turn (on SQLite).

    Python runs one thread at a time anyway (the GIL), and a turn on SQLite hands the
    GIL on at every SQLite call and lock-file call, a dozen times. With many turns in
    flight, every hand-off woke another thread, and the switching cost more than the
    work (in the webhook benchmark a turn's database calls took 2.5 times their CPU
    time in a lone thread). Turns queued here sleep until the gate is free. The gate
    opens while a turn waits on the outside world (`opened`: an HTTP widget, a send
    through Twilio), so slow I/O never holds up other conversations. A thread that
    holds the gate passes through it again freely. PostgreSQL turns wait on the
    network, and waiting is what threads are for: no gate there (`enabled=False`)."""

    def __init__(self, enabled: bool):
        self._lock = threading.Lock() if enabled else None
        self._mine = threading.local()

    def holding(self) -> bool:
        """Whether this thread holds the gate (always True when there is no gate)."""
        return self._lock is None or getattr(self._mine, "held", False)

    def held(self) -> "_Held":
        """Hold the gate for the block (`with gate.held():`)."""
        return _Held(self)

    @contextmanager
    def opened(self):
        """Let other turns through while this one waits on I/O in the block."""
        if self._lock is None or not self.holding():
            yield
            return
        self._mine.held = False
        self._lock.release()
        try:
            yield
        finally:
            self._lock.acquire()
            self._mine.held = True


class _Held:
    """TurnGate.held(): a class rather than a generator, since every event takes it."""

    __slots__ = ("_gate", "_took")

    def __init__(self, gate: TurnGate):
        self._gate, self._took = gate, False

    def __enter__(self) -> None:
        gate = self._gate
        if gate.holding():
            return
        gate._lock.acquire()
        gate._mine.held = self._took = True

    def __exit__(self, *exc) -> None:
        if self._took:
            self._gate._mine.held = False
            self._gate._lock.release()


class GatedConnection:
    """The one SQLite connection this process's turns run on, kept open, used only by
    the thread holding the TurnGate (so by one thread at a time, and never inside an
    open transaction when the gate opens). One connection keeps its page cache: with a
    connection per thread, every other connection's commit made SQLite drop a
    connection's cache, and each turn read its pages again. The connection is taken
    from the engine's pool once and detached, so it was opened and configured like the
    pool's own (make_engine); after a fork() the child opens its own."""

    def __init__(self, engine):
        self._engine = engine
        self._fairy = self._pid = self._conn = None

    def get(self):
        """The sqlite3 connection (opened on first use in this process)."""
        if self._pid != _pid:
            fairy = self._engine.raw_connection()
            self._conn = fairy.driver_connection
            fairy.detach()  # ours now: never returned to the pool, closed by close()
            self._fairy, self._pid = fairy, _pid
        return self._conn

    def close(self) -> None:
        """Close the connection (the store is closing)."""
        if self._fairy is not None and self._pid == _pid:
            self._fairy.close()
        self._fairy = self._pid = self._conn = None


# This process's id, kept up to date across fork() (GatedConnection asks for every turn).
_pid = os.getpid()


def _forked() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_forked)


def open_lock_file(url: str) -> int | None:
    """The lock file beside an SQLite database file (None for memory or PostgreSQL)."""
    if not url.startswith("sqlite:///") or url in ("sqlite:///:memory:",):
        return None
    return os.open(url[len("sqlite:///"):] + ".lock", os.O_RDWR | os.O_CREAT, 0o600)


class _TurnPool(QueuePool):
    """The pool of a store's turns (store._PgTurn): a QueuePool that, once it has opened
    its `pool_size` connections, waits up to `linger` seconds for one to come back
    before it opens an overflow connection (which it closes again at check-in).

    Turns that only compute return their connection every millisecond or two, so a
    short wait finds one: without it, every moment with more turns in flight than
    kept connections opened and closed a connection (bench_workers: 20-75 new
    connections per 3 s round in a busy worker), each costing about 1 ms of CPU in
    the worker and a few ms in a new PostgreSQL backend (its start, then its
    statements planned and prepared again). Turns that hold their connection while
    they wait on the outside world (an HTTP widget) get an overflow connection after
    the wait, as before."""

    # Seconds. In bench_workers (2 workers, 32 connections, no Summarizer, a loaded
    # 2-core machine, 4 rounds each) a 1-worker server went from 21-52 new connections
    # per round to 0-5, 1.33 to 1.22 ms of worker CPU per turn and 542 to 642 turns/s;
    # 2 workers from 4-33 to 0-19 (the first round), 1.63 to 1.46 ms, 565 to 616 turns/s.
    linger = 0.05

    def _do_get(self):
        # _overflow counts opened connections minus pool_size: 0 and more, all are open
        if self.linger > 0 and 0 <= self._overflow < self._max_overflow:
            try:
                return self._pool.get(True, self.linger)
            except sqla_queue.Empty:
                pass
        return super()._do_get()


def make_engine(url: str, turns: bool = False):
    """An engine configured for FlowStudio's use of SQLite or PostgreSQL.

    On PostgreSQL, `turns` makes the pool of a store's turns (store._PgTurn; the
    background pollers' one-statement reads, Store.peek, use it too): no pre-ping (a
    round trip before every turn; the turn reconnects itself instead), connections in
    autocommit (the turn sends its own BEGIN, with its lock) and nothing done at
    check-in (the turn leaves its connection idle, or invalidates it), up to 20 connections kept open, 40 in all, overflow ones opened only once no
    connection came back for a moment (_TurnPool). A pool that keeps fewer connections
    than there are turns in flight closes the surplus at every check-in and opens new
    ones at once: with 10 kept, the webhook benchmark's 32 connections made one worker
    open 30-40 connections a second, each a PostgreSQL backend started and a connection
    set up in the worker (bench_workers notes `new connections` per round). With 32
    kept, three busy workers and their neighbours passed PostgreSQL's default
    `max_connections` of 100 ("too many clients")."""
    if not url.startswith("sqlite"):
        if turns:
            return create_engine(url, poolclass=_TurnPool, pool_pre_ping=False, pool_size=20, max_overflow=20,
                                 isolation_level="AUTOCOMMIT", pool_reset_on_return=None,
                                 json_serializer=jsontext.dumps, json_deserializer=jsontext.loads)
        # the rest (the API, the editor, the scheduler): short statements, a few at a time
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10,
                             json_serializer=jsontext.dumps, json_deserializer=jsontext.loads)
    memory = url in ("sqlite://", "sqlite:///:memory:")
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                           poolclass=StaticPool if memory else None, json_serializer=jsontext.dumps,
                           json_deserializer=jsontext.loads)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn, _record):
        # We issue BEGIN ourselves (below); WAL lets readers run beside the writer, and
        # synchronous=NORMAL in WAL mode loses nothing when a process is killed.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        # wal_autocheckpoint: checkpoints run in the background (Checkpointer); this is
        # only the backstop should that thread fall behind.
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000", "foreign_keys=ON",
                       "wal_autocheckpoint=20000"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # A write transaction takes the write lock up front, so it never fails halfway
        # when another connection wrote in between (SQLite's "busy snapshot"). Reads run
        # in autocommit: each statement sees a consistent database, and what must not
        # change between two reads is held by `locked`.
        if conn.get_execution_options().get("flowstudio_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
