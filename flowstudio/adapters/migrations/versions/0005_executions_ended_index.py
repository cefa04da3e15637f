"""An index of ended executions by when they ended, for retention.

Revision ID: 0005
Revises: 0004

Retention (adapters/retention.py) deletes ended executions older than
FLOWSTUDIO_RETENTION_DAYS, oldest first, in small batches: without this index each
batch would scan the executions table. Partial (ended_at IS NOT NULL): active
executions, which most turns write, are not in it.
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_executions_ended", "executions", ["ended_at"], unique=False,
                    sqlite_where=sa.text("ended_at IS NOT NULL"), postgresql_where=sa.text("ended_at IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_executions_ended", table_name="executions")
