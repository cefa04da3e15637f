"""Schema migrations: Alembic, configured in code (the scripts are in `migrations/`).

- `upgrade(store)` applies the revisions a database lacks, all in ONE transaction
  holding a cross-process lock (a PostgreSQL transaction-level advisory lock; on
  SQLite the store's schema lock plus BEGIN IMMEDIATE), so several processes starting
  together apply them once, and an interrupted upgrade leaves nothing half done.
- `prepare(store)` runs when a process opens its store (`config.open_store`):
  SQLite is upgraded (the embedded database never needs a command); an empty
  PostgreSQL database is upgraded too (a first deployment needs no extra step); any
  other PostgreSQL database must already be at the newest revision, or the process
  refuses to start (`SchemaOutOfDate`) until someone runs `flowstudio db upgrade`:
  changing a shared database is a decision for the person deploying, not for
  whichever worker happens to start first.
- `current(store)` / `head()`: where a database is and where this version needs it.

Databases created before migrations existed (the tables, no `alembic_version`) are
adopted by the first revision, which creates only the tables that are missing.

A new revision, after changing `schema.py`: `flowstudio db revision -m "what changed"`
writes `migrations/versions/<next number>_what_changed.py` from the difference between
a scratch SQLite database at the newest revision and the tables; read it (autogenerate
misses some changes), then run tests/adapters/test_migrations.py, which checks on both
databases that the revisions make exactly the tables of schema.py.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select

from . import schema as t
from .database import SCHEMA_LOCK

SCRIPTS = Path(__file__).resolve().parent / "migrations"


class SchemaOutOfDate(RuntimeError):
    """The database's schema is not the one this version of FlowStudio needs."""


def config(connection=None, url: str | None = None) -> Config:
    """Alembic's configuration, without an alembic.ini; `connection` (inside a
    transaction) is what env.py migrates."""
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


def head() -> str:
    """The revision this version of FlowStudio needs."""
    return _scripts().get_current_head()


def next_id() -> str | None:
    """The id for a new revision: the newest one's number plus one ("0002" after "0001")."""
    current_head = head()
    return f"{int(current_head) + 1:04d}" if current_head.isdigit() else None


def _state(conn) -> tuple[str | None, bool]:
    """The database's revision (None when it has no version table) and whether it has
    any of our tables."""
    revision = MigrationContext.configure(conn).get_current_revision()
    tables = set(inspect(conn).get_table_names())
    return revision, bool(tables & set(t.metadata.tables))


def current(store) -> str | None:
    """The revision the database is at (None: never migrated)."""
    with store.engine.connect() as conn:
        return _state(conn)[0]


# Stores of one process migrate one at a time: the lock file's POSIX locks belong to the
# process, so they keep processes apart but not threads (two stores opening one new
# SQLite file together raced to switch it to WAL, and one got "database is locked").
_MIGRATING = threading.RLock()


@contextmanager
def migrating(store):
    """A connection in a write transaction that no other process is migrating in."""
    with _MIGRATING, store.locks.file_lock(SCHEMA_LOCK):  # SQLite: processes starting on one new file
        with store.engine.connect() as conn:
            conn.execution_options(flowstudio_write=True)  # SQLite: BEGIN IMMEDIATE
            with conn.begin():
                if store.is_postgres:  # released by the commit (or by the server if we die)
                    conn.execute(select(func.pg_advisory_xact_lock(SCHEMA_LOCK)))
                yield conn


def upgrade(store, target: str = "head") -> tuple[str | None, str | None]:
    """Apply the revisions up to `target`; returns the revision before and after."""
    with migrating(store) as conn:
        before = _state(conn)[0]
        command.upgrade(config(conn), target)
        after = _state(conn)[0]
    return before, after


def check(store) -> None:
    """Raise SchemaOutOfDate unless the database is at the newest revision."""
    revision, has_tables = current(store), None
    needed = head()
    if revision == needed:
        return
    if revision is None:
        with store.engine.connect() as conn:
            has_tables = _state(conn)[1]
        shown = "none (tables made before migrations)" if has_tables else "none (an empty database)"
    else:
        shown = revision
    if revision is not None and revision not in {s.revision for s in _scripts().walk_revisions()}:
        raise SchemaOutOfDate(f"database schema is at {shown}, which this version of FlowStudio does not know "
                              f"(it needs {needed}): a newer version migrated it; run that version")
    raise SchemaOutOfDate(f"database schema is at {shown}, this version needs {needed}: "
                          f"run `flowstudio db upgrade`")


def prepare(store) -> None:
    """What a process does with the schema when it opens the store (module docstring)."""
    if not store.is_postgres:
        upgrade(store)
        return
    with store.engine.connect() as conn:
        revision, has_tables = _state(conn)
    if revision is None and not has_tables:
        upgrade(store)  # a new, empty database: set it up, as a first run of SQLite does
        return
    check(store)
