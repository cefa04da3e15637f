"""Real server processes: `flowstudio serve` killed with SIGKILL mid-conversation and
restarted on the same SQLite database, and gunicorn in its production form
(`gunicorn -c python:flowstudio.gunicorn_conf -w 2 --threads 4 'flowstudio:create_app()'`)
behind a public URL.

Each server runs in its own session (process group), so SIGKILL reaches the gunicorn
master and its workers at once, like a machine losing power. Every wait is bounded and
every process started here is killed in the fixture's teardown.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from twilio.request_validator import RequestValidator

from flowstudio.adapters.store import Store

REPO = Path(__file__).resolve().parents[2]
TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC = "https://flows.example.com"
FLOW_NUMBER = "+15555550100"
READY_WAIT = 60.0   # seconds for a server to answer GET /healthz (a worker per core starts: on a loaded
                    # 2-core machine, two workers importing the app took more than 20 s)
HTTP_TIMEOUT = 15.0  # seconds for any one request
WORKERS_WAIT = 30.0  # seconds for both gunicorn workers to have answered

QUIZ = """\
spec_version: 1
name: quiz
widgets:
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: q1}
  - name: q1
    type: send-and-wait-for-reply
    properties: {body: "Question 1", timeout: 3}
    transitions: {incomingMessage: q2, timeout: too_slow}
  - name: q2
    type: send-and-wait-for-reply
    properties: {body: "Question 2 after {{widgets.q1.inbound.Body}}", timeout: 3600}
    transitions: {incomingMessage: null, timeout: null}
  - name: too_slow
    type: send-message
    properties: {body: "Too slow"}
"""

# Variables of the calling environment that would change what the servers do.
OURS = ("FLOWSTUDIO_DATA_DIR", "FLOWSTUDIO_DATABASE_URL", "FLOWSTUDIO_FLOWS_DIR", "FLOWSTUDIO_LISTEN_HOST",
        "FLOWSTUDIO_PUBLIC_URL", "FLOWSTUDIO_INSECURE", "FLOWSTUDIO_EXECUTION_EXPIRY_DAYS",
        "FLOWSTUDIO_PASSWORD", "FLOWSTUDIO_API_TOKEN", "FLOWSTUDIO_SECRET_KEY", "FLOWSTUDIO_REDIS_URL",
        "FLOWSTUDIO_REDIS_CHANNEL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in OURS}
    env.update(extra)
    return env


class Server:
    """One server process group; output goes to a log file (read on failure)."""

    def __init__(self, cmd: list, env: dict, port: int, log: Path, cwd: Path):
        self.port, self.log = port, log
        self.base = f"http://127.0.0.1:{port}"
        with open(log, "ab") as out:
            out.write(f"\n==== {' '.join(map(str, cmd))}\n".encode())
            out.flush()
            self.proc = subprocess.Popen([str(c) for c in cmd], env=env, cwd=cwd, stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        self.pgid = self.proc.pid  # start_new_session: the child leads its own group

    def output(self, tail: int | None = 6000) -> str:
        text = self.log.read_text(errors="replace")
        return text[-tail:] if tail else text

    def wait_ready(self, timeout: float = READY_WAIT) -> float:
        """Poll GET /healthz until it answers 200; return how long that took."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited with {self.proc.returncode} before it was ready:\n{self.output()}")
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return time.monotonic() - start
            except requests.RequestException:
                pass
            time.sleep(0.1)
        pytest.fail(f"server not ready after {timeout} s:\n{self.output()}")

    def alive(self) -> bool:
        """Whether any process of the group still runs (zombies waiting for init to
        reap them, like an orphaned gunicorn worker, do not count)."""
        try:
            os.killpg(self.pgid, 0)
        except ProcessLookupError:
            return False
        if not os.path.isdir("/proc"):
            return True
        for entry in os.listdir("/proc"):
            try:
                with open(f"/proc/{entry}/stat") as f:
                    state, _ppid, pgrp = f.read().rsplit(")", 1)[1].split()[:3]
            except (OSError, ValueError):
                continue
            if int(pgrp) == self.pgid and state not in ("Z", "X"):
                return True
        return False

    def kill(self, wait: float = 10.0) -> None:
        """SIGKILL the whole group (master and workers) and wait until it is gone."""
        try:
            os.killpg(self.pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            pass
        deadline = time.monotonic() + wait  # orphaned workers are reaped by init
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest.fixture
def servers(tmp_path):
    """Start servers with `servers(cmd, env, port)`; all are killed at teardown."""
    started: list[Server] = []

    def start(cmd, env, port) -> Server:
        server = Server(cmd, env, port, tmp_path / "server.log", tmp_path)
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()
    if started:  # pytest shows this only when the test failed
        print(started[0].output(tail=20000))


def messages(response: requests.Response) -> list[str]:
    """The bodies of the <Message> verbs of a TwiML answer."""
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/xml"), response.headers
    root = ET.fromstring(response.text)
    assert root.tag == "Response", response.text
    return [(m.findtext("Body") if m.find("Body") is not None else m.text) or "" for m in root.iter("Message")]


class Texter:
    """A contact texting a flow's webhook (unsigned: the server listens on loopback)."""

    def __init__(self, server: Server, flow: str, contact: str):
        self.server, self.flow, self.contact = server, flow, contact
        self.count = 0

    def text(self, body: str, sid: str | None = None) -> requests.Response:
        self.count += 1
        sid = sid or f"SM{self.contact[-4:]}{self.count:028d}"
        return requests.post(f"{self.server.base}/webhooks/{self.flow}", timeout=HTTP_TIMEOUT,
                             data={"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": self.contact,
                                   "To": FLOW_NUMBER, "Body": body})


# ---------------------------------------------------------------- flowstudio serve, SIGKILL


@pytest.fixture
def quiz(tmp_path, servers):
    """`start()` runs `flowstudio serve` on the quiz flow and one SQLite file (same port
    each time); `store` reads that database from the test."""
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "quiz.yaml").write_text(QUIZ)
    data = tmp_path / "data"
    port = free_port()
    env = clean_env(FLOWSTUDIO_DATA_DIR=str(data))
    cmd = [sys.executable, "-m", "flowstudio.cli", "serve", "--flows", flows, "--host", "127.0.0.1",
           "--port", port]

    class Quiz:
        store: Store | None = None
        folder = flows

        def start(self) -> Server:
            server = servers(cmd, env, port)
            server.wait_ready()
            if self.store is None:
                self.store = Store(f"sqlite:///{(data / 'flowstudio.db').resolve()}")
            return server

    q = Quiz()
    yield q
    if q.store is not None:
        q.store.close()


