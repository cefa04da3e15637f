"""Inbound SMS turns/s on PostgreSQL with 1, 2 and 4 gunicorn workers, against a bare
Flask app with the same workers, in the same run: how throughput grows with processes.

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

Rows, for N = 1, 2, 4:
- `PostgreSQL webhook SMS turns/s (N workers)`: FlowStudio's requests/s; baseline the
  bare app's with N workers; no target (this row describes, the ratio tells the cost).
- `PostgreSQL turns/s scaling, 1 -> N workers`: FlowStudio's N-worker rate over its
  1-worker rate; baseline the same ratio for the bare app (N > 1 only).
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

from harness import Row

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


def measured(server: Server, database: str, expect: str) -> dict:
    """One closed-loop round on `server`, with everyone's CPU share of one core."""
    pg = (lambda cmd: cmd.startswith("postgres:") and f" {database} " in cmd)
    pg0, (busy0, _), t0 = _proc_cpu(pg), _machine_cpu(), time.perf_counter()
    result = web.loadgen(server, "max", expect, duration=ROUND_S, connections=CONNECTIONS)
    wall = time.perf_counter() - t0
    pg1, (busy1, _) = _proc_cpu(pg), _machine_cpu()
    result["pg_cpu_share"] = _spent(pg0, pg1) / wall
    result["machine_cpu_share"] = (busy1 - busy0) / wall
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
            f"{per['server_cpu_share']:.2f} ms, PostgreSQL {per['pg_cpu_share']:.2f} ms")


def _pg_admin():
    import psycopg

    return psycopg.connect(PG_ADMIN.replace("postgresql+psycopg://", "postgresql://"), autocommit=True,
                           connect_timeout=3)


def one_count(workers: int, folder: Path, admin) -> dict[str, float]:
    """Both servers with `workers` workers on a new database: median requests/s of each."""
    database = f"flowstudio_bench_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{database}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + database
    servers: list[Server] = []
    try:
        flows = folder / "flows"
        flows.mkdir(exist_ok=True)
        (flows / f"{FLOW_ID}.yaml").write_text(FLOW)
        flow = web.Server(f"flowstudio-{workers}", "flowstudio", folder, {
            "FLOWSTUDIO_DATABASE_URL": url, "FLOWSTUDIO_DATA_DIR": str(folder / "data"),
            "FLOWSTUDIO_FLOWS_DIR": str(flows), "FLOWSTUDIO_LISTEN_HOST": "127.0.0.1"}, probe=web.PROBE, workers=workers)
        servers.append(flow)
        bare = web.Server(f"bare-{workers}", "bare_app", folder, {}, workers=workers)
        servers.append(bare)
        for s in servers:
            s.wait_ready(60)
        web.loadgen(flow, "once", web.STARTED)  # every contact's execution waits at `ask`
        for server, expect in ((bare, web.BARE), (flow, web.RESUMED)):
            web.loadgen(server, "max", expect, duration=WARMUP_S, connections=CONNECTIONS)
        rounds: dict[str, list[dict]] = {"bare": [], "flow": []}
        for _ in range(ROUNDS):
            for key, server, expect in (("bare", bare, web.BARE), ("flow", flow, web.RESUMED)):
                rounds[key].append(measured(server, database, expect))
        for key, runs in rounds.items():
            note(f"{workers} worker(s), {key}: " + "; ".join(_round(r) for r in runs))
        return {key: statistics.median(r["rps"] for r in runs) for key, runs in rounds.items()}
    finally:
        for s in servers:
            s.stop()
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def run(select=lambda name: True) -> list[Row]:
    wanted = [n for n in WORKERS if select(name_rps(n)) or select(name_scaling(n))]
    if not wanted:
        return []
    if 1 not in wanted and any(select(name_scaling(n)) for n in wanted):
        wanted.insert(0, 1)  # scaling is relative to one worker
    try:
        admin = _pg_admin()
    except Exception as exc:  # noqa: BLE001 - no server: say so, measure nothing
        note(f"skipped: PostgreSQL not reachable at {PG_ADMIN}: {exc}")
        return []
    flow_data()  # refuses a flow with validation issues
    folder = Path(tempfile.mkdtemp(prefix="flowstudio-bench-workers-"))
    results: dict[int, dict[str, float]] = {}
    try:
        for n in wanted:
            results[n] = one_count(n, folder, admin)
    finally:
        admin.close()
        shutil.rmtree(folder, ignore_errors=True)
    rows = []
    for n, best in results.items():
        rows.append(Row(name_rps(n), best["flow"], "req/s", f"bare Flask, {n} worker(s), {CONNECTIONS} connections",
                        best["bare"], best["flow"] / best["bare"]))
    for n, best in results.items():
        if n > 1 and 1 in results:
            flow_x, bare_x = best["flow"] / results[1]["flow"], best["bare"] / results[1]["bare"]
            rows.append(Row(name_scaling(n), flow_x, "x", "bare Flask 1 -> same workers", bare_x, flow_x / bare_x))
    note("scaling: " + ", ".join(f"{n} worker(s) {r['flow']:.0f} turns/s ({r['flow'] / r['bare']:.2f} of bare "
                                 f"{r['bare']:.0f} req/s)" for n, r in results.items()))
    return rows
