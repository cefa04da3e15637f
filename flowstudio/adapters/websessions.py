"""The editor's signed-in sessions, in the database (table `web_sessions`).

The session cookie carries a random secret; the table keeps only its SHA-256, the
user's name, a fingerprint of the password it signed in with, and when it was last
used. A session is good while its row exists, its password fingerprint is the
server's current one (a new `FLOWSTUDIO_PASSWORD` ends every session at once), and
it was used within the idle time. Logging out deletes the row, on every process.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update

from . import schema as t
from .store import Store, utc

# last_seen is written at most this often per session: a page polling the API every
# second must not become a write per request.
TOUCH_EVERY = timedelta(seconds=60)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class WebSessions:
    """Signed-in sessions of the editor, shared by every process of the database."""

    def __init__(self, store: Store):
        self.store = store
        self.engine = store.engine

    def create(self, user: str, password_fingerprint: str, now: datetime, idle: timedelta) -> str:
        """A new session for `user`: returns the secret for the cookie. Sessions idle
        longer than `idle` are deleted on the way (the table never grows without end)."""
        secret = secrets.token_urlsafe(32)
        c = t.web_sessions.c
        with self.store._write() as conn:
            conn.execute(delete(t.web_sessions).where(c.last_seen < now - idle))
            conn.execute(insert(t.web_sessions).values(id=_digest(secret), user=user[:200],
                                                       password=password_fingerprint, created_at=now,
                                                       last_seen=now))
        return secret

    def user(self, secret: str, password_fingerprint: str, now: datetime, idle: timedelta) -> str | None:
        """The user of a live session, or None (unknown, ended, expired, or signed in
        with another password: then it is deleted)."""
        key = _digest(secret)
        c = t.web_sessions.c
        with self.engine.connect() as conn:
            row = conn.execute(select(c.user, c.password, c.last_seen).where(c.id == key)).first()
        if row is None:
            return None
        last_seen = utc(row.last_seen)
        if row.password != password_fingerprint or now - last_seen > idle:
            self.end(secret)
            return None
        if now - last_seen > TOUCH_EVERY:
            with self.store._write() as conn:
                conn.execute(update(t.web_sessions).where(c.id == key).values(last_seen=now))
        return row.user

    def end(self, secret: str) -> None:
        """End one session (logging out)."""
        with self.store._write() as conn:
            conn.execute(delete(t.web_sessions).where(t.web_sessions.c.id == _digest(secret)))

    def count(self) -> int:
        """How many sessions are stored (tests, and a glance at the table's size)."""
        with self.engine.connect() as conn:
            return len(conn.execute(select(t.web_sessions.c.id)).all())
