"""Inbound SMS turns through the real webhook, served by gunicorn, under load from another process.

Two servers run side by side for the whole benchmark, each a gunicorn started the way
`flowstudio serve` starts it (`flowstudio.server.serve`: FlowStudio's worker, see
flowstudio/gunicorn_worker.py, 1 worker, 64 threads, access log on stdout, here sent to
/dev/null), on 127.0.0.1 and a free port:
- FlowStudio: `flowstudio.create_app()` with FLOWSTUDIO_DATA_DIR (a temp folder: the
  SQLite file `flowstudio.db`), FLOWSTUDIO_FLOWS_DIR (a temp folder holding one flow,
  bench_runtime's 10-widget send-and-wait loop as `bench-loop.yaml`) and
  FLOWSTUDIO_LISTEN_HOST=127.0.0.1 (no Twilio token: unsigned webhooks on loopback);
- the baseline: `bare_app.create_app()`, a Flask app whose POST /webhooks/<flow>
  answers fixed TwiML (`<Response><Message>ok</Message></Response>`, text/xml).

The load comes from `loadgen.py` in its own process: keep-alive connections, 500
contacts, the 20-field form Twilio posts for an inbound SMS, a new MessageSid each time.
Every contact first sends one message (its execution starts and waits at `ask`), then
both servers are warmed up; from then on every FlowStudio answer must be the reply of
a resumed turn ("... replies. Next?"), every bare answer the fixed TwiML, and any
error fails the benchmark.

Rows:
- webhook SMS turns/s (SQLite): closed loop, 16 connections, 7 rounds of 4 s per
  server in turns (bare, FlowStudio, bare, ...), the median round; baseline the bare
  endpoint's requests/s; the ratio is the median of the seven rounds' ratios (each
  FlowStudio round against the bare round just before it: the machine's speed drifts
  within a run, by more than the target's margin, and a pair is measured 4 s apart);
  target ratio >= 0.6.
- webhook p99 at half max rate: open loop at half of each server's own median max
  rate, 32 connections, latency from each request's due time (no coordinated
  omission), 3 rounds of 5 s per server in turns, the median of the rounds' p99;
  baseline the bare endpoint's p99 at its own half max rate; target <= 25 ms.
- webhook SMS turns/s, FlowStudio's worker against gthread (SQLite): two FlowStudio
  servers (a database each), one on FlowStudio's worker (each request read whole in the
  event loop before a thread gets it: the defence against slow clients) and one on
  gunicorn's gthread, measured like the first row (7 rounds of 4 s in turns, the median
  of the rounds' ratios); target ratio >= 0.9 (the defence costs at most 10 %).
Details go to stderr (`bench_webhook: ...`): every round, the server's and the load
generator's CPU share, how late the generator sent, the p99 of all rounds pooled.
The servers and the load generator share the machine's cores (2 here).
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import Row, free_port, timing

from bench_runtime import FLOW, FLOW_ID, NUMBER, flow_data

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

RPS = "webhook SMS turns/s (SQLite)"
WORKER_RPS = "webhook SMS turns/s, FlowStudio's worker against gthread (SQLite)"
P99 = "webhook p99 at half max rate"

CONTACTS = 500
MAX_CONNECTIONS = 16      # closed loop: enough requests in flight that the one worker never idles
RATE_CONNECTIONS = 32     # open loop: enough that the generator never waits for a free connection
WARMUP_S = 3.0
MAX_S, MAX_ROUNDS = 4.0, 7
RATE_S, RATE_ROUNDS = 5.0, 3
LIFETIME_S = 300          # a server stops by itself after this, or as soon as this process is gone
RESUMED = "Got "        # every resumed turn's reply quotes the number sent ("Got 42. ...")
STARTED = "Hi! Send"    # the reply that starts a conversation
BARE = "<Message>ok</Message>"
# The first request to FlowStudio: one message (a GET, which Twilio may also send) from
# a contact outside the 500, alone, so the flow is loaded before concurrent traffic.
PROBE = (f"/webhooks/{FLOW_ID}?MessageSid=SM{'f' * 32}&AccountSid=AC{'0' * 32}&From=%2B19990000000"
         f"&To={NUMBER.replace('+', '%2B')}&Body=hi&NumMedia=0")

# The server process: `flowstudio serve [--workers N]`'s gunicorn (flowstudio.server.serve)
# around a factory, with a watchdog that stops it when the benchmark's process goes away.
LAUNCH = """
import importlib, os, signal, sys, threading, time
module, port, parent, lifetime, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
from flowstudio import gunicorn_conf
from flowstudio.server import serve
if len(sys.argv) > 6:  # another worker class, for the baseline of WORKER_RPS
    gunicorn_conf.worker_class = sys.argv[6]
factory = importlib.import_module(module).create_app
def watchdog():
    deadline = time.monotonic() + lifetime
    while os.getppid() == parent and time.monotonic() < deadline:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)
