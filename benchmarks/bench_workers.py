"""Inbound SMS turns/s on PostgreSQL with 1, 2 and 4 gunicorn workers, against a bare
Flask app with the same workers and against ONE SQLite process, in the same run: how
throughput grows with processes, and what PostgreSQL costs against SQLite.

For each worker count N (1, 2, 4), two servers run side by side, each a gunicorn
started as `flowstudio serve --workers N` starts it (`flowstudio.server.serve`: FlowStudio's worker,
N workers of 64 threads, access log to /dev/null), on 127.0.0.1:
- FlowStudio: `flowstudio.create_app()` on a new, empty PostgreSQL database (created for
  this N, migrated by the first worker to start, dropped afterwards), with
  bench_runtime's 3-widget SMS turn (`FLOW`) as the only flow;
- bare: `bare_app.create_app()`, fixed TwiML without reading the form.
The load is `loadgen.py` in its own process (one thread, keep-alive connections), as in
bench_webhook.py: each of 500 contacts first starts its conversation, then each server
gets WARMUP_S of closed-loop load; then ROUNDS rounds of ROUND_S per server in turns
(bare, FlowStudio, bare, ...), 32 connections for every N (so no worker idles for want
of requests); the median round counts. Every
FlowStudio answer must be a resumed turn's reply.

Also one FlowStudio server on SQLite (a database file in a temp folder), started the
same way with 1 worker (pinned, whatever `serve`'s default), measured in the same
rounds with the same flow, contacts and load generator.

Rows, for N = 1, 2, 4:
- `PostgreSQL webhook SMS turns/s (N workers)`: FlowStudio's requests/s; baseline the
  bare app's with N workers; no target (this row describes, the ratio tells the cost).
- `PostgreSQL turns/s scaling, 1 -> N workers`: FlowStudio's N-worker rate over its
  1-worker rate; baseline the same ratio for the bare app (N > 1 only).
And, against the SQLite process:
- `PostgreSQL 2 workers against SQLite 1 process (turns/s)`: PostgreSQL's 2-worker
  rate over SQLite's; target >= 1.0.
- `PostgreSQL turn CPU in the worker against SQLite (1 worker each)`: CPU ms per turn
  in the workers (/proc utime + stime, over the round's turns), median round, of the
  1-worker PostgreSQL server over the SQLite one's; target <= 1.5.
Details on stderr (`bench_workers: ...`): for every round the CPU, as a share of ONE
core, of the server's workers, of PostgreSQL's backends serving the benchmark's
database, of the load generator, and of the whole machine (all processes, including
other people's): what saturates shows there (see benchmarks/README.md).

Needs PostgreSQL: FLOWSTUDIO_BENCH_PG (default postgresql+psycopg://postgres@127.0.0.1:5432/test,
the tests' server) is used to create and drop the databases. Without a server the rows are
skipped with a note.
"""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from harness import Row, settle

import bench_webhook as web
from bench_runtime import FLOW, FLOW_ID, flow_data