def test_the_quiz_flow_runs_in_a_real_server(quiz):
    server = quiz.start()
    alice = Texter(server, "quiz", "+15555550111")
    assert messages(alice.text("hi")) == ["Question 1"]
    assert messages(alice.text("answer")) == ["Question 2 after answer"]
    [row] = quiz.store.executions(flow_id="quiz", contact="+15555550111")
    assert (row.status, row.waiting_widget) == ("active", "q2")


def test_first_messages_arriving_together_all_start_the_flow(quiz):
    """Right after start, several contacts text at once (threads of one process)."""
    server = quiz.start()
    contacts = [f"+1555555{2000 + i}" for i in range(8)]
    barrier = threading.Barrier(len(contacts))

    def first(contact):
        barrier.wait(5)
        return messages(Texter(server, "quiz", contact).text("hi"))

    with ThreadPoolExecutor(len(contacts)) as pool:
        answers = dict(zip(contacts, pool.map(first, contacts)))
    assert answers == {c: ["Question 1"] for c in contacts}
    assert len(quiz.store.executions(flow_id="quiz")) == len(contacts)


def test_sigkill_mid_conversation_then_restart_continues_where_it_was(quiz):
    # A long first timeout: on a busy machine a restart can take longer than the quiz's 3 s.
    (quiz.folder / "quiz.yaml").write_text(QUIZ.replace("timeout: 3}", "timeout: 3600}"))
    server = quiz.start()
    bob = Texter(server, "quiz", "+15555550122")
    first = bob.text("hi", sid="SM" + "b" * 32)
    assert messages(first) == ["Question 1"]
    [before] = quiz.store.executions(flow_id="quiz", contact=bob.contact)

    server.kill()
    assert not server.alive(), "master and worker must both be gone"
    with pytest.raises(requests.ConnectionError):
        requests.get(server.base + "/healthz", timeout=2)

    server = quiz.start()  # same database, same port
    bob.server = server
    # Twilio retrying the first delivery after the crash gets the same answer, not a new execution.
    assert messages(bob.text("hi", sid="SM" + "b" * 32)) == ["Question 1"]
    assert messages(bob.text("answer")) == ["Question 2 after answer"]
    [after] = quiz.store.executions(flow_id="quiz", contact=bob.contact)
    assert after.id == before.id
    assert (after.status, after.waiting_widget) == ("active", "q2")
    assert [(s.from_widget, s.to_widget) for s in quiz.store.steps(after.id)] == [("Trigger", "q1"), ("q1", "q2")]
    assert quiz.store.outbox() == []  # everything went out as webhook answers


