"""The server layer against Node-RED: webhook SMS turns/s, a new conversation each request.

What a user would pick instead of FlowStudio for "answer an SMS webhook from a visual
flow" is Node-RED. Side by side in one run, on 127.0.0.1 and free ports:
- `flowstudio serve`, exactly the production command the README gives (`make run`:
  `flowstudio serve --flows DIR`, its default workers: one per core), on its embedded
  SQLite database (FLOWSTUDIO_DATA_DIR, a temp folder), serving `FLOW`: 9 widgets; a
  first message walks Trigger -> route (split: STOP / HELP / anything else) ->
  remember (set-variables) -> welcome (send-and-wait-for-reply), which waits: every
  request starts a new execution, persisted with its steps, log and inbound delivery;
- Node-RED 4, stateless: `http in -> switch -> template -> http response` answering the
  same TwiML (installed by `npm install --prefix benchmarks/.nodered node-red@4` on first
  use, a git-ignored folder; where npm cannot, the Node-RED rows are skipped, saying so);
- bare Flask (`bare_app.py`: fixed TwiML, the form not read) under the same server as
  the production command (`flowstudio.server.serve`, the same workers).

Load: `wrk -t1 -c16` (Debian's wrk) for the maximum rate, with a Lua script that sends
the 20-field form Twilio posts for an inbound SMS, a new `From` and `MessageSid` on
every request, and counts answers that are not 200 with the expected TwiML (any fails
the benchmark). ROUNDS rounds of ROUND_S per server in turns (Node-RED, FlowStudio,
bare, Node-RED, ...): the median round counts, and the ratio is the median of each
round's ratio (a FlowStudio round against the Node-RED round just before it: the
shared machine's speed drifts within a run). After each round the benchmark waits until
that server is idle: FlowStudio's Results Summarizer gives way to turns and catches up
after a burst, so that work never runs in another server's round, and it is counted in
the CPU per request reported on stderr. Then p99 at half each server's max rate:
`loadgen.py --mode rate` (open loop, latency from each request's due time), new
contacts too, RATE_ROUNDS rounds, the median p99.

Rows:
- `server: webhook turns/s, new contact each (flowstudio serve)`: FlowStudio's turns/s;
  baseline Node-RED's requests/s; target ratio >= 1.0.
- `server: webhook turns/s against bare Flask (flowstudio serve)`: the same figure;
  baseline bare Flask under the same server and workers; no target (the app's cost).
- `server: webhook p99 at half max rate (flowstudio serve)`: baseline Node-RED's p99 at
  half its max; target <= 25 ms.
With FLOWSTUDIO_BENCH_CANDIDATES=1, the servers considered for `flowstudio serve` are
measured in the same rounds, each against Node-RED (`server: candidate ...` rows): the
DeadlineWorker with 1 and 2 workers, gunicorn's gevent worker (when gevent is
installed) and granian's WSGI server (when granian is installed), all on SQLite.
Details on stderr (`bench_server: ...`).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import http.client
from pathlib import Path

from harness import Row, free_port, settle

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NODERED_DIR = Path(os.environ.get("FLOWSTUDIO_BENCH_NODERED", HERE / ".nodered"))

FLOW_ID = "bench-sms"
NUMBER = "+15555550100"
CONNECTIONS = 16
WARMUP_S = 3.0
ROUND_S, ROUNDS = 5.0, 5
RATE_S, RATE_ROUNDS, RATE_CONNECTIONS = 5.0, 3, 32
EXPECT = "Welcome to Greenleaf"

RPS = "server: webhook turns/s, new contact each (flowstudio serve)"
VS_BARE = "server: webhook turns/s against bare Flask (flowstudio serve)"
P99 = "server: webhook p99 at half max rate (flowstudio serve)"
CANDIDATE = "server: candidate "

FLOW = """\
spec_version: 1
name: bench-sms
description: The server benchmark's SMS flow; a first message walks 4 of its 9 widgets and waits.
widgets:
  - name: Trigger
    type: trigger
    transitions:
      incomingMessage: route
  - name: route
    type: split-based-on
    properties:
      input: '{{trigger.message.Body | strip | upcase}}'
    transitions:
      noMatch: remember
      match:
        - next: stopped
          conditions:
            - type: matches_any_of
              value: STOP,UNSUBSCRIBE
              friendly_name: Opt-out
        - next: help
          conditions:
            - type: equal_to
              value: HELP
              friendly_name: Help
  - name: stopped
    type: send-message
    properties:
      body: You are unsubscribed.
    transitions:
      sent: null
  - name: help
    type: send-message
    properties:
      body: Text YES for offers, STOP to opt out.
    transitions:
      sent: null
  - name: remember
    type: set-variables
    properties:
      variables:
        - key: first
          value: '{{trigger.message.Body | strip}}'
    transitions:
      next: welcome
  - name: welcome
    type: send-and-wait-for-reply
    properties:
      body: Hi {{contact.channel.address}}! Welcome to Greenleaf. Reply YES for offers, or STOP.
      timeout: 3600
    transitions:
      incomingMessage: check
      timeout: bye
  - name: check
    type: split-based-on
    properties:
      input: '{{widgets.welcome.inbound.Body | strip | upcase}}'
    transitions:
      noMatch: bye
      match:
        - next: thanks
          conditions:
            - type: equal_to
              value: YES
              friendly_name: Yes
  - name: thanks
    type: send-message
    properties:
      body: Thanks, {{flow.variables.first}}!
    transitions:
      sent: null
  - name: bye
    type: send-message
    properties:
      body: Bye.
    transitions:
      sent: null
