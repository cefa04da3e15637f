"""Another flow's webhook latency while a runaway flow is being hit, against the same when idle.

One server (gunicorn as `flowstudio serve` starts it, 1 worker, 64 threads; see
bench_webhook.Server), with two flows:
- `echo`: the other flow, trigger -> send-message "pong {{trigger.message.Body}}";
- `runaway`: trigger -> a chain of 40 set-variables widgets whose templates each stay
  within every template limit (a 1,000-iteration loop of filters, about 50 ms a
  widget): 2 s of pure-Python work per message, which only the turn's CPU budget
  (1 s by default) stops. Pure Python is the worst case for the others: it holds the
  interpreter lock, where a regex gives it away while it matches.

Rounds in turns (idle, attacked, idle, ...): the echo flow gets an open loop of RATE
requests/s for ROUND_S seconds (latency from each request's due time, loadgen.py); in
an attacked round, a second load generator hits `runaway` in a closed loop on
RUNAWAY_CONNECTIONS connections, from a second before until after the round. The
figure is the median of the attacked rounds' p99, the baseline the median of the idle
rounds' p99; target: the p99 added by the runaway flow (the median, over the pairs of
rounds, of an attacked round's p99 minus the idle round's just before it) <= 100 ms:
other flows never wait more than about 100 ms for a runaway turn. (An absolute p99
target would measure the machine's load: on the shared 2-core machine an idle
round's p99 alone moves between 10 and 200 ms.) Rows for SQLite, and for PostgreSQL when
FLOWSTUDIO_BENCH_PG's server answers (a new database, dropped afterwards).
Details go to stderr (`bench_stall: ...`): every round's p50/p99/max and how many
runaway turns ran and how long they took. These rows take about 70 s.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml
from harness import Row

from bench_webhook import HERE, Server

NAME = "other flow's webhook p99 with a runaway flow ({db})"
RATE = 40.0               # requests/s to the echo flow
CONNECTIONS = 8
ROUND_S = 5.0
ROUNDS = 3
RUNAWAY_CONNECTIONS = 4   # runaway messages in flight at once
RUNAWAY_LEAD_S = 1.0      # the runaway load starts this long before a round
TARGET_MS = 100.0
NUMBER = "+15555550100"
PG = os.environ.get("FLOWSTUDIO_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

HEAVY = ('{% assign s = "abcdefghij" %}{% for i in (1..1000) %}'
         '{% assign u = s | append: i | upcase | replace: "A", "b" | downcase | size %}{% endfor %}{{ u }}')


def _flows(folder: Path) -> None:
    echo = {"spec_version": 1, "name": "echo", "widgets": [
        {"name": "Trigger", "type": "trigger", "transitions": {"incomingMessage": "pong"}},
        {"name": "pong", "type": "send-message", "properties": {"body": "pong {{trigger.message.Body}}"}}]}
    chain = [{"name": f"work{i}", "type": "set-variables",
              "properties": {"variables": [{"key": f"v{i}_{j}", "value": HEAVY} for j in range(3)]},
              "transitions": {"next": f"work{i + 1}" if i < 39 else "done"}} for i in range(40)]
    runaway = {"spec_version": 1, "name": "runaway", "widgets": [
        {"name": "Trigger", "type": "trigger", "transitions": {"incomingMessage": "work0"}}, *chain,
        {"name": "done", "type": "send-message", "properties": {"body": "done"}}]}
    for flow in (echo, runaway):
        (folder / f"{flow['name']}.yaml").write_text(yaml.safe_dump(flow, sort_keys=False))


def note(text: str) -> None:
    print(f"bench_stall: {text}", file=sys.stderr, flush=True)


def _loadgen(url: str, mode: str, duration: float, connections: int, expect: str, rate: float = 0.0):
    args = [sys.executable, str(HERE / "loadgen.py"), url, "--mode", mode, "--duration", str(duration),
            "--connections", str(connections), "--contacts", "500", "--number", NUMBER, "--expect", expect,
            "--timeout", "10"]
    if mode == "rate":
        args += ["--rate", str(rate)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _result(proc: subprocess.Popen, what: str, errors_allowed: bool = False) -> dict:
    out, err = proc.communicate(timeout=120)
    if proc.returncode:
        raise RuntimeError(f"loadgen ({what}) failed ({proc.returncode}):\n{err[-2000:]}")
    result = json.loads(out)
    if result["errors"] and not errors_allowed:
        raise RuntimeError(f"{result['errors']} failed requests ({what}): {result['error_samples']}")
    return result


def measure(server: Server, db: str) -> Row:
    base = f"http://127.0.0.1:{server.port}/webhooks"
    _result(_loadgen(f"{base}/echo", "rate", 2.0, CONNECTIONS, "pong", RATE), "warm-up")
    p99s: dict[str, list[float]] = {"idle": [], "attacked": []}
    for _ in range(ROUNDS):
        for kind in ("idle", "attacked"):
            runaway = None
            if kind == "attacked":
                runaway = _loadgen(f"{base}/runaway", "max", ROUND_S + 2 * RUNAWAY_LEAD_S, RUNAWAY_CONNECTIONS, "")
                time.sleep(RUNAWAY_LEAD_S)
            r = _result(_loadgen(f"{base}/echo", "rate", ROUND_S, CONNECTIONS, "pong", RATE), f"echo, {kind}")
            lat = r["latency_ms"]
            p99s[kind].append(lat["p99"])
            extra = ""
            if runaway is not None:
                a = _result(runaway, "runaway", errors_allowed=True)  # its answers are not what is measured
                took = a["latency_ms"] or {"p50": 0.0, "max": 0.0}
                extra = (f"; runaway: {a['requests']} turns answered, {a['errors']} not within 10 s, "
                         f"latency ms p50 {took['p50']:.0f} max {took['max']:.0f}")
            note(f"{db} {kind}: echo latency ms p50 {lat['p50']:.1f} p99 {lat['p99']:.1f} max {lat['max']:.1f}"
                 f" (generator late p99 {r['late_ms']['p99']:.1f}){extra}")
    attacked, idle = statistics.median(p99s["attacked"]), statistics.median(p99s["idle"])
    # What the runaway added: each attacked round against the idle round just before it
    # (the machine's load drifts between rounds by more than what is measured here).
    added = statistics.median(a - i for i, a in zip(p99s["idle"], p99s["attacked"]))
    note(f"{db}: p99 added by the runaway flow, per pair of rounds: "
         + ", ".join(f"{a - i:+.1f}" for i, a in zip(p99s["idle"], p99s["attacked"])) + f" ms; median {added:+.1f} ms")
    return Row(NAME.format(db=db), attacked, "ms", f"its p99 when idle, {RATE:.0f} req/s", idle,
               attacked / idle if idle else None, f"p99 added <= {TARGET_MS:.0f} ms", added <= TARGET_MS)


def _pg_admin():
    try:
        import psycopg
        return psycopg.connect(PG.replace("postgresql+psycopg://", "postgresql://"), autocommit=True,
                               connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - no server: the row is skipped
        note(f"PostgreSQL row skipped: {exc}")
        return None


def run(select=lambda name: True) -> list[Row]:
    rows = []
    for db in ("SQLite", "PostgreSQL"):
        if not select(NAME.format(db=db)):
            continue
        folder = Path(tempfile.mkdtemp(prefix="flowstudio-bench-stall-"))
        admin = database = server = None
        try:
            (folder / "flows").mkdir()
            _flows(folder / "flows")
            env = {"FLOWSTUDIO_DATA_DIR": str(folder / "data"), "FLOWSTUDIO_FLOWS_DIR": str(folder / "flows"),
                   "FLOWSTUDIO_LISTEN_HOST": "127.0.0.1"}
            if db == "PostgreSQL":
                admin = _pg_admin()
                if admin is None:
                    continue
                database = f"flowstudio_stall_{uuid.uuid4().hex[:12]}"
                admin.execute(f'CREATE DATABASE "{database}"')
                env["FLOWSTUDIO_DATABASE_URL"] = PG.rsplit("/", 1)[0] + "/" + database
            server = Server("flowstudio", "flowstudio", folder, env)
            server.wait_ready()
            rows.append(measure(server, db))
        finally:
            if server is not None:
                server.stop()
            if admin is not None:
                if database is not None:
                    admin.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
                admin.close()
            shutil.rmtree(folder, ignore_errors=True)
    return rows