def _too_slow(store: Store, contact: str) -> list:
    return [r for r in store.outbox() if r.effect.get("to") == contact and r.effect.get("body") == "Too slow"]


def test_a_timer_that_fell_due_while_the_server_was_dead_fires_once_after_restart(quiz):
    server = quiz.start()
    carol = Texter(server, "quiz", "+15555550133")
    assert messages(carol.text("hi")) == ["Question 1"]
    asked = time.monotonic()
    server.kill()
    [row] = quiz.store.executions(flow_id="quiz", contact=carol.contact)
    assert (row.status, row.waiting_widget) == ("active", "q1")
    assert _too_slow(quiz.store, carol.contact) == []

    time.sleep(max(0.0, asked + 4.0 - time.monotonic()))  # the 3 s timer falls due while nothing runs
    assert _too_slow(quiz.store, carol.contact) == [], "nothing runs, so nothing may fire"
    quiz.start()

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        sent = _too_slow(quiz.store, carol.contact)
        row = quiz.store.execution(row.id)
        if sent and row.status != "active":
            break
        time.sleep(0.1)
    assert len(sent) == 1, sent
    assert sent[0].execution_id == row.id and sent[0].status == "sent"
    assert row.status == "ended", (row.status, row.ended_reason)
    steps = [(s.event, s.from_widget, s.to_widget) for s in quiz.store.steps(row.id)]
    assert steps[:2] == [("incomingMessage", "Trigger", "q1"), ("timeout", "q1", "too_slow")], steps

    time.sleep(2.5)  # two more scheduler rounds: it must not fire again
    assert len(_too_slow(quiz.store, carol.contact)) == 1
    assert len(quiz.store.outbox()) == 1
    assert [(s.event, s.from_widget, s.to_widget) for s in quiz.store.steps(row.id)] == steps


# ---------------------------------------------------------------- gunicorn, production form


ASK = "Hi, this is Bright Smile Dental. Please confirm your appointment. Reply YES to confirm or NO to cancel."
CONFIRMED = "Thank you! Your appointment is confirmed. Please arrive 10 minutes early. See you soon!"
HELP = ("Greenleaf Market: text an order number (e.g. ORD-10025) for its status, NEWS for our weekly deals "
        "newsletter, or any question for our team. Call (555) 555-0100, 8am-8pm daily. Reply STOP to opt out.")


class SignedPhone:
    """What Twilio sends to a public URL, signed with the account's token."""

    def __init__(self, base: str, token: str = TOKEN, public: str = PUBLIC):
        self.base, self.public = base, public
        self.validator = RequestValidator(token)

    def post(self, path: str, data: dict, sign: bool = True, signed_url: str | None = None):
        headers = {}
        if sign:
            headers["X-Twilio-Signature"] = self.validator.compute_signature(signed_url or self.public + path, data)
        return requests.post(self.base + path, data=data, headers=headers, timeout=HTTP_TIMEOUT)


def sms(sid: str, contact: str, body: str) -> dict:
    return {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "0" * 32, "From": contact, "To": FLOW_NUMBER,
            "Body": body, "NumMedia": "0"}


