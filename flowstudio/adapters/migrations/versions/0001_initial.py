"""The first schema: revisions, executions, turns, outbox, drafts.

Revision ID: 0001
Revises: (none)

Databases that `Store.create_schema` made with `metadata.create_all` before there were
migrations have some of these tables already (the same definitions): this revision
creates only the missing ones, so such a database is adopted without a manual step.
Later revisions must not do this: they start from a known schema.
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements INTEGER keys only
ACTIVE = sa.text("status = 'active'")


def _tables():
    """Each table with its indexes, in the order they are created."""
    yield ("revisions", [
        sa.Column("id", sa.String(80), nullable=False),
        sa.Column("flow_id", sa.String(200), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("flow_id", "number", name="uq_revisions_flow_number"),
    ], [("ix_revisions_flow_sha", ["flow_id", "sha256"], {})])
    yield ("executions", [
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("flow_id", sa.String(200), nullable=False),
        sa.Column("revision_id", sa.String(80), nullable=False),
        sa.Column("session_key", sa.String(200), nullable=False),
        sa.Column("contact", sa.String(200), nullable=False),
        sa.Column("flow_address", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("call_sid", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("waiting_widget", sa.String(200), nullable=True),
        sa.Column("waiting_kind", sa.String(16), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    ], [
        # one active execution per (flow, session); the scheduler's due timers
        ("uq_executions_active_session", ["flow_id", "session_key"],
         dict(unique=True, sqlite_where=ACTIVE, postgresql_where=ACTIVE)),
        ("ix_executions_due", ["due_at"], dict(sqlite_where=ACTIVE, postgresql_where=ACTIVE)),
        ("ix_executions_flow_status", ["flow_id", "status", "created_at"], {}),
        ("ix_executions_contact", ["contact", "created_at"], {}),
        ("ix_executions_call", ["flow_id", "call_sid"], {}),
    ])
    yield ("turns", [
        sa.Column("id", BIGINT, autoincrement=True, nullable=False),
        sa.Column("execution_id", sa.String(64), nullable=True),
        sa.Column("key", sa.String(300), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("steps", sa.Text(), nullable=False),
        sa.Column("trace", sa.JSON(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),  # a retried webhook delivery is answered, not run again
    ], [("ix_turns_execution", ["execution_id", "id"], {})])
    yield ("outbox", [
        sa.Column("id", BIGINT, autoincrement=True, nullable=False),
        sa.Column("execution_id", sa.String(64), nullable=True),
        sa.Column("effect", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    ], [("ix_outbox_execution", ["execution_id", "id"], {})])
    yield ("drafts", [
        sa.Column("flow_id", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("base_revision", sa.String(80), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("flow_id"),
    ], [])


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for name, columns, indexes in _tables():
        if name in existing:
            continue
        op.create_table(name, *columns)
        for index, index_columns, options in indexes:
            op.create_index(index, name, index_columns, **options)


def downgrade() -> None:
    for name, _columns, _indexes in reversed(list(_tables())):
        op.drop_table(name)
