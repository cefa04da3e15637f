"""A 10,000-contact campaign at 100 per second on a real server: does it hold its rate,
start everyone exactly once, and leave other flows' webhooks fast?

Servers as `flowstudio serve` runs them (gunicorn with FlowStudio's worker), each on a
fresh database: SQLite with 1 worker, and PostgreSQL with 2 workers (both run the
campaign runner and share the sends). Flows: `notice` (incomingRequest -> one Send
Message, so each start is one message) and `echo` (an SMS loop: Send & Wait For Reply
answering every message). First, for BASE_S seconds, a probe texts `echo` at 20
messages per second (40 contacts in turn, keep-alive) and records each answer's
latency: the baseline p99. Then the campaign is created through the API and the probe
runs again until the campaign is done.

Rows, for each database:
- `campaign rate, 10,000 at 100/s (...)`: starts per second in the measured window (the
  middle 90 % of the time between the first and the last start, from the executions'
  `created_at`); baseline 100/s; target within 5 % (ratio 0.95-1.05), with 0 duplicates
  (contacts with more than one execution) and 0 missed (contacts with none) - the row
  fails otherwise, saying how many.
- `other flows' webhook p99 during a campaign (...)`: the probe's p99 during the
  campaign; baseline its p99 before; target at most 25 ms.

Needs PostgreSQL for its rows (FLOWSTUDIO_BENCH_PG, as bench_workers.py); takes about 4
minutes.
"""
from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import requests
from harness import Row, free_port

from flowstudio.adapters.store import Store, utc

ROOT = Path(__file__).resolve().parent.parent
CONTACTS, RATE = int(os.environ.get("FLOWSTUDIO_BENCH_CAMPAIGN_CONTACTS", 10_000)), 100.0
BASE_S, PROBE_RATE = 10.0, 20.0
PG_ADMIN = os.environ.get("FLOWSTUDIO_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOTICE = """spec_version: 1
name: notice
widgets:
  - {name: Trigger, type: trigger, transitions: {incomingRequest: say}}
  - {name: say, type: send-message, properties: {body: "Clinic closed on {{flow.data.day}}"}}
"""
ECHO = """spec_version: 1
name: echo
widgets:
  - {name: Trigger, type: trigger, transitions: {incomingMessage: ask}}
  - name: ask
    type: send-and-wait-for-reply
    properties: {body: "You said {{trigger.message.Body}}{{widgets.ask.inbound.Body}}", timeout: 3600}
    transitions: {incomingMessage: ask, timeout: null}
"""


class Probe(threading.Thread):
    """Texts `echo` at PROBE_RATE and records each answer's latency (seconds)."""

    def __init__(self, base: str):
        super().__init__(daemon=True)
        self.base, self.latencies, self.errors = base, [], 0
        self.stop = threading.Event()

    def run(self):
        session, n = requests.Session(), 0
        next_at = time.monotonic()
        while not self.stop.is_set():
            n += 1
            data = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": f"+1555444{n % 40:04d}", "To": "+15555550100",
                    "Body": str(n)}
            start = time.perf_counter()
            try:
                ok = session.post(self.base + "/webhooks/echo", data=data, timeout=10).status_code == 200
            except requests.RequestException:
                ok = False
            self.latencies.append(time.perf_counter() - start)
            self.errors += not ok
            next_at += 1 / PROBE_RATE
            time.sleep(max(0.0, next_at - time.monotonic()))

    def p99(self) -> float:
        return statistics.quantiles(self.latencies, n=100)[98] if len(self.latencies) > 10 else float("nan")


