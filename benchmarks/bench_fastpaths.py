"""Each hand-written fast path of the webhook turn against the plain library it replaced.

A whole inbound SMS turn, in process: a WSGI call of the full app (`create_app()`: the
metrics and edge middleware, the webhooks, Flask) with a POST of the 20-field form
Twilio sends (loadgen.py's `sms_form`), from a contact waiting at `ask` in
bench_runtime's `FLOW` (the 3-widget turn: the reply saved, checked, the question asked
again), persisted in an SQLite file; every answer is checked. The WSGI environ is
built before the clock starts (parsing HTTP is the server's work, not the app's).

One app per variant, each on its own SQLite file and flow folder, no scheduler:

- `all fast paths`: the code as it is;
- `webhooks: WSGI app vs Flask routing`: `/webhooks/<flow>` and `/webhooks/<flow>/status`
  routed as Flask views instead of `webhooks.install`'s WSGI app in front of Flask (the
  same `dispatch`, reading `flask.request`, answering a werkzeug `Response`);
- `formdata.decode vs werkzeug's form parser`: `request.form.to_dict()` instead (the
  fallback `form_of` already has for other content types);
- `TwiML as text vs twilio's builder`: every answer built with `MessagingResponse` (what
  `twiml.messaging` does for replies with media);
- `liquidplan vs python-liquid alone`: `liquidplan.plan` answers None, so python-liquid
  renders every template;
- `all fast paths again (A/A control)`: a second app like the first: how far two equal
  variants land apart in this measurement (its "saving" should be about 0).

Turns are timed one by one, in turns: one turn of each variant (in an order that
rotates), then again; WARMUP untimed turns each (every contact's first reply), then
TURNS timed ones. The figure is the median **CPU time of the thread** per turn
(`time.thread_time`; the turn is CPU-bound: SQLite in WAL mode with synchronous=NORMAL
does not wait for the disk on commit): on the shared 2-core machine the wall time of a
batch moved by 30 % from one batch to the next and two equal apps landed 35 % apart,
where the CPU time of interleaved single turns keeps them within about 1-3 %.

Each row: figure = the turn with every fast path, baseline = the turn with that one
replaced by its plain library; 1 - ratio is the share of the plain turn the fast path
saves. Target ratio <= 0.95: a fast path stays only while it saves >= 5 % of a turn.

The `served SMS turn CPU, ...` rows compare the same variants through the real server:
one server per variant (bench_webhook's `Server`, as `flowstudio serve` starts it, 1
worker; `plain_app.py` applies the variant's patches), closed-loop load in turns
(SERVE_ROUNDS rounds of SERVE_S seconds); the figure is the worker's CPU per request
(median of the rounds). Coarser than the in-process rows: see benchmarks/README.md.
"""
from __future__ import annotations

import io
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from unittest import mock

from harness import Row, timing

from bench_runtime import FLOW, FLOW_ID, NUMBER, flow_data
from loadgen import contact, sms_form

CONTACTS = 300
WARMUP = 300       # untimed turns of each variant (each contact's first reply)
TURNS = 2_000      # timed turns of each variant
SERVE_WARMUP_S, SERVE_S, SERVE_ROUNDS = 2.0, 3.0, 9   # server rows: closed loop, 16 connections
REPLY = b">Got 7. Send a number, or STOP.</Message>"

ALL = "all fast paths"
HOOK = "webhooks: WSGI app vs Flask routing"
FORM = "formdata.decode vs werkzeug's form parser"
TWIML = "TwiML as text vs twilio's builder"
PLAN = "liquidplan vs python-liquid alone"
CONTROL = "all fast paths again (A/A control)"
NAMES = {HOOK: "Flask routing", FORM: "werkzeug's form", TWIML: "twilio's builder", PLAN: "python-liquid alone",
         CONTROL: "every fast path (a second app)"}


# ---------------------------------------------------------------- the plain variants

def flask_webhooks(app) -> None:
    """The webhooks as Flask views (instead of `webhooks.install`'s WSGI app in front)."""
    from flask import request
    from werkzeug.wrappers import Response

    from flowstudio.web import webhooks

    hooks = webhooks.Webhooks(app, None)

    def answer(flow_id: str, status: str = ""):
        response = hooks.dispatch(request)
        if isinstance(response, webhooks._Xml):
            return Response(response.body, mimetype="text/xml")
        return response

    methods = list(webhooks.METHODS)
    app.add_url_rule("/webhooks/<flow_id>", "webhook", answer, methods=methods)
    app.add_url_rule("/webhooks/<flow_id>/<any(status):status>", "webhook_status", answer, methods=methods)


