"""Failed logins, shared by every process of the database.

Revision ID: 0008
Revises: 0007

The login throttle counted failures in each process, so with N workers (or machines)
a password guesser had N times the limit, and a restart forgot every count. One row
per failed login, kept for the throttle's window; the index on `at` serves both the
overall count and the pruning of old rows, the other the per-client count.
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), autoincrement=True, nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failures_at", "login_failures", ["at"])
    op.create_index("ix_login_failures_client_at", "login_failures", ["client", "at"])


def downgrade() -> None:
    op.drop_table("login_failures")
