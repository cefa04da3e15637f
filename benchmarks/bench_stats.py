"""The Results view's counts (`stats.flow_stats`, `GET /api/flows/<id>/stats`) over
1,000,000 stored turns.

The database (an SQLite file in a temp folder) holds executions of the example
`sms-survey` flow copied from real conversations run through the service (finished
surveys, a bad rating answered again, a survey left unanswered), with new ids and
contacts, spread over 60 days, until `turns` holds 1,000,000 rows (about 2 KB each: the
steps with their contexts, as the service writes them). Executions started in the
last day are still active (about 2 %, as waiting surveys are); the others are
finished. Before timing, the finished ones are summarised by `stats.summarize` and the
active ones' paths so far by `stats.summarize_active` (what the background Summarizer
does); the counts then read the turns of none of them. Rows: the counts for today, 7 days and 30 days; each against the
baseline of the same run: `SELECT status, count(*) ... GROUP BY status` over the same
executions (the least any answer must read). Target: at most 1 s for any range.
A row is refused if its counts differ from the summaries-free computation over a
one-day range (checked once, before timing).
"""
from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from harness import Row, measure_many
from sqlalchemy import select, text

from flowstudio import stats
from flowstudio.adapters import schema as t
from flowstudio.conversation import FakeClock, local_service

ROOT = Path(__file__).resolve().parent.parent
FLOW = "sms-survey"
TURNS = int(os.environ.get("FLOWSTUDIO_BENCH_STATS_TURNS", 1_000_000))  # smaller only to try the module
DAYS = 60
SCRIPTS = [["hi", "5", "coffee", "NO"], ["hi", "9", "3", "cake", "more seats"], ["hi", "4"], ["hi", "2", "view", "x"]]


def _text(value) -> str:
    """A time as the store writes it on SQLite (adapters/store.py, datetime_text)."""
    return value.isoformat(" ", "microseconds")[:26]


def _build(folder: Path):
    url = f"sqlite:///{folder / 'stats.db'}"
    clock = FakeClock()
    service = local_service(ROOT / "flows", clock=clock, database_url=url)
    for i, script in enumerate(SCRIPTS):
        for j, body in enumerate(script):
            service.inbound_message(FLOW, {"MessageSid": f"SM{i}-{j}", "From": f"+1555000{i}", "To": "+15555550100",
                                           "Body": body})
    clock.advance(3601)
    service.fire_due()
    store = service.store
    with store.engine.connect() as conn:
        templates = [r for r in conn.execute(select(t.executions)) if r.status != "active"]
        turns = list(conn.execute(select(t.turns.c.execution_id, t.turns.c.steps, t.turns.c.trace)))
    by = {}
    for r in turns:
        by.setdefault(r.execution_id, []).append(r)
    raw = sqlite3.connect(folder / "stats.db")
    cols = [c.name for c in t.executions.columns]
    ex_sql = f"INSERT INTO executions ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    tu_sql = "INSERT INTO turns (execution_id, key, at, steps, trace, response) VALUES (?, NULL, ?, ?, ?, NULL)"
    import json
    made, k = len(turns), itertools.count()
    now = clock()
    while made < TURNS:
        E, T = [], []
        for _ in range(5000):
            n = next(k)
            src = templates[n % len(templates)]
            age = timedelta(seconds=(n * 7919) % (DAYS * 86400))
            when = (now - age).replace(tzinfo=None)
            active = age < timedelta(days=1)
            values = {c: getattr(src, c) for c in cols}
            values.update(id=f"FX{n:030d}", session_key=f"+1{n:010d}", contact=f"+1{n:010d}", created_at=when,
                          updated_at=when, status="active" if active else src.status,
                          ended_at=None if active else when, state=json.dumps(src.state),
                          expires_at=when + timedelta(days=30), due_at=None)
            # times as the store writes them (with microseconds): compared as text, a time
            # written without them sorts before the same time bound with them
            E.append([_text(values[c]) if hasattr(values[c], "isoformat") else values[c] for c in cols])
            for r in by[src.id]:
                T.append((values["id"], _text(when), r.steps, json.dumps(r.trace)))
        raw.executemany(ex_sql, E)
        raw.executemany(tu_sql, T)
        raw.commit()
        made += len(T)
    raw.close()
    return service, now


def run(select_row=lambda name: True) -> list[Row]:
    names = {d: f"stats over 1,000,000 turns, {label}" for d, label in ((1, "today"), (7, "7 days"), (30, "30 days"))}
    if not any(select_row(n) for n in names.values()):
        return []
    folder = Path(tempfile.mkdtemp(prefix="flowstudio-stats-"))
    try:
        started = time.perf_counter()
        service, now = _build(folder)
        store = service.store
        built = time.perf_counter() - started
        live_check = stats.flow_stats(store, FLOW, now - timedelta(days=1), now)
        started = time.perf_counter()
        while stats.summarize(store, limit=5000):
            pass
        while stats.summarize_active(store)[0]:   # the paths so far of the active ones (after a restart)
            pass
        summarised = time.perf_counter() - started
        if stats.flow_stats(store, FLOW, now - timedelta(days=1), now) != live_check:
            raise AssertionError("summarised counts differ from the live ones: refusing to time")
        with store.engine.connect() as conn:
            count = conn.execute(text("SELECT count(*) FROM turns")).scalar()
        print(f"  built {count:,} turns in {built:.0f} s; summarised in {summarised:.0f} s")
        rows = []
        for days, name in names.items():
            if not select_row(name):
                continue
            lo, hi = now - timedelta(days=days), now + timedelta(seconds=1)

            def baseline(lo=lo, hi=hi):
                with store.engine.connect() as conn:
                    conn.execute(text("SELECT status, count(*) FROM executions WHERE flow_id = :f AND "
                                      "created_at >= :lo AND created_at < :hi GROUP BY status"),
                                 {"f": FLOW, "lo": str(lo.replace(tzinfo=None)), "hi": str(hi.replace(tzinfo=None))}).all()

            figure, base = measure_many([lambda lo=lo, hi=hi: stats.flow_stats(store, FLOW, lo, hi), baseline],
                                        repeat=3)
            rows.append(Row(name, figure * 1000, "ms", "GROUP BY status over the same executions", base * 1000,
                            figure / base, "<= 1000 ms", figure <= 1.0))
        store.close()
        return rows
    finally:
        shutil.rmtree(folder, ignore_errors=True)
