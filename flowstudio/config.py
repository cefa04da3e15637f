"""Settings from the environment, and opening the store they describe.

- `FLOWSTUDIO_DATA_DIR`: the data folder (default `./data`); the SQLite database
  `flowstudio.db` is created there on first run.
- `FLOWSTUDIO_DATABASE_URL`: use this database instead, e.g.
  `postgresql+psycopg://user:pass@host/db` for several processes.
- `FLOWSTUDIO_FLOWS_DIR`: the folder of flow files (default `./flows`).
- `FLOWSTUDIO_EXECUTION_EXPIRY_DAYS`: executions end after this many days (default 30).
- `FLOWSTUDIO_TURN_CPU_SECONDS`: CPU time the engine may spend on one event (default 1).
- `FLOWSTUDIO_TURN_MEMORY_MB`: what the engine may build for one event, in MB (default 32).
- `FLOWSTUDIO_RETENTION_DAYS`: ended executions and their turns are deleted after this
  many days (default 30; 0 keeps everything): adapters/retention.py.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from .adapters.retention import retention_days
from .adapters.store import Store
from .engine import budget


@dataclass(frozen=True)
class Settings:
    """Where things live and how long executions last."""

    data_dir: Path = Path("data")
    flows_dir: Path = Path("flows")
    database_url: str | None = None
    expiry: timedelta = timedelta(days=30)
    turn_cpu_seconds: float = budget.DEFAULT_CPU_SECONDS
    turn_memory_bytes: int = budget.DEFAULT_MEMORY_BYTES
    retention: timedelta | None = timedelta(days=30)   # None keeps ended executions for ever

    @classmethod
    def from_env(cls, environ=os.environ, **overrides) -> "Settings":
        """Settings from FLOWSTUDIO_* variables; keyword arguments win."""
        days = environ.get("FLOWSTUDIO_EXECUTION_EXPIRY_DAYS")
        try:
            expiry = timedelta(days=float(days)) if days else cls.expiry
        except ValueError:
            raise ValueError(f"FLOWSTUDIO_EXECUTION_EXPIRY_DAYS must be a number of days, not {days!r}") from None
        values = {"data_dir": Path(environ.get("FLOWSTUDIO_DATA_DIR", cls.data_dir)),
                  "flows_dir": Path(environ.get("FLOWSTUDIO_FLOWS_DIR", cls.flows_dir)),
                  "database_url": environ.get("FLOWSTUDIO_DATABASE_URL") or None, "expiry": expiry,
                  "turn_cpu_seconds": _positive(environ, "FLOWSTUDIO_TURN_CPU_SECONDS", cls.turn_cpu_seconds),
                  "turn_memory_bytes": int(_positive(environ, "FLOWSTUDIO_TURN_MEMORY_MB",
                                                     cls.turn_memory_bytes / 2**20) * 2**20)}
        keep = retention_days(environ)
        values["retention"] = timedelta(days=keep) if keep else None
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("data_dir", "flows_dir"):
            values[key] = Path(values[key])
        return cls(**values)

    @property
    def url(self) -> str:
        """The database URL: the configured one, or SQLite in the data folder."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'flowstudio.db').resolve()}"


def _positive(environ, name: str, default: float) -> float:
    """A positive number from the environment variable `name`, or `default` when unset."""
    text = environ.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{name} must be a positive number, not {text!r}")
    return value


def open_store(settings: Settings) -> Store:
    """The store, with its folder and tables created if this is the first run.

    SQLite (and an empty PostgreSQL database) is migrated to the newest schema here; a
    PostgreSQL database at an older revision raises `SchemaOutOfDate`, whose message
    says to run `flowstudio db upgrade` (see adapters/migrate.py for why)."""
    from .adapters import migrate

    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.url)
    try:
        migrate.prepare(store)
    except BaseException:
        store.close()
        raise
    return store
