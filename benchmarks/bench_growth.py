"""Memory and growth: the resident memory of a serving process, idle and after 100,000
turns; how the database grows per turn; a turn's latency with 1,000,000 stored turns.

Rows (every baseline is measured in the same run; see benchmarks/README.md):
- `serve` resident memory, idle: the RSS of a FlowStudio server (gunicorn's arbiter +
  1 worker, started as `flowstudio serve` starts it: bench_webhook.Server), after its
  first webhook answer (the flow loaded); baseline the bare Flask app on the same
  gunicorn (bench_webhook's baseline), also arbiter + worker. No target: a figure to
  report.
- `serve` resident memory after 100,000 turns: the same server after 100,000 webhook
  turns (2,000 contacts texting bench_runtime's loop flow, 16 keep-alive connections,
  loadgen.py); baseline its RSS after the first 10,000 (warm-up).
- `serve` memory growth per turn after warm-up: (RSS after 100,000 - RSS after 10,000) /
  90,000 turns, in bytes; target <= 16 bytes per turn (1.4 MB over the 90,000 turns:
  allocator noise, not a leak; a leak of one small object per turn is 50 bytes and up).
- SQLite bytes per turn: the database's used pages (page_count - freelist_count, times
  page_size, read through SQLite so the WAL is counted) after 100,000 turns minus after
  10,000, per turn; baseline the bytes of the turns' content alone (the `turns` rows'
  steps, trace and answer text, and the execution's state), so the ratio is what
  indexes and page slack add. No target: the README's sizing figure.
- inbound turn latency with 1,000,000 stored turns: median latency of one inbound turn
  (in process, bench_runtime's `turn`) on an SQLite file holding 1,000,000 turns (of
  100,000 ended executions, 10 each, copied from real turns of the loop flow with new
  ids and delivery keys) beside 100 waiting executions; baseline the same 100 waiting
  executions on a database with no stored turns; turns on the two alternate; target
  ratio <= 1.2. Filling the 1,000,000 rows takes about a minute and ~1 GB in a temp folder.
Details go to stderr (`bench_growth: ...`).
"""
from __future__ import annotations

import itertools
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy import select as sql_select

from harness import Row, timing

from bench_runtime import FEW, FLOW, FLOW_ID, check_walk, flow_data, per_call_medians, populated, sid, turn
from bench_webhook import HERE, PROBE, RESUMED, STARTED, Server
from flowstudio.adapters import schema

IDLE = "serve resident memory, idle (arbiter + 1 worker)"
AFTER = "serve resident memory after 100,000 turns"
GROWTH = "serve memory growth per turn after warm-up"
BYTES = "SQLite bytes per turn"
STORED = "inbound turn latency with 1,000,000 stored turns"

CONTACTS = 2_000          # 50 turns each over the 100,000: far from the 1,000-step limit
CONNECTIONS = 16
WARM, TOTAL = 10_000, 100_000
STORED_TURNS, TURNS_PER_EXECUTION = 1_000_000, 10
INSERT_BATCH = 10_000
LATENCY_TURNS = 400


def note(text: str) -> None:
    print(f"bench_growth: {text}", file=sys.stderr, flush=True)


