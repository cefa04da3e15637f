"""Durability with real processes: SIGKILL in the middle of a turn, restarts with timers
due, several processes and threads feeding one contact, competing schedulers.

The processes are `tests/procs/worker.py`: a FlowService of its own on the same database,
driven through stdin and reporting one JSON line per processed event on stdout. Workers
are synchronised with pipes ("ready" lines out, "go" lines in), never with sleeps, and
every wait is bounded.
"""
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from flowstudio.adapters.store import Store, utc
from flowstudio.conversation import START, Conversation, FakeClock, MockHttp
from flowstudio.repository import FlowRepository
from flowstudio.service import FlowService

REPO = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).resolve().parent / "procs" / "worker.py"
WAIT = 60  # seconds: the longest any single wait on a worker may take

LOOKUP = """\
spec_version: 1
name: lookup
widgets:
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: ask}
  - name: ask
    type: send-and-wait-for-reply
    properties: {body: "Order number?", timeout: 3600}
    transitions: {incomingMessage: lookup, timeout: bye}
  - name: lookup
    type: make-http-request
    properties: {method: GET, url: "https://orders.example.com/{{widgets.ask.inbound.Body}}"}
    transitions: {success: tell, failed: sorry}
  - name: tell
    type: send-message
    properties: {body: "Order {{widgets.ask.inbound.Body}} is {{widgets.lookup.parsed.status}}"}
  - name: sorry
    type: send-message
    properties: {body: "Lookup failed"}
  - name: bye
    type: send-message
    properties: {body: "Bye"}
"""

CONFIRM = """\
spec_version: 1
name: confirm
widgets:
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: ask}
  - name: ask
    type: send-and-wait-for-reply
    properties: {body: "Reply YES to confirm", timeout: 3600}
    transitions: {incomingMessage: thanks, timeout: remind}
  - name: thanks
    type: send-message
    properties: {body: "Confirmed"}
  - name: remind
    type: send-message
    properties: {body: "Still there? We'll call you."}
"""

# Each reply says how many messages the execution had seen, this one's body and the body
# of the one before, so the replies and the steps' contexts expose the serial order.
CHAIN = """\
spec_version: 1
name: chain
widgets:
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: count}
  - name: count
    type: set-variables
    properties:
      variables:
        - {key: n, value: "{{flow.variables.n | plus: 1}}"}
        - {key: last, value: "{{flow.variables.this}}"}
        - {key: this, value: "{{widgets.ask.inbound.Body | default: trigger.message.Body}}"}
    transitions: {next: ask}
  - name: ask
    type: send-and-wait-for-reply
    properties: {body: "#{{flow.variables.n}} {{flow.variables.this}} after {{flow.variables.last}}", timeout: 3600}
    transitions: {incomingMessage: count}
"""
REPLY = re.compile(r"^#(\d+) (\S+) after (\S*)$")
REMINDER = "Still there? We'll call you."
CONTACT = "+15555550123"


# ---------------------------------------------------------------- helpers


def bounded(url: str) -> str:
    """The URL with a PostgreSQL lock timeout, so a lock left behind fails the test, not hangs it."""
    return url + "?options=-c%20lock_timeout%3D20s" if url.startswith("postgresql") else url


def make_service(url, flows_dir, clock=None, http=None):
    store = Store(bounded(url))
    store.create_schema()
    clock = clock or FakeClock()
    return FlowService(store, FlowRepository(flows_dir, store, clock), clock=clock,
                       http=http or MockHttp({"lookup": {"body": {"status": "shipped"}}}))


def message(sid, body, contact=CONTACT):
    return {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": contact, "To": "+15555550100",
            "Body": body, "NumMedia": "0"}


