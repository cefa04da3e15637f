"""Snapshots: flow documents run by the browser's test-run console.

Revision ID: 0002
Revises: 0001

A console execution pins the draft it started on, like a webhook execution pins a
revision; drafts are not revisions (the newest revision is what webhooks run), so they
get their own table.
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "snapshots",
        sa.Column("id", sa.String(80), nullable=False),
        sa.Column("flow_id", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("snapshots")