def rss(server: Server) -> int:
    """Resident bytes of the server's arbiter and its children (the workers)."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        pid, ppid = int(fields["Pid"]), int(fields["PPid"])
        if (pid == server.proc.pid or ppid == server.proc.pid) and "VmRSS" in fields:
            total += int(fields["VmRSS"].split()[0]) * 1024
    return total


def used_bytes(db: Path) -> int:
    """The database's pages in use, as a reader sees it (the WAL's commits included)."""
    conn = sqlite3.connect(db)
    try:
        pages, free, size = (conn.execute(f"PRAGMA {p}").fetchone()[0]
                             for p in ("page_count", "freelist_count", "page_size"))
    finally:
        conn.close()
    return (pages - free) * size


def content_bytes(db: Path) -> tuple[int, int]:
    """(bytes of the turns' stored text, how many turns), and the executions' state text."""
    conn = sqlite3.connect(db)
    try:
        turns, count = conn.execute("SELECT sum(length(steps) + length(trace) + coalesce(length(response), 0)"
                                    " + coalesce(length(key), 0)), count(*) FROM turns").fetchone()
        state = conn.execute("SELECT sum(length(state)) FROM executions").fetchone()[0]
    finally:
        conn.close()
    return turns + state, count


def drive(server: Server, turns: int) -> int:
    """Send about `turns` webhook turns (closed loop, the loop flow's contacts, each
    answer checked); returns how many were answered."""
    import subprocess

    done = 0
    while done < turns:
        left = turns - done
        duration = max(1.0, min(20.0, left / 800))
        args = [sys.executable, str(HERE / "loadgen.py"), server.url, "--mode", "max", "--contacts", str(CONTACTS),
                "--connections", str(CONNECTIONS), "--number", "+15555550100", "--expect", RESUMED,
                "--duration", f"{duration:.1f}"]
        result = json.loads(subprocess.run(args, capture_output=True, text=True, check=True,
                                           timeout=duration + 120).stdout)
        if result["errors"]:
            raise RuntimeError(f"{result['errors']} failed requests: {result['error_samples']}")
        done += result["requests"]
    return done


def memory_rows(folder: Path, select) -> list[Row]:
    import subprocess

    flows = folder / "flows"
    flows.mkdir()
    (flows / f"{FLOW_ID}.yaml").write_text(FLOW)
    data = folder / "data"
    data.mkdir()
    flow = Server("flowstudio", "flowstudio", folder, {"FLOWSTUDIO_DATA_DIR": str(data),
                                                       "FLOWSTUDIO_FLOWS_DIR": str(flows),
                                                       "FLOWSTUDIO_LISTEN_HOST": "127.0.0.1"}, probe=PROBE)
    bare = Server("bare", "bare_app", folder, {})
    try:
        for s in (flow, bare):
            s.wait_ready()
        time.sleep(2)   # let the workers settle (imports done, first requests answered)
        idle, bare_idle = rss(flow), rss(bare)
        bare.stop()
        note(f"idle: FlowStudio {idle / 2**20:.1f} MB, bare Flask {bare_idle / 2**20:.1f} MB")
        rows = [Row(IDLE, idle / 2**20, "MB", "bare Flask on the same gunicorn, arbiter + 1 worker",
                    bare_idle / 2**20, idle / bare_idle)]
        if not (select(AFTER) or select(GROWTH) or select(BYTES)):
            return rows
        args = [sys.executable, str(HERE / "loadgen.py"), flow.url, "--mode", "once", "--contacts", str(CONTACTS),
                "--connections", str(CONNECTIONS), "--number", "+15555550100", "--expect", STARTED]
        subprocess.run(args, capture_output=True, text=True, check=True, timeout=300)
        db = data / "flowstudio.db"
        sent = drive(flow, WARM)
        warm, warm_used = rss(flow), used_bytes(db)
        note(f"after {sent:,} turns: RSS {warm / 2**20:.1f} MB, database {warm_used / 2**20:.1f} MB used")
        marks = []
        while sent < TOTAL:
            sent += drive(flow, min(10_000, TOTAL - sent))
            marks.append((sent, rss(flow)))
        after, after_used = rss(flow), used_bytes(db)
        note("RSS along the way: " + ", ".join(f"{n:,}: {b / 2**20:.1f} MB" for n, b in marks))
        note(f"after {sent:,} turns: RSS {after / 2**20:.1f} MB, database {after_used / 2**20:.1f} MB used")
        per_turn = (after - warm) / (sent - WARM)
        content, count = content_bytes(db)
        db_per_turn = (after_used - warm_used) / (sent - WARM)
        note(f"content: {content / count:.0f} bytes per stored turn (steps, trace, answer, key; states included)")
        rows += [Row(AFTER, after / 2**20, "MB", f"after {WARM:,} turns (warm-up)", warm / 2**20, after / warm),
                 Row(GROWTH, per_turn, "bytes", "", None, None, "<= 16 bytes per turn", per_turn <= 16),
                 Row(BYTES, db_per_turn, "bytes", "the turns' stored text alone", content / count,
                     db_per_turn / (content / count))]
        return rows
    finally:
        flow.stop()
        bare.stop()


def stored(service, total_turns: int) -> None:
    """Add `total_turns` turns of ended executions (copies of the service's real turns
    and executions, new ids and delivery keys), TURNS_PER_EXECUTION each."""
    ex, tu = schema.executions, schema.turns
    with service.store.engine.connect() as conn:
        execution = dict(conn.execute(sql_select(ex).limit(1)).first()._mapping)
        samples = [dict(r._mapping) for r in conn.execute(sql_select(tu).where(tu.c.key.isnot(None)).limit(20))]
    for r in samples:
        r.pop("id")
    execution.update(status="ended", waiting_widget=None, waiting_kind=None, due_at=None,
                     ended_at=execution["updated_at"], ended_reason="bench")
    executions, turns = [], []
    counter = itertools.count()

    def flush():
        with service.store.engine.begin() as conn:
            if executions:
                conn.execute(insert(ex), executions)
            conn.execute(insert(tu), turns)
        executions.clear()
        turns.clear()

    for e in range(total_turns // TURNS_PER_EXECUTION):
        eid, contact = f"FS{e:032d}", f"+1666{e:07d}"
        executions.append(dict(execution, id=eid, contact=contact, session_key=contact))
        for _ in range(TURNS_PER_EXECUTION):
            k = next(counter)
            sample = samples[k % len(samples)]
            turns.append(dict(sample, execution_id=eid, key=f"sms:{FLOW_ID}:SX{k:032d}"))
        if len(turns) >= INSERT_BATCH:
            flush()
    if turns:
        flush()


def stored_row(folder: Path) -> Row:
    many, many_contacts = populated(folder, "stored", FEW)
    empty, empty_contacts = populated(folder, "empty", FEW)
    try:
        started = time.perf_counter()
        stored(many, STORED_TURNS)
        size = (folder / "stored.db").stat().st_size
        note(f"filled {STORED_TURNS:,} turns in {time.perf_counter() - started:.0f} s; file {size / 2**20:.0f} MB")
        rng = random.Random(0)
        many_cycle = itertools.cycle(rng.sample(many_contacts, len(many_contacts)))
        empty_cycle = itertools.cycle(rng.sample(empty_contacts, len(empty_contacts)))
        check_walk(turn(many, next(many_cycle), sid()).steps)
        for _ in range(50):  # warm up both
            turn(many, next(many_cycle), sid())
            turn(empty, next(empty_cycle), sid())
        ours, base = per_call_medians([lambda: turn(many, next(many_cycle), sid()),
                                       lambda: turn(empty, next(empty_cycle), sid())], LATENCY_TURNS)
    finally:
        many.store.close()
        empty.store.close()
    return timing(STORED, ours, f"the same {FEW} waiting executions, no stored turns", base, max_ratio=1.2,
                  note="within 20 %")


def run(select=lambda name: True) -> list[Row]:
    rows = []
    if not any(select(n) for n in (IDLE, AFTER, GROWTH, BYTES, STORED, PURGE)):
        return rows
    flow_data()  # refuses a flow with validation issues
    folder = Path(tempfile.mkdtemp(prefix="flowstudio-bench-growth-"))
    try:
        if any(select(n) for n in (IDLE, AFTER, GROWTH, BYTES)):
            rows += memory_rows(folder, select)
        if select(STORED):
            rows.append(stored_row(folder))
        if select(PURGE):
            rows.append(purge_row(folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return rows


# ---------------------------------------------------------------- retention

PURGE = "inbound turn p99 during a retention purge"
PURGE_TURNS = 200_000     # old turns to purge (20,000 ended executions, 10 turns each)
PURGE_SAMPLE = 600        # timed turns, before and during the purge


def _latencies(service, cycle, n: int) -> list[float]:
    """Latencies of `n` turns, each for the next contact of `cycle`."""
    out = []
    for _ in range(n):
        started = time.perf_counter()
        turn(service, next(cycle), sid())
        out.append(time.perf_counter() - started)
    return out


def _p99(values: list[float]) -> float:
    s = sorted(values)
    return s[max(0, -(-99 * len(s) // 100) - 1)]


def purge_row(folder: Path) -> Row:
    """Turns while Retention (default batch sizes and rests) deletes 200,000 old turns,
    against the same turns just before it starts."""
    from datetime import timedelta

    from flowstudio.adapters.retention import Retention

    service, contacts = populated(folder, "purge", 2_000)   # each far from the 1,000-step limit
    try:
        stored(service, PURGE_TURNS)
        cycle = itertools.cycle(contacts)
        _latencies(service, cycle, 100)                     # warm-up
        before = _latencies(service, cycle, PURGE_SAMPLE)
        # the stored executions ended at the loop's fixed clock: a retention of 0 days from a
        # clock a day later makes every one of them old
        retention = Retention(service.store, timedelta(0), lambda: service.clock() + timedelta(days=1),
                              interval=3600)
        started = time.perf_counter()
        retention.start()
        during = []
        while retention.purged.executions < PURGE_TURNS // TURNS_PER_EXECUTION and len(during) < 300_000:
            during += _latencies(service, cycle, 20)
        took = time.perf_counter() - started
        retention.stop()
        note(f"purge: {retention.purged.turns:,} turns, {retention.purged.executions:,} executions in "
             f"{retention.purged.batches:,} batches (longest {retention.longest * 1000:.0f} ms), {took:.1f} s; "
             f"{len(during):,} turns meanwhile; "
             f"p50 {sorted(during)[len(during) // 2] * 1000:.2f} ms (before {sorted(before)[len(before) // 2] * 1000:.2f} ms), "
             f"max {max(during) * 1000:.1f} ms (before {max(before) * 1000:.1f} ms)")
    finally:
        service.store.close()
    return timing(PURGE, _p99(during), f"p99 of the same turns just before the purge ({PURGE_SAMPLE})", _p99(before),
                  max_ms=25, note="the purge never holds a turn long")