"""


def nodered_flows(port_path: str) -> list:
    """Node-RED's equivalent: http in -> switch (STOP / HELP / otherwise) -> template -> http response."""
    tab = "benchtab"
    xml = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>{}</Message></Response>'
    return [
        {"id": tab, "type": "tab", "label": "bench"},
        {"id": "in", "type": "http in", "z": tab, "url": port_path, "method": "post", "upload": False,
         "wires": [["route"]]},
        {"id": "route", "type": "switch", "z": tab, "property": "payload.Body", "propertyType": "msg",
         "rules": [{"t": "regex", "v": "^\\s*(STOP|UNSUBSCRIBE)\\s*$", "case": True},
                   {"t": "regex", "v": "^\\s*HELP\\s*$", "case": True}, {"t": "else"}],
         "checkall": "false", "outputs": 3, "wires": [["stopped"], ["help"], ["welcome"]]},
        {"id": "stopped", "type": "template", "z": tab, "field": "payload", "fieldType": "msg", "format": "text",
         "syntax": "mustache", "output": "str", "template": xml.format("You are unsubscribed."), "wires": [["out"]]},
        {"id": "help", "type": "template", "z": tab, "field": "payload", "fieldType": "msg", "format": "text",
         "syntax": "mustache", "output": "str",
         "template": xml.format("Text YES for offers, STOP to opt out."), "wires": [["out"]]},
        {"id": "welcome", "type": "template", "z": tab, "field": "payload", "fieldType": "msg", "format": "text",
         "syntax": "mustache", "output": "str",
         "template": xml.format("Hi {{payload.From}}! Welcome to Greenleaf. Reply YES for offers, or STOP."),
         "wires": [["out"]]},
        {"id": "out", "type": "http response", "z": tab, "statusCode": "200",
         "headers": {"content-type": "text/xml"}, "wires": []},
    ]


# The wrk script: the form Twilio posts for an inbound SMS, a new contact and MessageSid
# each request (numbers from BASE up), counting answers without the expected text.
WRK_LUA = """
local n = %(base)d
bad = 0
request = function()
  n = n + 1
  local from = "%%2B1" .. string.format("%%010d", n %% 10000000000)
  local sid = "SM" .. string.format("%%032d", n)
  local body = "ToCountry=US&ToState=CA&SmsMessageSid=" .. sid .. "&NumMedia=0&ToCity=SAN+FRANCISCO" ..
    "&FromZip=20001&SmsSid=" .. sid .. "&FromState=DC&SmsStatus=received&FromCity=WASHINGTON&Body=hello" ..
    "&FromCountry=US&To=%%2B15555550100&ToZip=94105&NumSegments=1&MessageSid=" .. sid ..
    "&AccountSid=AC00000000000000000000000000000000&From=" .. from .. "&ApiVersion=2010-04-01" ..
    "&MessagingServiceSid=MG00000000000000000000000000000000"
  return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded",
                                  ["User-Agent"] = "TwilioProxy/1.1"}, body)
end
response = function(status, headers, body)
  if status ~= 200 or not string.find(body, "%(expect)s", 1, true) then bad = bad + 1 end
end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("BAD %%d\\n", total))
end
"""