def werkzeug_form(environ: dict) -> dict:
    """`form_of` without the decoder: werkzeug's `request.form` (with the NUL check)."""
    from werkzeug.wrappers import Request

    from flowstudio.web import formdata
    cached = environ.get("flowstudio.form")
    if cached is None:
        cached = (environ.get("werkzeug.request") or Request(environ)).form.to_dict()
        if any("\x00" in k or "\x00" in v for k, v in cached.items()):
            formdata._refuse_nul()
        environ["flowstudio.form"] = cached
    return cached


def built_messages(replies: list, status_url) -> str:
    """`twiml.messaging`'s builder branch for every answer."""
    from twilio.twiml.messaging_response import MessagingResponse
    response = MessagingResponse()
    for reply in replies:
        attrs = {"action": status_url(reply.widget)} if status_url and reply.widget else {}
        response.message(reply.body, **attrs)
    return str(response)


def patches(name: str) -> list:
    """The monkeypatches (unittest.mock patchers) that make variant `name`."""
    if name == HOOK:   # applies when the app is made
        return [mock.patch("flowstudio.web.webhooks.install", flask_webhooks)]
    if name == FORM:
        return [mock.patch("flowstudio.web.formdata.form_of", werkzeug_form)]
    if name == TWIML:
        return [mock.patch("flowstudio.adapters.twiml._plain_messages", built_messages)]
    if name == PLAN:
        return [mock.patch("flowstudio.engine.liquidplan.plan", lambda template, env: None)]
    return []


@contextmanager
def variant(name: str):
    """The variant's monkeypatches, for the time of its calls."""
    with ExitStack() as stack:
        for patch in patches(name):
            stack.enter_context(patch)
        yield


# ---------------------------------------------------------------- apps and turns

class App:
    """A FlowStudio app (one variant) on its own SQLite file, with CONTACTS waiting."""

    def __init__(self, name: str, folder: Path):
        from flowstudio.web.app import create_app
        self.name = name
        flows, data = folder / "flows", folder / "data"
        flows.mkdir(parents=True)
        data.mkdir()
        (flows / f"{FLOW_ID}.yaml").write_text(FLOW)
        config = {"FLOWS_DIR": str(flows), "DATA_DIR": str(data), "DATABASE_URL": None, "SCHEDULER": False,
                  "LISTEN_HOST": "127.0.0.1", "TWILIO_AUTH_TOKEN": None, "TWILIO_ACCOUNT_SID": None}
        with variant(name):
            self.app = create_app(config)
        self.sids = 0
        self.next_contact = 0
        with variant(name):
            for c in range(CONTACTS):   # each conversation starts and waits at `ask`
                self.call([self.environ(c, "hi")], expect=b">Hi! Send a number, or STOP.</Message>")

    def environ(self, c: int, body: str) -> dict:
        """A gunicorn-like WSGI environ of Twilio's POST for contact `c`."""
        self.sids += 1
        form = sms_form(NUMBER, contact(c), f"SM{self.sids:032d}", body)
        return {
            "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "PATH_INFO": f"/webhooks/{FLOW_ID}", "QUERY_STRING": "",
            "RAW_URI": f"/webhooks/{FLOW_ID}", "SERVER_PROTOCOL": "HTTP/1.1", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8080", "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000",
            "HTTP_HOST": "127.0.0.1:8080", "HTTP_USER_AGENT": "TwilioProxy/1.1", "HTTP_ACCEPT": "*/*",
            "HTTP_CACHE_CONTROL": "max-age=259200", "HTTP_I_TWILIO_IDEMPOTENCY_TOKEN": f"tok-{self.sids}",
            "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=UTF-8",
            "CONTENT_LENGTH": str(len(form)), "wsgi.input": io.BytesIO(form), "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http", "wsgi.version": (1, 0), "wsgi.multithread": True,
            "wsgi.multiprocess": False, "wsgi.run_once": False,
        }

    def batch(self, turns: int) -> list[dict]:
        """`turns` environs, each a reply of the next waiting contact."""
        out = []
        for _ in range(turns):
            out.append(self.environ(self.next_contact, "7"))
            self.next_contact = (self.next_contact + 1) % CONTACTS
        return out

    def call(self, environs: list[dict], expect: bytes = REPLY) -> list[float]:
        """Answer each environ through the whole WSGI app; the CPU seconds of each."""
        status: list = []

        def start_response(line, headers, exc_info=None):
            status.append(line)

        answers, times = [], []
        wsgi, clock = self.app.wsgi_app, time.thread_time
        for environ in environs:
            start = clock()
            body = wsgi(environ, start_response)
            answers.append(b"".join(body))
            if hasattr(body, "close"):
                body.close()
            times.append(clock() - start)
        bad = [(s, a) for s, a in zip(status, answers) if not s.startswith("200") or expect not in a]
        if bad:
            raise RuntimeError(f"{self.name}: unexpected answer {bad[0]}")
        return times