class Worker:
    """One `worker.py` process; its stdout lines arrive on a queue, its stderr is kept."""

    def __init__(self, url, flows_dir, mode, *messages, **options):
        cmd = [sys.executable, str(WORKER)]
        for key, value in options.items():
            if value is True:
                cmd.append("--" + key.replace("_", "-"))
            elif value is not None:
                cmd += ["--" + key.replace("_", "-"), str(value)]
        cmd += [bounded(url), str(flows_dir), mode, *messages]
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, cwd=REPO, env=env)
        self.lines: queue.Queue = queue.Queue()
        self.stderr: list[str] = []
        self._pumps = [threading.Thread(target=self._pump_out, daemon=True),
                       threading.Thread(target=self._pump_err, daemon=True)]
        for pump in self._pumps:
            pump.start()

    def _pump_out(self):
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))
        self.lines.put(None)

    def _pump_err(self):
        for line in self.proc.stderr:
            self.stderr.append(line)

    def read(self) -> dict | None:
        """The next line (None at end of output), within WAIT seconds."""
        try:
            return self.lines.get(timeout=WAIT)
        except queue.Empty:
            pytest.fail(f"worker {self.proc.pid} said nothing for {WAIT}s; stderr: {''.join(self.stderr)}")

    def expect(self, event: str) -> dict:
        line = self.read()
        assert line is not None and line["event"] == event, (line, "".join(self.stderr))
        return line

    def write(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def run(self, **command) -> list[dict]:
        """Send a `serve` command; the lines it produced, up to its "done"."""
        self.write(json.dumps(command))
        out = []
        while (line := self.read()) is not None and line["event"] != "done":
            out.append(line)
        assert line is not None, f"worker died: {''.join(self.stderr)}"
        return out

    def wait(self) -> int:
        """Wait for the process to end; its exit code (-9 for SIGKILL)."""
        code = self.proc.wait(timeout=WAIT)
        for pump in self._pumps:
            pump.join(timeout=WAIT)
        return code

    def finish(self) -> list[dict]:
        """Close stdin, wait for a clean exit (code 0, nothing on stderr); the lines left."""
        if not self.proc.stdin.closed:
            self.proc.stdin.close()
        code = self.wait()
        rest = []
        while (line := self.lines.get_nowait()) is not None:
            rest.append(line)
        assert code == 0 and self.stderr == [], (code, "".join(self.stderr))
        assert rest and rest[-1]["event"] == "exit"
        return rest[:-1]

    def left(self) -> list[dict]:
        """The lines not read yet, after the process ended."""
        rest = []
        while (line := self.lines.get_nowait()) is not None:
            rest.append(line)
        return rest


@pytest.fixture
def spawn(flows_dir):
    """Start workers; any still running at the end is killed (only the ones started here)."""
    started = []

    def start(url, mode, *messages, **options):
        worker = Worker(url, flows_dir, mode, *messages, **options)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.proc.poll() is None:
            worker.proc.kill()
            worker.proc.wait(timeout=WAIT)
        for stream in (worker.proc.stdin, worker.proc.stdout, worker.proc.stderr):
            try:
                stream.close()
            except OSError:
                pass


@pytest.fixture
def flows_dir(tmp_path):
    d = tmp_path / "flows"
    d.mkdir()
    for name, text in (("lookup", LOOKUP), ("confirm", CONFIRM), ("chain", CHAIN)):
        (d / f"{name}.yaml").write_text(text)
    return d


@pytest.fixture
def db_url(store_url):
    """A SQLite file or the PostgreSQL test database, its schema created here in the parent
    (workers never create it: two processes creating tables at once would race)."""
    store = Store(store_url)
    store.create_schema()
    store.close()
    return store_url


def as_dict(row) -> dict:
    """A row as a dict (the store returns SQLAlchemy rows or plain namespaces)."""
    return dict(row._mapping) if hasattr(row, "_mapping") else dict(vars(row))


def snapshot(store: Store, execution_id: str) -> dict:
    """Everything the database holds about one execution."""
    return {"execution": as_dict(store.execution(execution_id)),
            "steps": [as_dict(s) for s in store.steps(execution_id)],
            "logs": store.logs(execution_id),
            "outbox": [as_dict(o) for o in store.outbox(execution_id)],
            "executions": store.count()}


def resumes(store: Store, execution_id: str) -> list:
    """The steps of messages that resumed the `ask` widget, in the order they were saved."""
    return [s for s in store.steps(execution_id) if (s.event, s.from_widget) == ("incomingMessage", "ask")]


def assert_serial(store: Store, execution_id: str, first_body: str, expected: list[str]) -> list[str]:
    """Every message in `expected` resumed the execution exactly once, and each resume saw
    the state the one before it left (the previous body, the count so far); the order."""
    steps = resumes(store, execution_id)
    order = [s.context["widgets"]["ask"]["inbound"]["Body"] for s in steps]
    assert sorted(order) == sorted(expected)  # none lost, none twice
    previous = first_body
    for n, step in enumerate(steps, start=1):
        variables = step.context["flow"]["variables"]
        assert (variables["this"], variables["n"]) == (previous, str(n)), f"resume {n} did not see resume {n - 1}"
        previous = step.context["widgets"]["ask"]["inbound"]["Body"]
    return order


# ---------------------------------------------------------------- 1. SIGKILL mid-turn


@pytest.mark.parametrize("kill_at", ["http", "commit"])
def test_sigkill_in_the_middle_of_a_turn_leaves_the_execution_as_it_was(db_url, flows_dir, tmp_path, spawn,
                                                                       kill_at):
    """`http`: the worker dies inside the HTTP request the second turn makes (the engine ran,
    nothing was saved); `commit`: it dies inside save_turn's transaction, after the execution
    row was updated and the steps inserted, before COMMIT."""
    marker = tmp_path / "killed.json"
    worker = spawn(db_url, "serve", flow="lookup", kill_at=kill_at, kill_on_sid="SM2", marker=marker)
    worker.expect("ready")
    (first,) = worker.run(op="send", sid="SM1", body="hi")
    assert (first["replies"], first["waiting"], first["status"]) == (["Order number?"], "ask", "active")
    store = Store(bounded(db_url))
    before = snapshot(store, first["execution_id"])
    assert before["execution"]["version"] == 1 and before["execution"]["waiting_widget"] == "ask"

    worker.write(json.dumps({"op": "send", "sid": "SM2", "body": "42"}))
    assert worker.wait() == -signal.SIGKILL
    died = json.loads(marker.read_text())
    assert died["pid"] == worker.proc.pid and died["sid"] == "SM2"
    assert died["at"] == ("http lookup https://orders.example.com/42" if kill_at == "http"
                          else "inside save_turn, before commit")
    assert worker.left() == []  # it never reported the turn

    assert snapshot(store, first["execution_id"]) == before  # not a step, log line or version more
    assert store.inbound_response("sms:lookup:SM2") is None
    store.close()

    http = MockHttp({"lookup": {"body": {"status": "shipped"}}})
    restarted = make_service(db_url, flows_dir, http=http)
    try:
        again = restarted.inbound_message("lookup", message("SM2", "42"))
        assert not again.duplicate  # nothing of the killed attempt was committed
        assert ([m.body for m in again.replies], again.status) == (["Order 42 is shipped"], "ended")
        assert [c.url for c in http.requests] == ["https://orders.example.com/42"]
        row = restarted.store.execution(first["execution_id"])
        assert (row.version, row.status) == (2, "ended")
        steps = [(s.event, s.from_widget, s.to_widget) for s in restarted.store.steps(row.id)]
        assert steps == [("incomingMessage", "Trigger", "ask"), ("incomingMessage", "ask", "lookup"),
                         ("success", "lookup", "tell"), ("sent", "tell", "Ended")]
        assert restarted.store.count() == 1
        assert restarted.inbound_message("lookup", message("SM2", "42")).duplicate
    finally:
        restarted.store.close()


# ---------------------------------------------------------------- 2. timer due while down


@pytest.mark.parametrize("stop", ["sigkill", "exit"])
def test_a_timeout_due_while_no_process_ran_fires_once_after_the_restart(db_url, spawn, stop):
    worker = spawn(db_url, "serve", flow="confirm", now=START.isoformat())
    worker.expect("ready")
    (turn,) = worker.run(op="send", sid="SM1", body="hi")
    assert turn["replies"] == ["Reply YES to confirm"] and turn["waiting"] == "ask"
    if stop == "sigkill":
        worker.proc.send_signal(signal.SIGKILL)  # idle, blocked on its stdin
        assert worker.wait() == -signal.SIGKILL
    else:
        worker.write(json.dumps({"op": "quit"}))
        assert worker.finish() == []

    # Two hours pass with nothing running; the timeout (one hour) fell due meanwhile.
    restarted = spawn(db_url, "serve", flow="confirm", now=(START + timedelta(seconds=3599)).isoformat())
    restarted.expect("ready")
    assert restarted.run(op="fire") == []  # not due yet at 10:59:59
    later = START + timedelta(hours=2)
    fired = restarted.run(op="fire", now=later.isoformat())
    assert [line["event"] for line in fired] == ["channel", "fired"]
    assert fired[0]["body"] == REMINDER
    assert (fired[1]["execution_id"], fired[1]["status"], fired[1]["sent"]) == (turn["execution_id"], "ended",
                                                                                 [REMINDER])
    assert restarted.run(op="fire") == []
    restarted.write(json.dumps({"op": "quit"}))
    restarted.finish()

    third = spawn(db_url, "fire", flow="confirm", now=(START + timedelta(hours=3)).isoformat())
    assert [line["event"] for line in third.finish()] == ["ready"]  # nothing left to fire

    store = Store(bounded(db_url))
    try:
        steps = store.steps(turn["execution_id"])
        assert [(s.event, s.from_widget) for s in steps] == [("incomingMessage", "Trigger"), ("timeout", "ask"),
                                                             ("sent", "remind")]
        assert all(utc(s.at) == later for s in steps[1:])  # fired after the restart, at its time
        (sent,) = store.outbox()
        assert (sent.execution_id, sent.effect["body"]) == (turn["execution_id"], REMINDER)
        assert store.execution(turn["execution_id"]).version == 2
    finally:
        store.close()


# ---------------------------------------------------------------- 3. two processes, one contact


def test_two_processes_feeding_one_contact_serialize(db_url, flows_dir, spawn):
    starter = make_service(db_url, flows_dir)
    opened = starter.inbound_message("chain", message("SMstart", "start"))
    assert [m.body for m in opened.replies] == ["#1 start after "]
    starter.store.close()

    sent = {name: [f"{name}{i}" for i in range(25)] for name in "AB"}
    workers = {name: spawn(db_url, "send", *[f"SM{b}={b}" for b in bodies], flow="chain", wait=True)
               for name, bodies in sent.items()}
    for worker in workers.values():
        worker.expect("ready")
    for worker in workers.values():
        worker.write("go")
    turns = {name: [line for line in worker.finish() if line["event"] == "turn"] for name, worker in workers.items()}

    replies = {}
    for name, lines in turns.items():
        assert [t["body"] for t in lines] == sent[name]  # each worker processed its own, in its order
        assert all(t["status"] == "active" and not t["duplicate"] and t["execution_id"] == opened.execution_id
                   for t in lines)
        for t in lines:
            (reply,) = t["replies"]
            n, body, previous = REPLY.match(reply).groups()
            assert body == t["body"]
            replies[int(n)] = (body, previous)
    # The replies make one chain start -> ... covering all 50 messages, numbered 2..51.
    assert sorted(replies) == list(range(2, 52))
    chain = ["start"] + [replies[n][0] for n in range(2, 52)]
    assert [replies[n][1] for n in range(2, 52)] == chain[:-1]

    store = Store(bounded(db_url))
    try:
        (row,) = store.executions(flow_id="chain")
        assert (row.id, row.status, row.version) == (opened.execution_id, "active", 51)
        order = assert_serial(store, row.id, "start", sent["A"] + sent["B"])
        assert order == chain[1:]
        switches = sum(1 for a, b in zip(order, order[1:]) if a[0] != b[0])
        assert switches >= 1, "the two processes never interleaved: the test proved nothing"
        assert len(store.logs(row.id)) > 0 and store.outbox() == []
    finally:
        store.close()


def test_a_conversation_continues_across_processes_turn_by_turn(db_url, spawn):
    workers = [spawn(db_url, "serve", flow="chain") for _ in range(2)]
    for worker in workers:
        worker.expect("ready")
    pids, previous = set(), ""
    for k in range(1, 13):
        worker = workers[k % 2]
        (turn,) = worker.run(op="send", sid=f"SM{k}", body=f"m{k}")
        assert turn["replies"] == [f"#{k} m{k} after {previous}"]  # this process saw the other's last turn
        pids.add(turn["pid"])
        previous = f"m{k}"
    for worker in workers:
        worker.write(json.dumps({"op": "quit"}))
        worker.finish()
    assert len(pids) == 2
    store = Store(bounded(db_url))
    try:
        (row,) = store.executions(flow_id="chain")
        assert row.version == 12
        assert assert_serial(store, row.id, "m1", [f"m{k}" for k in range(2, 13)]) == [f"m{k}" for k in range(2, 13)]
    finally:
        store.close()


# ---------------------------------------------------------------- 4. competing schedulers


@pytest.mark.parametrize("limit", [None, 3])
def test_competing_schedulers_fire_each_timeout_once(db_url, flows_dir, spawn, limit):
    """`limit` None: each process claims everything due at once (the first one gets it
    all); 3: they claim 3 timers at a time, so the backlog is shared out."""
    service = make_service(db_url, flows_dir)
    contacts = [f"+1555000{i:04d}" for i in range(30)]
    ids = {Conversation(service, "confirm", contact=c).send("hi").execution_id: c for c in contacts}
    service.store.close()

    later = (START + timedelta(hours=2)).isoformat()
    workers = [spawn(db_url, "fire", flow="confirm", now=later, wait=True, limit=limit) for _ in range(3)]
    for worker in workers:
        worker.expect("ready")
    for worker in workers:
        worker.write("go")
    lines = [line for worker in workers for line in worker.finish()]

    fired = Counter(line["execution_id"] for line in lines if line["event"] == "fired")
    assert fired == Counter(list(ids))  # every timer fired, by exactly one process
    store = Store(bounded(db_url))
    try:
        for execution_id in ids:
            steps = store.steps(execution_id)
            assert [s.event for s in steps].count("timeout") == 1
            (reminder,) = store.outbox(execution_id)
            assert (reminder.effect["body"], reminder.effect["to"]) == (REMINDER, ids[execution_id])
            assert store.execution(execution_id).status == "ended"
        assert len(store.outbox()) == 30 and store.count("active") == 0
    finally:
        store.close()
    # A timer is claimed before it fires: a process that did not claim it never even sends.
    sends = Counter(line["to"] for line in lines if line["event"] == "channel")
    assert sends == Counter(ids.values())


# ---------------------------------------------------------------- 5. threads on a SQLite file


def test_threads_on_a_sqlite_file_process_one_contact_in_a_valid_serial_order(tmp_path, flows_dir):
    service = make_service(f"sqlite:///{tmp_path / 'threads.db'}", flows_dir)
    opened = service.inbound_message("chain", message("SMstart", "start"))
    barrier = threading.Barrier(4)
    results, errors = {t: [] for t in range(4)}, []

    def feed(t):
        try:
            barrier.wait(timeout=WAIT)
            for i in range(20):
                results[t].append(service.inbound_message("chain", message(f"SM{t}x{i}", f"t{t}m{i:02d}")))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=feed, args=(t,), daemon=True) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=WAIT)
    assert not any(th.is_alive() for th in threads) and errors == []

    try:
        (row,) = service.store.executions(flow_id="chain")
        assert (row.id, row.version) == (opened.execution_id, 81)  # the start, then 80 resumes
        expected = [f"t{t}m{i:02d}" for t in range(4) for i in range(20)]
        order = assert_serial(service.store, row.id, "start", expected)
        for t in range(4):  # each thread's messages were processed in the order it sent them
            assert [b for b in order if b.startswith(f"t{t}")] == [f"t{t}m{i:02d}" for i in range(20)]
        position = {body: n for n, body in enumerate(["start"] + order, start=1)}
        for t in range(4):
            for result in results[t]:  # each reply matches the place its message took in the order
                n, body, previous = REPLY.match(result.replies[0].body).groups()
                assert int(n) == position[body] and position.get(previous) == int(n) - 1
        assert sum(1 for a, b in zip(order, order[1:]) if a[:2] != b[:2]) >= 1  # the threads interleaved
    finally:
        service.store.close()