def note(text: str) -> None:
    print(f"bench_server: {text}", file=sys.stderr, flush=True)


class Proc:
    """A server process group started from a command line; `path`: the webhook's path."""

    def __init__(self, name: str, cmd: list[str], folder: Path, env: dict, port: int, path: str, expect: str):
        self.name, self.port, self.path, self.expect = name, port, path, expect
        self.url = f"http://127.0.0.1:{port}{path}"
        self.log = folder / f"{name}.log"
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("FLOWSTUDIO_", "TWILIO_", "GUNICORN_"))}
        environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(HERE)])
        environ.update(env)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, env=environ, cwd=folder,
                                         start_new_session=True, stdin=subprocess.DEVNULL)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until a first webhook (a contact outside the benchmark's) gets the expected answer."""
        deadline = time.monotonic() + timeout
        body = (f"MessageSid=SM{'f' * 32}&AccountSid=AC{'0' * 32}&From=%2B19990000000&To=%2B15555550100"
                f"&Body=hi&NumMedia=0")
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the {self.name} server exited:\n{self.log.read_text()[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("POST", self.path, body, {"Content-Type": "application/x-www-form-urlencoded"})
                response = conn.getresponse()
                answer = response.read().decode(errors="replace")
                conn.close()
                if response.status == 200 and self.expect in answer:
                    return
                if response.status != 404:  # Node-RED answers 404 until its flows are started
                    raise RuntimeError(f"the {self.name} server answered {response.status}: {answer[:300]}")
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the {self.name} server did not answer within {timeout:.0f} s:\n"
                           f"{self.log.read_text()[-3000:]}")

    def cpu_seconds(self) -> float:
        """CPU time of the process group so far (master and workers)."""
        tick, total = os.sysconf("SC_CLK_TCK"), 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.proc.pid:  # process group
                total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


_base = [int(time.time()) % 10_000 * 100_000]   # contacts never repeat within a run


def _next_base(count: int) -> int:
    base = 2_000_000_000 + _base[0]
    _base[0] += count
    return base


def wrk(server: Proc, folder: Path, duration: float) -> dict:
    """One closed-loop round of `wrk -t1 -c16`: requests/s, and the server's CPU share."""
    script = folder / f"wrk-{server.name}.lua"
    script.write_text(WRK_LUA % {"base": _next_base(200_000), "expect": server.expect})
    cpu0 = server.cpu_seconds()
    done = subprocess.run(["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{duration:g}s", "--latency", "-s", str(script),
                           server.url], capture_output=True, text=True, timeout=duration + 60)
    out = done.stdout
    if done.returncode:
        raise RuntimeError(f"wrk failed on {server.name}: {done.stderr[-1000:]}")
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    bad = int(re.search(r"BAD (\d+)", out).group(1))
    errors = re.search(r"Socket errors: (.*)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad or non2xx or (errors and re.search(r"(connect|read|write|timeout) [1-9]", errors.group(1))):
        raise RuntimeError(f"{server.name}: {bad} wrong answers; wrk said:\n{out[-1500:]}")
    cpu1 = server.cpu_seconds()
    after = settle(server)
    return {"rps": rps, "cpu": (cpu1 - cpu0) / duration, "cpu_per_request_ms": (cpu1 - cpu0 + after) / (rps * duration) * 1000,
            "after_s": after}


def rate(server: Proc, requests_per_s: float) -> dict:
    """One open-loop round of loadgen.py at `requests_per_s`, new contacts."""
    args = [sys.executable, str(HERE / "loadgen.py"), server.url, "--mode", "rate", "--rate", f"{requests_per_s:.1f}",
            "--duration", str(RATE_S), "--connections", str(RATE_CONNECTIONS), "--contacts", "10000000",
            "--first-contact", str(_next_base(int(requests_per_s * RATE_S) + 10)),
            "--number", NUMBER, "--expect", server.expect]
    done = subprocess.run(args, capture_output=True, text=True, timeout=RATE_S + 120)
    if done.returncode:
        raise RuntimeError(f"loadgen failed on {server.name}: {done.stderr[-1500:]}")
    result = json.loads(done.stdout)
    if result["errors"]:
        raise RuntimeError(f"{result['errors']} failed requests to {server.name}: {result['error_samples']}")
    return result


def nodered_installed() -> Path | None:
    """Node-RED 4's start script, installed with npm into NODERED_DIR if it is not yet."""
    red = NODERED_DIR / "node_modules" / "node-red" / "red.js"
    if red.exists():
        return red
    if not shutil.which("npm") or not shutil.which("node"):
        note("Node-RED column skipped: no npm/node on this machine")
        return None
    NODERED_DIR.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["npm", "install", "--prefix", str(NODERED_DIR), "node-red@4", "--no-audit", "--no-fund"],
                          capture_output=True, text=True, timeout=600)
    if done.returncode or not red.exists():
        note(f"Node-RED column skipped: npm could not install node-red@4: {done.stderr[-500:]}")
        return None
    return red


def start_nodered(red: Path, folder: Path) -> Proc:
    user = folder / "nodered"
    user.mkdir()
    (user / "flows.json").write_text(json.dumps(nodered_flows(f"/webhooks/{FLOW_ID}")))
    # no editor or admin API, no credential encryption: the runtime alone, as deployed
    (user / "settings.js").write_text("module.exports = { httpAdminRoot: false, credentialSecret: false, "
                                      "logging: { console: { level: 'warn' } } };\n")
    port = free_port()
    return Proc("node-red", ["node", str(red), "--userDir", str(user), "--settings", str(user / "settings.js"),
                             "--port", str(port), "flows.json"], folder, {}, port, f"/webhooks/{FLOW_ID}", "Welcome")


SERVE_LAUNCH = """
import importlib, sys
from flowstudio.server import serve
serve(importlib.import_module(sys.argv[1]).create_app, "127.0.0.1", int(sys.argv[2]), workers=int(sys.argv[3]))
"""


def flowstudio_env(folder: Path, name: str, flows: Path) -> dict:
    """A database of its own (the same contacts may start on each), flows and loopback."""
    data = folder / f"data-{name}"
    data.mkdir()
    return {"FLOWSTUDIO_DATA_DIR": str(data), "FLOWSTUDIO_FLOWS_DIR": str(flows), "FLOWSTUDIO_LISTEN_HOST": "127.0.0.1"}


def start_servers(folder: Path, candidates: bool) -> dict[str, Proc]:
    """FlowStudio under the production command, bare Flask under the same server, and
    (candidates) the other servers considered."""
    flows = folder / "flows"
    flows.mkdir()
    (flows / f"{FLOW_ID}.yaml").write_text(FLOW)
    path = f"/webhooks/{FLOW_ID}"
    py = sys.executable
    servers = {}
    port = free_port()
    servers["flowstudio"] = Proc("flowstudio", [py, "-m", "flowstudio.cli", "serve", "--flows", str(flows),
                                                "--port", str(port)],
                                 folder, flowstudio_env(folder, "prod", flows), port, path, EXPECT)
    from flowstudio.cli import default_workers
    port = free_port()
    servers["bare"] = Proc("bare", [py, "-c", SERVE_LAUNCH, "bare_app", str(port), str(default_workers())],
                           folder, {}, port, path, "<Message>ok</Message>")
    if candidates:
        for workers in (1, 2):
            port = free_port()
            servers[f"DeadlineWorker {workers} worker(s)"] = Proc(
                f"deadline-{workers}", [py, "-m", "flowstudio.cli", "serve", "--flows", str(flows), "--port", str(port),
                                        "--workers", str(workers)],
                folder, flowstudio_env(folder, f"deadline-{workers}", flows), port, path, EXPECT)
        gunicorn = shutil.which("gunicorn", path=str(Path(py).parent))
        try:
            import gevent  # noqa: F401
            port = free_port()
            servers["gunicorn gevent 1 worker"] = Proc(
                "gevent", [gunicorn, "-k", "gevent", "--worker-connections", "1000", "-w", "1", "-b",
                           f"127.0.0.1:{port}", "flowstudio:create_app()"],
                folder, flowstudio_env(folder, "gevent", flows), port, path,
                EXPECT)
        except ImportError:
            note("candidate gevent skipped: gevent is not installed")
        granian = shutil.which("granian", path=str(Path(py).parent))
        if granian:
            for workers in (1, 2):
                port = free_port()
                servers[f"granian {workers} worker(s)"] = Proc(
                    f"granian-{workers}", [granian, "--interface", "wsgi", "--workers", str(workers), "--host",
                                           "127.0.0.1", "--port", str(port), "--factory", "flowstudio:create_app",
                                           "--no-ws", "--log-level", "warning"],
                    folder, flowstudio_env(folder, f"granian-{workers}", flows), port, path, EXPECT)
        else:
            note("candidate granian skipped: granian is not installed")
    return servers


def run(select=lambda name: True) -> list[Row]:
    candidates = os.environ.get("FLOWSTUDIO_BENCH_CANDIDATES") == "1"
    if not (select(RPS) or select(VS_BARE) or select(P99) or (candidates and select(CANDIDATE))):
        return []
    if not shutil.which("wrk"):
        note("skipped: wrk is not installed (apt-get install wrk)")
        return []
    folder = Path(tempfile.mkdtemp(prefix="flowstudio-bench-server-"))
    servers: dict[str, Proc] = {}
    try:
        servers = start_servers(folder, candidates)
        red = nodered_installed()
        if red is not None:
            servers["node-red"] = start_nodered(red, folder)
        for s in servers.values():
            s.wait_ready()
        order = (["node-red"] if "node-red" in servers else []) + [k for k in servers if k != "node-red"]
        for key in order:
            wrk(servers[key], folder, WARMUP_S)
        rounds: dict[str, list[dict]] = {k: [] for k in order}
        for _ in range(ROUNDS):
            for key in order:
                rounds[key].append(wrk(servers[key], folder, ROUND_S))
        for key, runs in rounds.items():
            note(f"{key}: " + ", ".join(f"{r['rps']:.0f}/s (CPU {r['cpu']:.2f} cores; {r['cpu_per_request_ms']:.2f} ms a "
                                        f"request with {r['after_s']:.2f} s after the round)" for r in runs))
        best = {k: statistics.median(r["rps"] for r in v) for k, v in rounds.items()}

        def ratio(key: str, base: str) -> float:
            return statistics.median(a["rps"] / b["rps"] for a, b in zip(rounds[key], rounds[base]))

        from flowstudio.cli import default_workers
        workers = default_workers()
        rows = []
        if "node-red" in servers:
            r = ratio("flowstudio", "node-red")
            rows.append(Row(RPS, best["flowstudio"], "req/s",
                            f"Node-RED 4 stateless, wrk -t1 -c{CONNECTIONS}; {workers} workers", best["node-red"], r,
                            "ratio >= 1.0", r >= 1.0))
        else:
            rows.append(Row(RPS, best["flowstudio"], "req/s", "Node-RED: not installed (see stderr)"))
        rows.append(Row(VS_BARE, best["flowstudio"], "req/s", f"bare Flask, same server, {workers} workers",
                        best["bare"], ratio("flowstudio", "bare")))
        for key in rounds:
            if key not in ("flowstudio", "bare", "node-red") and "node-red" in servers:
                rows.append(Row(CANDIDATE + key, best[key], "req/s", "Node-RED 4 stateless", best["node-red"],
                                ratio(key, "node-red")))
        if select(P99):
            base_key = "node-red" if "node-red" in servers else "bare"
            p99s: dict[str, list[float]] = {"flowstudio": [], base_key: []}
            for _ in range(RATE_ROUNDS):
                for key in p99s:
                    r = rate(servers[key], best[key] / 2)
                    settle(servers[key])
                    p99s[key].append(r["latency_ms"]["p99"])
                    note(f"{key} at {best[key] / 2:.0f}/s: achieved {r['rps']:.0f}/s, p50 "
                         f"{r['latency_ms']['p50']:.1f} ms, p99 {r['latency_ms']['p99']:.1f} ms, generator late p99 "
                         f"{r['late_ms']['p99']:.1f} ms")
            p99 = {k: statistics.median(v) for k, v in p99s.items()}
            rows.append(Row(P99, p99["flowstudio"], "ms", f"{base_key} p99 at half its max ({best[base_key] / 2:.0f}/s); "
                            f"FlowStudio at {best['flowstudio'] / 2:.0f}/s", p99[base_key],
                            p99["flowstudio"] / p99[base_key] if p99[base_key] else None, "<= 25 ms",
                            p99["flowstudio"] <= 25))
        return rows
    finally:
        for s in servers.values():
            s.stop()
        shutil.rmtree(folder, ignore_errors=True)