def per_turn(names: list[str], folder: Path) -> dict[str, float]:
    """The median CPU seconds of a turn of each variant: turns in turns (one of each
    variant, in an order that rotates, then again), so that the machine's load and
    the process's state weigh on every variant alike."""
    apps = [App(name, folder / str(k)) for k, name in enumerate(names)]
    times: dict[str, list[float]] = {name: [] for name in names}
    for k in range(WARMUP + TURNS):
        for app in apps[k % len(apps):] + apps[:k % len(apps)]:
            environ = app.batch(1)
            with variant(app.name):
                seconds = app.call(environ)
            if k >= WARMUP:
                times[app.name] += seconds
    for app in apps:
        app.app.extensions["flowstudio"].service.store.close()
    return {name: statistics.median(t) for name, t in times.items()}


def server_rows(names: list[str]) -> list[Row]:
    """The same comparison through the real server (bench_webhook's `Server`: gunicorn
    as `flowstudio serve` runs it, 1 worker), one server per variant (plain_app.py):
    the worker's CPU milliseconds per request under closed-loop load, rounds in turns."""
    import bench_webhook
    from bench_webhook import PROBE, RESUMED, STARTED, Server, loadgen
    bench_webhook.LIFETIME_S = 1200   # five servers in turns outlast its 300 s
    folder = Path(tempfile.mkdtemp(prefix="flowstudio-fastpaths-serve-"))
    servers: list[Server] = []
    try:
        flows = folder / "flows"
        flows.mkdir()
        (flows / f"{FLOW_ID}.yaml").write_text(FLOW)
        for k, name in enumerate(names):
            data = folder / f"data-{k}"
            data.mkdir()
            servers.append(Server(f"variant-{k}", "plain_app", folder, {
                "FLOWSTUDIO_DATA_DIR": str(data), "FLOWSTUDIO_FLOWS_DIR": str(flows),
                "FLOWSTUDIO_LISTEN_HOST": "127.0.0.1", "FLOWSTUDIO_BENCH_PLAIN": name}, probe=PROBE))
        for server in servers:
            server.wait_ready(180)   # they start side by side: slow on a busy machine
            loadgen(server, "once", STARTED)
            loadgen(server, "max", RESUMED, duration=SERVE_WARMUP_S)
        cpu: dict[str, list[float]] = {name: [] for name in names}
        rps: dict[str, list[float]] = {name: [] for name in names}
        for round_ in range(SERVE_ROUNDS):
            order = list(zip(names, servers))
            for name, server in order[round_ % len(order):] + order[:round_ % len(order)]:
                r = loadgen(server, "max", RESUMED, duration=SERVE_S)
                cpu[name].append(r["server_cpu_share"] / r["rps"])
                rps[name].append(r["rps"])
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    medians = {name: statistics.median(v) for name, v in cpu.items()}
    rows = []
    for name in names[1:]:
        note(f"served, {name}: worker CPU per request {medians[ALL] * 1e3:.2f} ms with, {medians[name] * 1e3:.2f} "
             f"ms with {NAMES[name]}: saves {1 - medians[ALL] / medians[name]:.1%}; req/s by round "
             f"{' '.join(f'{x:.0f}' for x in rps[ALL])} with, {' '.join(f'{x:.0f}' for x in rps[name])} without")
        rows.append(_row(f"served SMS turn CPU, {name}", medians[ALL], medians[name], name))
    return rows


def note(text: str) -> None:
    print(f"bench_fastpaths: {text}", file=sys.stderr, flush=True)


def _row(title: str, ours: float, plain: float, name: str) -> Row:
    if name == CONTROL:   # a measure of the noise: no target
        return timing(title, ours, f"the turn with {NAMES[name]}", plain)
    return timing(title, ours, f"the turn with {NAMES[name]}", plain, max_ratio=0.95,
                  note="keep only if it saves >= 5 %")


def run(select=lambda name: True) -> list[Row]:
    flow_data(FLOW)   # refuses a flow with issues
    wanted = [name for name in (HOOK, FORM, TWIML, PLAN, CONTROL) if select(f"webhook SMS turn, {name}")]
    rows = []
    if wanted:
        folder = Path(tempfile.mkdtemp(prefix="flowstudio-fastpaths-"))
        try:
            medians = per_turn([ALL, *wanted], folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        for name in wanted:
            note(f"{name}: {medians[ALL] * 1e6:.0f} us with, {medians[name] * 1e6:.0f} us with {NAMES[name]}: "
                 f"saves {1 - medians[ALL] / medians[name]:.1%} of a turn")
            rows.append(_row(f"webhook SMS turn, {name}", medians[ALL], medians[name], name))
    served = [name for name in (HOOK, FORM, TWIML, PLAN, CONTROL) if select(f"served SMS turn CPU, {name}")]
    if served:
        rows += server_rows([ALL, *served])
    return rows
