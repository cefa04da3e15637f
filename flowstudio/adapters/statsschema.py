"""What the Results view counts, kept per finished execution (kept apart from
schema.py, on the same `metadata`; stats.py fills and reads them).

An execution that has ended never changes again, so what it did is summarised once:
- `execution_summaries`: one row per summarised execution: how it ended (`ended`,
  `failed`, `expired`) and its last widget.
- `execution_paths`: one row per distinct (from, event, to) of the flow's own steps
  (not its subflows') that the execution took; `enters` is 1 on exactly one of the
  rows leading into each widget, so a widget's "entered" is a sum, not a DISTINCT.
- `execution_progress`: per execution, the last turn whose steps are in
  `execution_paths` (active executions are summarised as they go, a turn at a time;
  a finished one gets the rest of its paths with its summary).
The first two carry the execution's flow and start time, so counting them never reads the
(large) execution rows: it answers in milliseconds where taking every turn's steps
(JSON) apart took seconds; executions not yet summarised (active ones, and ended ones the
summariser has not reached) are counted from their turns after their progress, in the
same snapshot, so the numbers stay exact.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, String, Table

from .schema import executions, metadata

# The counts find the executions of a flow started in a range that are not summarised
# yet by this index alone (with `id`), never reading the execution rows, which carry
# their whole state.
Index("ix_executions_flow_status_id", executions.c.flow_id, executions.c.status, executions.c.created_at,
      executions.c.id)

execution_summaries = Table(
    "execution_summaries", metadata,
    Column("execution_id", String(64), primary_key=True),
    Column("flow_id", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("last_widget", String(200)),
    Index("ix_execution_summaries_flow", "flow_id", "created_at"),
)

execution_paths = Table(
    "execution_paths", metadata,
    Column("execution_id", String(64), nullable=False),
    Column("flow_id", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("src", String(200)),
    Column("event", String(200)),
    Column("dst", String(200)),
    Column("enters", Integer, nullable=False),   # 1 on one row per (execution, dst): "entered" is a sum
    Index("ix_execution_paths_execution", "execution_id"),
    # covering: the counts read the index alone
    Index("ix_execution_paths_flow", "flow_id", "created_at", "src", "event", "dst", "enters"),
)

# The same, added up per flow and hour of start (the hour the executions started in):
# a range's whole hours are read here, only its two partial hours from the rows above.
# NULL widget names are stored as '' (so the key is unique on both databases).
path_hours = Table(
    "path_hours", metadata,
    Column("flow_id", String(200), primary_key=True),
    Column("hour", DateTime(timezone=True), primary_key=True),
    Column("src", String(200), primary_key=True),
    Column("event", String(200), primary_key=True),
    Column("dst", String(200), primary_key=True),
    Column("n", Integer, nullable=False),
    Column("entered", Integer, nullable=False),
)

outcome_hours = Table(
    "outcome_hours", metadata,
    Column("flow_id", String(200), primary_key=True),
    Column("hour", DateTime(timezone=True), primary_key=True),
    Column("outcome", String(16), primary_key=True),
    Column("last_widget", String(200), primary_key=True),
    Column("n", Integer, nullable=False),
)

execution_progress = Table(
    "execution_progress", metadata,
    Column("execution_id", String(64), primary_key=True),
    Column("flow_id", String(200), nullable=False),            # to find it stale after a rename
    Column("turn_id", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
)
