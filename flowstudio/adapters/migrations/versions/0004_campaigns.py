"""Campaigns: a flow started for a list of contacts, at a rate; opt-outs; and the
Results view's summaries of finished executions (statsschema.py).

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("flow_id", sa.String(200), nullable=False),
        sa.Column("from_address", sa.String(200), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_campaigns_flow", "campaigns", ["flow_id", "created_at"])
    op.create_index("ix_campaigns_status", "campaigns", ["status", "next_at"])
    op.create_table(
        "campaign_contacts",
        sa.Column("campaign_id", sa.String(64), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True)),
        sa.Column("execution_id", sa.String(64)),
        sa.Column("reason", sa.Text()),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("campaign_id", "row"),
    )
    op.create_index("ix_campaign_contacts_status", "campaign_contacts", ["campaign_id", "status", "row"])
    op.create_table(
        "opt_outs",
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("flow_id", sa.String(200), nullable=False),
        sa.Column("keyword", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address"),
    )

    op.create_table(
        "execution_summaries",
        sa.Column("execution_id", sa.String(64), nullable=False),
        sa.Column("flow_id", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("last_widget", sa.String(200)),
        sa.PrimaryKeyConstraint("execution_id"),
    )
    op.create_index("ix_execution_summaries_flow", "execution_summaries", ["flow_id", "created_at"])
    op.create_table(
        "execution_paths",
        sa.Column("execution_id", sa.String(64), nullable=False),
        sa.Column("flow_id", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("src", sa.String(200)),
        sa.Column("event", sa.String(200)),
        sa.Column("dst", sa.String(200)),
        sa.Column("enters", sa.Integer(), nullable=False),
    )
    op.create_index("ix_execution_paths_execution", "execution_paths", ["execution_id"])
    op.create_table(
        "path_hours",
        sa.Column("flow_id", sa.String(200), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("src", sa.String(200), nullable=False),
        sa.Column("event", sa.String(200), nullable=False),
        sa.Column("dst", sa.String(200), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("entered", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("flow_id", "hour", "src", "event", "dst"),
    )
    op.create_table(
        "outcome_hours",
        sa.Column("flow_id", sa.String(200), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("last_widget", sa.String(200), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("flow_id", "hour", "outcome", "last_widget"),
    )
    # A database made from schema.py before migrations existed has it already (0001 adopts those).
    if "ix_executions_flow_status_id" not in {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("executions")}:
        op.create_index("ix_executions_flow_status_id", "executions", ["flow_id", "status", "created_at", "id"])
    op.create_index("ix_execution_paths_flow", "execution_paths",
                    ["flow_id", "created_at", "src", "event", "dst", "enters"])


def downgrade() -> None:
    op.drop_table("outcome_hours")
    op.drop_table("path_hours")
    op.drop_index("ix_executions_flow_status_id", table_name="executions")
    op.drop_index("ix_execution_paths_flow", table_name="execution_paths")
    op.drop_index("ix_execution_paths_execution", table_name="execution_paths")
    op.drop_index("ix_execution_summaries_flow", table_name="execution_summaries")
    op.drop_table("execution_paths")
    op.drop_table("execution_summaries")
    op.drop_table("opt_outs")
    op.drop_index("ix_campaign_contacts_status", table_name="campaign_contacts")
    op.drop_table("campaign_contacts")
    op.drop_index("ix_campaigns_status", table_name="campaigns")
    op.drop_index("ix_campaigns_flow", table_name="campaigns")
    op.drop_table("campaigns")