def _serve(folder: Path, url: str | None, workers: int):
    flows = folder / "flows"
    flows.mkdir()
    (flows / "notice.yaml").write_text(NOTICE)
    (flows / "echo.yaml").write_text(ECHO)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOWSTUDIO_", "TWILIO_"))}
    env["FLOWSTUDIO_DATA_DIR"] = str(folder / "data")
    if url:
        env["FLOWSTUDIO_DATABASE_URL"] = url
    proc = subprocess.Popen([sys.executable, "-m", "flowstudio.cli", "serve", "--flows", str(flows), "--port",
                             str(port), "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL,
                            stderr=open(folder / "server.log", "wb"), start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=2).ok:
                return proc, base
        except requests.RequestException:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError("server did not start:\n" + (folder / "server.log").read_text()[-3000:])


def _one(label: str, url: str | None, workers: int, folder: Path) -> list[Row]:
    proc, base = _serve(folder, url, workers)
    try:
        probe = Probe(base)
        probe.start()
        time.sleep(BASE_S)
        probe.stop.set()
        probe.join()
        before = probe.p99()
        numbers = [f"+1666{i:07d}" for i in range(CONTACTS)]
        answer = requests.post(base + "/api/flows/notice/campaigns", timeout=60, json={
            "from": "+15555550100", "rate": RATE, "contacts": [{"to": n, "parameters": {"day": "Monday"}} for n in numbers]})
        answer.raise_for_status()
        cid = answer.json()["id"]
        probe = Probe(base)
        probe.start()
        deadline = time.monotonic() + CONTACTS / RATE * 2 + 60
        while time.monotonic() < deadline:
            shown = requests.get(f"{base}/api/flows/notice/campaigns/{cid}", timeout=10).json()
            if shown["status"] == "done":
                break
            time.sleep(1)
        probe.stop.set()
        probe.join()
        during = probe.p99()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    store = Store(url or f"sqlite:///{folder / 'data' / 'flowstudio.db'}")
    try:
        rows = store.executions(flow_id="notice", limit=CONTACTS * 2)
    finally:
        store.close()
    per = Counter(r.contact for r in rows)
    duplicates = sum(1 for n in per.values() if n > 1)
    missed = sum(1 for n in numbers if n not in per)
    times = sorted(utc(r.created_at) for r in rows)
    span = (times[-1] - times[0]).total_seconds()
    lo, hi = times[0] + timedelta(seconds=span * 0.05), times[0] + timedelta(seconds=span * 0.95)
    in_window = sum(1 for t in times if lo <= t < hi)
    rate = in_window / (hi - lo).total_seconds()
    print(f"  {label}: {len(rows)} executions, {duplicates} duplicates, {missed} missed, status {shown['status']}, "
          f"{rate:.1f}/s in the window; probe p99 {before * 1000:.1f} ms before, {during * 1000:.1f} ms during "
          f"({probe.errors} errors)", file=sys.stderr)
    met = 0.95 <= rate / RATE <= 1.05 and duplicates == 0 and missed == 0
    return [Row(f"campaign rate, {CONTACTS:,} at 100/s ({label})", rate, "/s", "the rate asked", RATE, rate / RATE,
                "0.95-1.05, 0 duplicates, 0 missed", met),
            Row(f"other flows' webhook p99 during a campaign ({label})", during * 1000, "ms",
                "its p99 before the campaign", before * 1000, during / before, "<= 25 ms", during <= 0.025)]


def run(select=lambda name: True) -> list[Row]:
    rows = []
    folder = Path(tempfile.mkdtemp(prefix="flowstudio-campaign-"))
    try:
        names = [f"campaign rate, {CONTACTS:,} at 100/s ({{}})", "other flows' webhook p99 during a campaign ({})"]
        if any(select(n.format("SQLite, 1 worker")) for n in names):
            (folder / "sqlite").mkdir()
            rows += _one("SQLite, 1 worker", None, 1, folder / "sqlite")
        if not any(select(n.format("PostgreSQL, 2 workers")) for n in names):
            return rows
        try:
            import psycopg
            admin = psycopg.connect(PG_ADMIN.replace("postgresql+psycopg://", "postgresql://"), autocommit=True,
                                    connect_timeout=3)
        except Exception as exc:  # noqa: BLE001 - no server: the rows are skipped, saying why
            print(f"  PostgreSQL rows skipped: {exc}", file=sys.stderr)
            return rows
        name = f"flowstudio_bc_{uuid.uuid4().hex[:10]}"
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            (folder / "pg").mkdir()
            rows += _one("PostgreSQL, 2 workers", PG_ADMIN.rsplit("/", 1)[0] + "/" + name, 2, folder / "pg")
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            admin.close()
        return rows
    finally:
        shutil.rmtree(folder, ignore_errors=True)