WORKERS = (1, 2, 4)
CONNECTIONS = 32
WARMUP_S = 2.0
ROUND_S, ROUNDS = 3.0, 3
PG_ADMIN = os.environ.get("FLOWSTUDIO_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def name_rps(n: int) -> str:
    return f"PostgreSQL webhook SMS turns/s ({n} worker{'s' if n > 1 else ''})"


def name_scaling(n: int) -> str:
    return f"PostgreSQL turns/s scaling, 1 -> {n} workers"


VS_SQLITE = "PostgreSQL 2 workers against SQLite 1 process (turns/s)"
CPU_VS_SQLITE = "PostgreSQL turn CPU in the worker against SQLite (1 worker each)"


def note(text: str) -> None:
    print(f"bench_workers: {text}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- CPU accounting (/proc)

TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(match) -> dict[int, float]:
    """CPU seconds (user + system) of each process whose command line `match` accepts."""
    cpu = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not match(cmdline):
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / TICK
    return cpu


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two `_proc_cpu` samples by the processes alive at the
    second (a backend that exited in between is missed: a slight undercount)."""
    return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items())


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / TICK, sum(values) / TICK


def _sessions(admin, database: str | None) -> int:
    """How many connections to `database` PostgreSQL has accepted so far (0 for SQLite)."""
    if database is None:
        return 0
    return admin.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", (database,)).fetchone()[0]


def measured(server, database: str | None, expect: str, admin=None) -> dict:
    """One closed-loop round on `server`, with everyone's CPU share of one core
    (`database`: the PostgreSQL database whose backends count; None for SQLite), and
    how many new PostgreSQL connections the round opened (a pool too small for the
    turns in flight opens and closes connections all the time)."""
    pg = (lambda cmd: database is not None and cmd.startswith("postgres:") and f" {database} " in cmd)
    sessions0 = _sessions(admin, database) if admin is not None else 0
    pg0, (busy0, _), t0 = _proc_cpu(pg), _machine_cpu(), time.perf_counter()
    result = web.loadgen(server, "max", expect, duration=ROUND_S, connections=CONNECTIONS)
    wall = time.perf_counter() - t0
    pg1, (busy1, _) = _proc_cpu(pg), _machine_cpu()
    # FlowStudio's Summarizer gives way to turns and catches up after the round: that CPU
    # is the turns' too (counted in the workers' share), and must not run in the next
    # server's round
    result["server_cpu_share"] += settle(server) / ROUND_S
    result["pg_cpu_share"] = _spent(pg0, pg1) / wall
    result["machine_cpu_share"] = (busy1 - busy0) / wall
    result["connections"] = (_sessions(admin, database) - sessions0) if admin is not None else 0
    return result


def _round(r: dict) -> str:
    """One round's rate and where the CPU went: shares of one core, and milliseconds of
    CPU per request in the workers and in PostgreSQL (what the rate costs, whatever else
    runs); `others` is the machine's busy time not spent by this benchmark."""
    ours = r["server_cpu_share"] + r["pg_cpu_share"] + r["cpu_share"]
    per = {k: 1000 * r[k] / r["rps"] for k in ("server_cpu_share", "pg_cpu_share")}
    return (f"{r['rps']:.0f} req/s; CPU in cores: workers {r['server_cpu_share']:.2f}, PostgreSQL "
            f"{r['pg_cpu_share']:.2f}, loadgen {r['cpu_share']:.2f}, others {r['machine_cpu_share'] - ours:.2f}, "
            f"machine {r['machine_cpu_share']:.2f} of {os.cpu_count()}; per request: workers "
            f"{per['server_cpu_share']:.2f} ms, PostgreSQL {per['pg_cpu_share']:.2f} ms; "
            f"{r.get('connections', 0)} new connections")


def _pg_admin():
    import psycopg

    return psycopg.connect(PG_ADMIN.replace("postgresql+psycopg://", "postgresql://"), autocommit=True,
                           connect_timeout=3)


def _flowstudio(name: str, folder: Path, env: dict, workers: int):
    flows = folder / "flows"
    flows.mkdir(exist_ok=True)
    (flows / f"{FLOW_ID}.yaml").write_text(FLOW)
    data = folder / f"data-{name}"
    data.mkdir(exist_ok=True)
    return web.Server(name, "flowstudio", folder, {
        "FLOWSTUDIO_DATA_DIR": str(data), "FLOWSTUDIO_FLOWS_DIR": str(flows), "FLOWSTUDIO_LISTEN_HOST": "127.0.0.1",
        **env}, probe=web.PROBE, workers=workers)


def measure_all(counts: list[int], with_bare: bool, with_sqlite: bool, folder: Path, admin) -> dict:
    """The servers for these worker counts, started together (a new PostgreSQL database
    per worker count), then ROUNDS rounds in which each server gets one round in turn;
    the rounds of each server, by key ("pg-N", "bare-N", "sqlite")."""
    databases: dict[str, str] = {}
    servers: dict[str, tuple] = {}   # key -> (server, database or None, expected reply)
    try:
        if with_sqlite:
            servers["sqlite"] = (_flowstudio("flowstudio-sqlite", folder, {}, 1), None, web.RESUMED)
        for n in counts:
            database = databases[f"pg-{n}"] = f"flowstudio_bench_{uuid.uuid4().hex[:10]}"
            admin.execute(f'CREATE DATABASE "{database}"')
            url = PG_ADMIN.rsplit("/", 1)[0] + "/" + database
            servers[f"pg-{n}"] = (_flowstudio(f"flowstudio-pg-{n}", folder, {"FLOWSTUDIO_DATABASE_URL": url}, n),
                                  database, web.RESUMED)
            if with_bare:
                servers[f"bare-{n}"] = (web.Server(f"bare-{n}", "bare_app", folder, {}, workers=n), None, web.BARE)
        for server, _, _ in servers.values():
            server.wait_ready(180)  # seven servers starting together on a busy machine
        for server, _, expect in servers.values():
            if expect == web.RESUMED:
                web.loadgen(server, "once", web.STARTED)  # every contact's execution waits at `ask`
            web.loadgen(server, "max", expect, duration=WARMUP_S, connections=CONNECTIONS)
        rounds: dict[str, list[dict]] = {key: [] for key in servers}
        for _ in range(ROUNDS):
            for key, (server, database, expect) in servers.items():
                rounds[key].append(measured(server, database, expect, admin))
        for key, runs in rounds.items():
            note(f"{key}: " + "; ".join(_round(r) for r in runs))
        return rounds
    finally:
        for server, _, _ in servers.values():
            server.stop()
        for database in databases.values():
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _cpu_ms(runs: list[dict]) -> float:
    """The workers' CPU milliseconds per turn, median round."""
    return statistics.median(1000 * r["server_cpu_share"] / r["rps"] for r in runs)


def run(select=lambda name: True) -> list[Row]:
    wanted = [n for n in WORKERS if select(name_rps(n)) or select(name_scaling(n))]
    vs_sqlite, cpu_vs_sqlite = select(VS_SQLITE), select(CPU_VS_SQLITE)
    if not (wanted or vs_sqlite or cpu_vs_sqlite):
        return []
    if 1 not in wanted and any(select(name_scaling(n)) for n in wanted):
        wanted.insert(0, 1)  # scaling is relative to one worker
    counts = sorted(set(wanted) | ({2} if vs_sqlite else set()) | ({1} if cpu_vs_sqlite else set()))
    try:
        admin = _pg_admin()
    except Exception as exc:  # noqa: BLE001 - no server: say so, measure nothing
        note(f"skipped: PostgreSQL not reachable at {PG_ADMIN}: {exc}")
        return []
    flow_data()  # refuses a flow with validation issues
    folder = Path(tempfile.mkdtemp(prefix="flowstudio-bench-workers-"))
    try:
        # 1 and 2 workers (and SQLite) in the same rounds, then 4 workers: each worker
        # keeps up to 20 PostgreSQL connections, and all seven workers at once would
        # pass the server's max_connections (100)
        rounds = measure_all([n for n in counts if n <= 2], bool(wanted), vs_sqlite or cpu_vs_sqlite, folder, admin)
        if any(n > 2 for n in counts):
            rounds.update(measure_all([n for n in counts if n > 2], bool(wanted), False, folder, admin))
    finally:
        admin.close()
        shutil.rmtree(folder, ignore_errors=True)
    rate = {key: statistics.median(r["rps"] for r in runs) for key, runs in rounds.items()}
    rows = []
    for n in wanted:
        rows.append(Row(name_rps(n), rate[f"pg-{n}"], "req/s", f"bare Flask, {n} worker(s), {CONNECTIONS} connections",
                        rate[f"bare-{n}"], rate[f"pg-{n}"] / rate[f"bare-{n}"]))
    for n in wanted:
        if n > 1 and 1 in wanted:
            flow_x, bare_x = rate[f"pg-{n}"] / rate["pg-1"], rate[f"bare-{n}"] / rate["bare-1"]
            rows.append(Row(name_scaling(n), flow_x, "x", "bare Flask 1 -> same workers", bare_x, flow_x / bare_x))
    if vs_sqlite:
        ratio = rate["pg-2"] / rate["sqlite"]
        rows.append(Row(VS_SQLITE, rate["pg-2"], "turns/s", "FlowStudio on SQLite, 1 worker, same run",
                        rate["sqlite"], ratio, ">= 1.0", ratio >= 1.0))
    if cpu_vs_sqlite:
        pg_ms, sqlite_ms = _cpu_ms(rounds["pg-1"]), _cpu_ms(rounds["sqlite"])
        rows.append(Row(CPU_VS_SQLITE, pg_ms, "ms CPU/turn", "FlowStudio on SQLite, 1 worker, same run",
                        sqlite_ms, pg_ms / sqlite_ms, "<= 1.5", pg_ms / sqlite_ms <= 1.5))
    note("turns/s: " + ", ".join(f"{key} {rate[key]:.0f} ({_cpu_ms(runs):.2f} ms CPU/turn in the workers)"
                                 for key, runs in rounds.items()))
    return rows
