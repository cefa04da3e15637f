"""Revision and console snapshot ids of the longest flow ids.

Revision ID: 0007
Revises: 0006

A flow id may have 100 characters (repository.FLOW_ID), so its revision ids
(`<flow>@<n>`) and console snapshot ids (`<flow>~<12 hex digits>`) may have up to 120
and 113: the 80-character columns made PostgreSQL refuse every turn of such a flow
(500). Widening a VARCHAR is a change of the catalog only in PostgreSQL (no table
rewrite). SQLite does not enforce VARCHAR lengths, so nothing is changed there (its
only way, a rebuild of each table, would copy every execution).
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = (("revisions", "id", False), ("executions", "revision_id", False), ("drafts", "base_revision", True),
           ("snapshots", "id", False))


def _retype(old: int, new: int) -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, column, nullable in COLUMNS:
        op.alter_column(table, column, type_=sa.String(new), existing_type=sa.String(old), existing_nullable=nullable)


def upgrade() -> None:
    _retype(80, 120)


def downgrade() -> None:
    _retype(120, 80)