@pytest.fixture
def gunicorn(tmp_path, servers):
    flows = tmp_path / "flows"
    shutil.copytree(REPO / "flows", flows)
    data = tmp_path / "data"
    port = free_port()
    env = clean_env(FLOWSTUDIO_FLOWS_DIR=str(flows), FLOWSTUDIO_DATA_DIR=str(data), TWILIO_AUTH_TOKEN=TOKEN,
                    FLOWSTUDIO_PUBLIC_URL=PUBLIC)
    # The production command (FlowStudio's settings: its worker, no control socket),
    # with two workers of four threads, plus an access log naming the worker's pid
    # (%(p)s) so the test can tell that both workers answered.
    cmd = [sys.executable, "-m", "gunicorn", "-c", "python:flowstudio.gunicorn_conf", "-w", "2", "--threads", "4",
           "-b", f"127.0.0.1:{port}", "--access-logfile", "-", "--access-logformat",
           'ACCESS pid=%(p)s "%(r)s" %(s)s', "flowstudio:create_app()"]
    server = servers(cmd, env, port)
    server.wait_ready()
    store = Store(f"sqlite:///{(data / 'flowstudio.db').resolve()}")
    yield server, store
    store.close()


def test_gunicorn_refuses_unsigned_webhooks_and_answers_signed_ones(gunicorn):
    server, store = gunicorn
    phone = SignedPhone(server.base)
    path = "/webhooks/keyword-router"

    unsigned = phone.post(path, sms("SM" + "1" * 32, "+15555550150", "HELP"), sign=False)
    assert unsigned.status_code == 403, unsigned.text
    # Signed for the address gunicorn listens on rather than the public one Twilio uses.
    local = phone.post(path, sms("SM" + "2" * 32, "+15555550150", "HELP"), signed_url=server.base + path)
    assert local.status_code == 403, local.text
    assert store.executions(flow_id="keyword-router") == []

    assert messages(phone.post(path, sms("SM" + "3" * 32, "+15555550150", "HELP"))) == [HELP]
    [row] = store.executions(flow_id="keyword-router")
    assert (row.contact, row.status) == ("+15555550150", "ended")


def _worker_pids(log: str) -> set:
    return {line.split("pid=")[1].split()[0] for line in log.splitlines() if line.startswith("ACCESS pid=")}


def test_gunicorn_runs_whole_conversations_across_two_workers(gunicorn):
    server, store = gunicorn
    phone = SignedPhone(server.base)
    path = "/webhooks/appointment-confirmation"

    def conversation(contact: str) -> tuple:
        first = messages(phone.post(path, sms(f"SM{contact[1:]}{'a' * 21}", contact, "hi")))
        second = messages(phone.post(path, sms(f"SM{contact[1:]}{'b' * 21}", contact, "yes")))
        return first, second

    # Rounds of conversations at once, each message on its own connection, until both
    # workers have answered some. Rounds are counted in time, not in number: the server
    # is ready once one worker answers, and the other may still be starting (on a busy
    # machine, for longer than a few fast rounds take).
    contacts: list[str] = []
    deadline = time.monotonic() + WORKERS_WAIT
    while True:
        batch = [f"+1555555{1000 + len(contacts) + i}" for i in range(12 if not contacts else 8)]
        contacts += batch
        with ThreadPoolExecutor(8) as pool:
            answers = dict(zip(batch, pool.map(conversation, batch)))
        assert answers == {c: ([ASK], [CONFIRMED]) for c in batch}, server.output()
        if len(_worker_pids(server.output(tail=None))) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.2)  # a starting worker gets the CPU (at most about 150 rounds, 1,200 contacts)

    # The same delivery retried at once (possibly on both workers): one answer, one execution.
    retry = sms("SM" + "d" * 32, "+15555550199", "hi")
    barrier = threading.Barrier(4)

    def deliver(_):
        barrier.wait(5)
        return messages(phone.post(path, retry))

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(deliver, range(4))) == [[ASK]] * 4

    by_contact: dict = {}
    for row in store.executions(flow_id="appointment-confirmation", limit=len(contacts) + 10):
        by_contact.setdefault(row.contact, []).append(row)
    assert sorted(by_contact) == sorted(contacts + ["+15555550199"])
    assert {c: len(rows) for c, rows in by_contact.items() if len(rows) != 1} == {}
    assert {c: by_contact[c][0].status for c in contacts} == {c: "ended" for c in contacts}
    assert by_contact["+15555550199"][0].status == "active"
    assert store.outbox() == []  # every message was a webhook answer

    log = server.output(tail=None)
    assert server.proc.poll() is None, log
    for trouble in ("Traceback", "database is locked", "cannot run", "Worker failed to boot"):
        assert trouble not in log, log
    assert len(_worker_pids(log)) == 2, f"expected both workers to answer, saw {_worker_pids(log)}"
