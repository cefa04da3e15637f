"""Failed logins in the database (table `login_failures`), so the login throttle's
limits hold for every process and machine of the database together, and across restarts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select

from . import schema as t
from .store import Store, utc

_c = t.login_failures.c


class LoginFailures:
    """The failed logins of a database: added one at a time, read back by recency."""

    def __init__(self, store: Store):
        self.store = store

    def add(self, client: str, at: datetime, forget_before: datetime) -> None:
        """Count one failed login of `client` at `at`; failures before `forget_before`
        are deleted on the way (the table holds one window's worth at most)."""
        with self.store._write() as conn:
            conn.execute(delete(t.login_failures).where(_c.at < forget_before))
            conn.execute(insert(t.login_failures).values(client=client[:64], at=at))

    def nth_newest(self, n: int, since: datetime, client: str | None = None) -> datetime | None:
        """The time of the n-th newest failure after `since` (of `client`, or of anyone),
        or None when there are fewer than n."""
        query = select(_c.at).where(_c.at > since)
        if client is not None:
            query = query.where(_c.client == client[:64])
        query = query.order_by(_c.at.desc()).limit(1).offset(n - 1)
        with self.store.engine.connect() as conn:
            return utc(conn.execute(query).scalar())

    def count(self) -> int:
        """How many failures are stored (tests: the table stays one window long)."""
        with self.store.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(t.login_failures)).scalar()
