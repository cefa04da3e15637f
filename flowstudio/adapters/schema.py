"""The database tables (SQLAlchemy Core), for SQLite and PostgreSQL alike.

- `revisions`: every published version of every flow; executions pin one. The newest
  is the one new executions run, in every process whichever machine published it.
- `executions`: one row per execution with its JSON state, what it waits for, and
  `due_at`, the next time a timer (a reply's timeout, or the 30-day expiry) fires.
  A partial unique index allows one active execution per (flow, session): the
  contact's address for messages and REST, the call for calls.
- `turns`: one row per processed event: Studio's steps (event, from, to, time, context
  snapshot), the trace (widgets entered, errors, notes) for people debugging a flow, and
  for a webhook delivery its key and answer, so a retry is answered, not run again.
  One row, not one per step: every event costs one insert.
- `outbox`: messages and calls sent outside a webhook answer.
- `drafts`: per flow, the editor's unpublished document and its version, so a save
  based on a stale version is refused instead of overwriting.
- `snapshots`: documents the browser's test-run console ran (a draft as it was then),
  by content; executions started there pin one (`<flow>~<sha12>`). Kept apart from
  `revisions`, whose newest row is what webhooks run.
- `web_sessions`: the editor's signed-in sessions (the cookie carries only the id), so
  logging out or changing the password ends them on every process, and idle ones expire.
- `login_failures`: failed logins within the login throttle's window, so its limits hold
  for all processes together (web/throttle.py).
"""
from __future__ import annotations

from sqlalchemy import (JSON, BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, Text,
                        UniqueConstraint, text)

metadata = MetaData()

_BIGINT = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER keys only

revisions = Table(
    "revisions", metadata,
    Column("id", String(120), primary_key=True),
    Column("flow_id", String(200), nullable=False),
    Column("number", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("data", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("author", String(200), nullable=False, default=""),
    Column("message", Text, nullable=False, default=""),
    UniqueConstraint("flow_id", "number", name="uq_revisions_flow_number"),
    Index("ix_revisions_flow_sha", "flow_id", "sha256"),
)

executions = Table(
    "executions", metadata,
    Column("id", String(64), primary_key=True),
    Column("flow_id", String(200), nullable=False),
    Column("revision_id", String(120), nullable=False),
    Column("session_key", String(200), nullable=False),
    Column("contact", String(200), nullable=False),
    Column("flow_address", String(200), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("call_sid", String(64)),
    Column("status", String(16), nullable=False),
    Column("waiting_widget", String(200)),
    Column("waiting_kind", String(16)),
    Column("due_at", DateTime(timezone=True)),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("state", JSON, nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("ended_reason", Text),
    Index("uq_executions_active_session", "flow_id", "session_key", unique=True,
          sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
    Index("ix_executions_due", "due_at", sqlite_where=text("status = 'active'"),
          postgresql_where=text("status = 'active'")),
    Index("ix_executions_flow_status", "flow_id", "status", "created_at"),
    Index("ix_executions_contact", "contact", "created_at"),
    Index("ix_executions_call", "flow_id", "call_sid"),
    # retention (retention.py) finds what ended long ago; active executions are not in it
    Index("ix_executions_ended", "ended_at", sqlite_where=text("ended_at IS NOT NULL"),
          postgresql_where=text("ended_at IS NOT NULL")),
)

turns = Table(
    "turns", metadata,
    Column("id", _BIGINT, primary_key=True, autoincrement=True),
    Column("execution_id", String(64)),
    Column("key", String(300), unique=True),   # the webhook delivery it answered, if any
    Column("at", DateTime(timezone=True), nullable=False),
    Column("steps", Text, nullable=False),      # JSON list; contexts serialised once by the engine
    Column("trace", JSON, nullable=False),
    Column("response", JSON),                   # the answer, for a retried delivery
    Index("ix_turns_execution", "execution_id", "id"),
)

outbox = Table(
    "outbox", metadata,
    Column("id", _BIGINT, primary_key=True, autoincrement=True),
    Column("execution_id", String(64)),
    Column("effect", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("result", JSON),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_outbox_execution", "execution_id", "id"),
)

drafts = Table(
    "drafts", metadata,
    Column("flow_id", String(200), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("base_revision", String(120)),       # the published revision the edit started from
    Column("data", JSON, nullable=False),
    Column("author", String(200), nullable=False, default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

snapshots = Table(
    "snapshots", metadata,
    Column("id", String(120), primary_key=True),  # "<flow>~<first 12 hex digits of sha256>"
    Column("flow_id", String(200), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("data", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

web_sessions = Table(
    "web_sessions", metadata,
    Column("id", String(64), primary_key=True),    # sha256 of the secret the cookie carries
    Column("user", String(200), nullable=False),
    Column("password", String(64), nullable=False),  # fingerprint of the password it signed in with
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
)

login_failures = Table(
    "login_failures", metadata,
    Column("id", _BIGINT, primary_key=True, autoincrement=True),
    Column("client", String(64), nullable=False),    # the address the server saw
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_login_failures_at", "at"),
    Index("ix_login_failures_client_at", "client", "at"),
)

from . import campaignschema, statsschema  # noqa: E402,F401 - campaigns and opt-outs; Results summaries
