"""The campaign tables (kept apart from schema.py, on the same `metadata`).

- `campaigns`: one row per "send this flow to a list": the sending number, the rate,
  when it starts, its status, and `next_at`, the slot the next contact may start at.
  `next_at` is the campaign's pacing token: a process claims a batch of contacts by
  moving it forward by batch/rate in the claim's transaction, so the total rate holds
  however many processes share the sends.
- `campaign_contacts`: one row per row of the list (its number in the CSV or list),
  with its `flow.data` parameters and what became of it: `pending`, `claimed` (by a
  process, until `claimed_until`), `started` (with the execution), `skipped` or
  `failed` (with why).
- `opt_outs`: contacts who texted a STOP word (Twilio's standard opt-out words); a
  campaign skips them until they text START, UNSTOP or YES.
"""
from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Float, Index, Integer, String, Table, Text

from .schema import metadata

campaigns = Table(
    "campaigns", metadata,
    Column("id", String(64), primary_key=True),
    Column("flow_id", String(200), nullable=False),
    Column("from_address", String(200), nullable=False),
    Column("rate", Float, nullable=False),
    Column("status", String(16), nullable=False),    # scheduled, running, paused, done, cancelled
    Column("start_at", DateTime(timezone=True), nullable=False),
    Column("next_at", DateTime(timezone=True), nullable=False),
    Column("total", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_campaigns_flow", "flow_id", "created_at"),
    Index("ix_campaigns_status", "status", "next_at"),
)

campaign_contacts = Table(
    "campaign_contacts", metadata,
    Column("campaign_id", String(64), primary_key=True),
    Column("row", Integer, primary_key=True),
    Column("address", String(200), nullable=False),
    Column("parameters", JSON, nullable=False),
    Column("status", String(16), nullable=False),    # pending, claimed, started, skipped, failed
    Column("claimed_until", DateTime(timezone=True)),
    Column("execution_id", String(64)),
    Column("reason", Text),
    Column("updated_at", DateTime(timezone=True)),
    Index("ix_campaign_contacts_status", "campaign_id", "status", "row"),
)

opt_outs = Table(
    "opt_outs", metadata,
    Column("address", String(200), primary_key=True),
    Column("flow_id", String(200), nullable=False),   # the flow whose number received the STOP
    Column("keyword", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
