"""What the Results view counts, kept per finished execution (kept apart from
schema.py, on the same `metadata`; stats.py fills and reads them).

An execution that has ended never changes again, so what it did is summarised once:
- `execution_summaries`: one row per summarised execution: how it ended (`ended`,
  `failed`, `expired`) and its last widget.
- `execution_paths`: one row per distinct (from, event, to) of the flow's own steps
  (not its subflows') that the execution took.
Counting these rows answers in milliseconds where taking every turn's steps (JSON)
apart took seconds; executions not yet summarised (active ones, and ended ones the
summariser has not reached) are counted from the turns as before, in the same
statement, so the numbers stay exact.
"""
from __future__ import annotations

from sqlalchemy import Column, Index, String, Table

from .schema import metadata

execution_summaries = Table(
    "execution_summaries", metadata,
    Column("execution_id", String(64), primary_key=True),
    Column("outcome", String(16), nullable=False),
    Column("last_widget", String(200)),
)

execution_paths = Table(
    "execution_paths", metadata,
    Column("execution_id", String(64), nullable=False),
    Column("src", String(200)),
    Column("event", String(200)),
    Column("dst", String(200)),
    Index("ix_execution_paths_execution", "execution_id"),
)
