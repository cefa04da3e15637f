"""Settings from the environment, and opening the store they describe.

- `FLOWSTUDIO_DATA_DIR`: the data folder (default `./data`); the SQLite database
  `flowstudio.db` is created there on first run.
- `FLOWSTUDIO_DATABASE_URL`: use this database instead, e.g.
  `postgresql+psycopg://user:pass@host/db` for several processes.
- `FLOWSTUDIO_FLOWS_DIR`: the folder of flow files (default `./flows`).
- `FLOWSTUDIO_EXECUTION_EXPIRY_DAYS`: executions end after this many days (default 30).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from .adapters.store import Store


@dataclass(frozen=True)
class Settings:
    """Where things live and how long executions last."""

    data_dir: Path = Path("data")
    flows_dir: Path = Path("flows")
    database_url: str | None = None
    expiry: timedelta = timedelta(days=30)

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
                  "database_url": environ.get("FLOWSTUDIO_DATABASE_URL") or None, "expiry": expiry}
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("data_dir", "flows_dir"):
            values[key] = Path(values[key])
        return cls(**values)

    @property
    def url(self) -> str:
        """The database URL: the configured one, or SQLite in the data folder."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'flowstudio.db').resolve()}"


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
