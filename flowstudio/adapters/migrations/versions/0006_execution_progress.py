"""How far the Results view's summaries have read each execution's turns.

Revision ID: 0006
Revises: 0005

`execution_progress` (statsschema.py): per execution, the last turn whose steps are
summarised in `execution_paths`. The Summarizer now summarises active executions as
they go, so counting them reads only their turns after it, not every turn's steps.
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "execution_progress",
        sa.Column("execution_id", sa.String(64), nullable=False),
        sa.Column("flow_id", sa.String(200), nullable=False),
        sa.Column("turn_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("execution_id"),
    )


def downgrade() -> None:
    op.drop_table("execution_progress")