threading.Thread(target=watchdog, daemon=True).start()
serve(factory, "127.0.0.1", port, workers=workers)
"""


class Server:
    """One gunicorn (arbiter + `workers` workers) serving `module.create_app()`."""

    def __init__(self, name: str, module: str, folder: Path, env: dict, probe: str = "/", workers: int = 1,
                 worker_class: str | None = None):
        self.name = name
        self.probe = probe
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/webhooks/{FLOW_ID}"
        self.log = folder / f"{name}.log"
        environ = {k: v for k, v in os.environ.items()
                   if not k.startswith(("FLOWSTUDIO_", "TWILIO_", "GUNICORN_"))}
        environ.update(env)
        environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(HERE)] + (
            [os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", LAUNCH, module, str(self.port), str(os.getpid()), str(LIFETIME_S),
                 str(workers)] + ([worker_class] if worker_class else []),
                stdout=subprocess.DEVNULL, stderr=log, env=environ, cwd=folder)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until the worker answers an HTTP request (any status)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the {self.name} server exited:\n{self.log.read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", self.probe)
                response = conn.getresponse()
                body = response.read()
                conn.close()
                if self.probe != "/" and (response.status != 200 or STARTED.encode() not in body):
                    raise RuntimeError(f"the {self.name} server answered {response.status}: {body[:300]!r}")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the {self.name} server did not answer within {timeout:.0f} s")

    def cpu_seconds(self) -> float:
        """CPU time of the arbiter's children (the worker) so far."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:  # ppid
                total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        return total

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def loadgen(server: Server, mode: str, expect: str, *, duration: float = 0.0, rate: float = 0.0,
            connections: int = MAX_CONNECTIONS, raw: bool = False) -> dict:
    """Run loadgen.py against `server` in its own process; its JSON, plus the server's
    CPU share during the run. Refuses a run with any error."""
    args = [sys.executable, str(HERE / "loadgen.py"), server.url, "--mode", mode, "--contacts", str(CONTACTS),
            "--connections", str(connections), "--number", NUMBER, "--expect", expect]
    if mode != "once":
        args += ["--duration", str(duration)]
    if mode == "rate":
        args += ["--rate", f"{rate:.3f}"]
    if raw:
        args.append("--raw")
    cpu0, t0 = server.cpu_seconds(), time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, timeout=duration + 120)
    wall = time.perf_counter() - t0
    if done.returncode:
        raise RuntimeError(f"loadgen failed ({done.returncode}):\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    if result["errors"]:
        raise RuntimeError(f"{result['errors']} failed requests to the {server.name} server "
                           f"({mode}): {result['error_samples']}")
    result["server_cpu_share"] = (server.cpu_seconds() - cpu0) / (duration or wall)
    return result


def note(text: str) -> None:
    print(f"bench_webhook: {text}", file=sys.stderr, flush=True)


def measure(flow: Server, bare: Server, want_p99: bool) -> list[Row]:
    flow_answer, bare_answer = RESUMED, BARE
    # every contact starts its conversation (the execution then waits at `ask`)
    loadgen(flow, "once", STARTED)
    for server, expect in ((bare, bare_answer), (flow, flow_answer)):
        loadgen(server, "max", expect, duration=WARMUP_S)

    rounds: dict[str, list[dict]] = {"bare": [], "flow": []}
    for _ in range(MAX_ROUNDS):
        for key, server, expect in (("bare", bare, bare_answer), ("flow", flow, flow_answer)):
            rounds[key].append(loadgen(server, "max", expect, duration=MAX_S))
    best = {k: statistics.median(r["rps"] for r in v) for k, v in rounds.items()}
    for key, runs in rounds.items():
        note(f"{key} max: " + ", ".join(f"{r['rps']:.0f} req/s (server CPU {r['server_cpu_share']:.0%}, "
                                        f"loadgen CPU {r['cpu_share']:.0%})" for r in runs))
    ratios = [f["rps"] / b["rps"] for b, f in zip(rounds["bare"], rounds["flow"])]
    ratio = statistics.median(ratios)
    note("ratio of each round to the bare round before it: " + ", ".join(f"{r:.2f}" for r in ratios)
         + f"; median {ratio:.2f} (ratio of the medians {best['flow'] / best['bare']:.2f})")
    rows = [Row(RPS, best["flow"], "req/s", f"bare Flask fixed TwiML, same gunicorn, {MAX_CONNECTIONS} connections",
                best["bare"], ratio, "ratio >= 0.6", ratio >= 0.6)]
    if not want_p99:
        return rows

    p99s: dict[str, list[float]] = {"bare": [], "flow": []}
    pooled: dict[str, list[float]] = {"bare": [], "flow": []}
    for _ in range(RATE_ROUNDS):
        for key, server, expect in (("bare", bare, bare_answer), ("flow", flow, flow_answer)):
            r = loadgen(server, "rate", expect, duration=RATE_S, rate=best[key] / 2,
                        connections=RATE_CONNECTIONS, raw=True)
            p99s[key].append(r["latency_ms"]["p99"])
            pooled[key] += r["latencies_ms"]
            note(f"{key} at {best[key] / 2:.0f} req/s: achieved {r['rps']:.0f}, latency ms "
                 + ", ".join(f"{p} {r['latency_ms'][p]:.1f}" for p in ("p50", "p90", "p99", "max"))
                 + f"; generator late p99 {r['late_ms']['p99']:.1f} ms; server CPU {r['server_cpu_share']:.0%}, "
                 f"loadgen CPU {r['cpu_share']:.0%}")
    for key, values in pooled.items():
        note(f"{key} p99 of all {len(values)} requests at half max: {_p99(values):.1f} ms")
    p99 = {k: statistics.median(v) for k, v in p99s.items()}
    rows.append(timing(P99, p99["flow"] / 1000, f"bare Flask p99 at {best['bare'] / 2:.0f} req/s; "
                       f"webhook at {best['flow'] / 2:.0f} req/s", p99["bare"] / 1000, max_ms=25))
    return rows


def measure_worker(ours: Server, gthread: Server) -> list[Row]:
    """FlowStudio on its own worker (requests read whole in the event loop, under
    deadlines) against FlowStudio on gunicorn's gthread: rounds in turns, as for RPS."""
    for server in (ours, gthread):
        loadgen(server, "once", STARTED)
        loadgen(server, "max", RESUMED, duration=WARMUP_S)
    rounds: dict[str, list[dict]] = {"gthread": [], "ours": []}
    for _ in range(MAX_ROUNDS):
        for key, server in (("gthread", gthread), ("ours", ours)):
            rounds[key].append(loadgen(server, "max", RESUMED, duration=MAX_S))
    best = {k: statistics.median(r["rps"] for r in v) for k, v in rounds.items()}
    for key, runs in rounds.items():
        note(f"{key} worker max: " + ", ".join(f"{r['rps']:.0f} req/s (server CPU {r['server_cpu_share']:.0%})"
                                               for r in runs))
    ratios = [o["rps"] / g["rps"] for g, o in zip(rounds["gthread"], rounds["ours"])]
    ratio = statistics.median(ratios)
    note("worker: ratio of each round to the gthread round before it: " + ", ".join(f"{r:.2f}" for r in ratios)
         + f"; median {ratio:.2f}")
    # The worker's CPU per request moves less with the machine's load than requests/s.
    cpu = {k: statistics.median(r["server_cpu_share"] / r["rps"] * 1000 for r in v) for k, v in rounds.items()}
    note(f"worker: server CPU per request, median of the rounds: ours {cpu['ours']:.2f} ms, "
         f"gthread {cpu['gthread']:.2f} ms")
    return [Row(WORKER_RPS, best["ours"], "req/s", f"the same on gunicorn's gthread, {MAX_CONNECTIONS} connections",
                best["gthread"], ratio, "ratio >= 0.9", ratio >= 0.9)]


def _p99(values_ms: list[float]) -> float:
    s = sorted(values_ms)
    return s[max(0, -(-99 * len(s) // 100) - 1)]


def run(select=lambda name: True) -> list[Row]:
    if not (select(RPS) or select(P99) or select(WORKER_RPS)):
        return []
    flow_data()  # refuses a flow with validation issues
    folder = Path(tempfile.mkdtemp(prefix="flowstudio-bench-webhook-"))
    servers: list[Server] = []
    try:
        flows = folder / "flows"
        flows.mkdir()
        (flows / f"{FLOW_ID}.yaml").write_text(FLOW)

        def flowstudio(name: str, worker_class: str | None = None) -> Server:
            data = folder / f"data-{name}"  # a database each: the same 500 contacts start on each
            data.mkdir()
            server = Server(name, "flowstudio", folder, {
                "FLOWSTUDIO_DATA_DIR": str(data), "FLOWSTUDIO_FLOWS_DIR": str(flows),
                "FLOWSTUDIO_LISTEN_HOST": "127.0.0.1"}, probe=PROBE, worker_class=worker_class)
            servers.append(server)
            return server

        rows = []
        if select(RPS) or select(P99):
            flow = flowstudio("flowstudio")
            bare = Server("bare", "bare_app", folder, {})
            servers.append(bare)
            for s in servers:
                s.wait_ready()
            rows += measure(flow, bare, select(P99))
        if select(WORKER_RPS):
            ours, gthread = flowstudio("flowstudio-ours"), flowstudio("flowstudio-gthread", "gthread")
            for s in (ours, gthread):
                s.wait_ready()
            rows += measure_worker(ours, gthread)
        return rows
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(folder, ignore_errors=True)
