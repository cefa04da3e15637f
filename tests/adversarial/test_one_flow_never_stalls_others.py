"""Attacks on a real server process: one flow made to work far too hard, while another
flow's webhook is hit over and over. Each attack must
- be stopped: its webhook is answered (never a 500), and its execution's log has an
  error entry on the widget that was running, saying what was too much;
- leave the server answering: every webhook of the other flow during the attack gets
  its reply, none slower than STALL (an answer that slow means the server stalled: a
  fault bound, not a speed figure; benchmarks/ measures the speed);
- leave the contact free: its next message is handled as usual.

The server is `flowstudio serve` (as tests/web/test_server_process.py starts it), with
its default limits, once on SQLite and once on PostgreSQL. Its address space is capped
(prlimit, where present) so that an attack that is not stopped fails with a
MemoryError instead of taking the machine's memory.
"""
import shutil
import sys
import threading
import time
import uuid

import pytest
import requests

from flowstudio.adapters.store import Store
from tests.adversarial import flows
from tests.conftest import PG_ADMIN, _pg_admin_connect
from tests.web.test_server_process import FLOW_NUMBER, Server, Texter, clean_env, free_port, messages

STALL = 2.0          # seconds: an answer of the other flow slower than this means the server stalled
ATTACK_WAIT = 12.0   # seconds: the attacked webhook itself must be answered within this
SIEGE_WAIT = 20.0    # seconds: the same when several arrive together (they take turns: about 5 s each)
PINGS_FOR = 1.5      # seconds: the other flow is hit at least this long during an attack
ADDRESS_SPACE = 4 * 1024**3  # bytes: the server's cap (an unstopped attack fails fast, the machine stays up)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    """`flowstudio serve` on the attack flows (flows.py), on SQLite or on a new PostgreSQL
    database; yields the Server, with `.store` reading its database."""
    folder = tmp_path_factory.mktemp(f"adversarial-{request.param}")
    flows.write_all(folder / "flows")
    env = clean_env(FLOWSTUDIO_DATA_DIR=str(folder / "data"))
    admin = database = None
    if request.param == "postgresql":
        try:
            admin = _pg_admin_connect()
        except Exception as exc:  # noqa: BLE001 - any failure to connect means "no server"
            pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN}: {exc}")
        name = f"flowstudio_adv_{uuid.uuid4().hex[:12]}"
        admin.execute(f'CREATE DATABASE "{name}"')
        database = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
        env["FLOWSTUDIO_DATABASE_URL"] = database
    port = free_port()
    cmd = [sys.executable, "-m", "flowstudio.cli", "serve", "--flows", folder / "flows", "--host", "127.0.0.1",
           "--port", port]
    if shutil.which("prlimit"):
        cmd = ["prlimit", f"--as={ADDRESS_SPACE}", "--", *cmd]
    srv = Server(cmd, env, port, folder / "server.log", folder)
    store = None
    try:
        srv.wait_ready()
        store = Store(database or f"sqlite:///{(folder / 'data' / 'flowstudio.db').resolve()}")
        srv.store = store
        yield srv
    finally:
        if store is not None:
            store.close()
        srv.kill()
        print(srv.output(tail=8000))  # shown by pytest when a test failed
        if admin is not None:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            admin.close()


class Attack:
    """One attacking message sent in a thread, while the echo flow is hit over and over."""

    def __init__(self, server: Server, flow: str, body: str):
        self.server = server
        self.contact = "+1555" + str(uuid.uuid4().int)[:7]
        self.texter = Texter(server, flow, self.contact)
        self.body = body
        self.response: requests.Response | None = None
        self.error: Exception | None = None
        self.took = 0.0
        self.pings: list[tuple[float, object]] = []  # (seconds, replies or the exception)
        self.wait = ATTACK_WAIT

    def _send(self) -> None:
        start = time.monotonic()
        try:
            self.response = requests.post(f"{self.server.base}/webhooks/{self.texter.flow}", timeout=self.wait,
                                          data={"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": "AC" + "0" * 32,
                                                "From": self.contact, "To": FLOW_NUMBER, "Body": self.body})
        except requests.RequestException as exc:
            self.error = exc
        self.took = time.monotonic() - start

    def run(self, *others: "Attack", wait: float = ATTACK_WAIT) -> "Attack":
        """Send the attack (and `others` at the same time); hit the echo flow while they
        run (at least PINGS_FOR s, at most `wait`)."""
        threads = [threading.Thread(target=a._send, daemon=True) for a in (self, *others)]
        for thread in threads:
            thread.start()
        time.sleep(0.2)  # the attack is in the engine by now
        other = Texter(self.server, "echo", "+1666" + str(uuid.uuid4().int)[:7])
        start = time.monotonic()
        n = 0
        while ((time.monotonic() - start < PINGS_FOR or any(t.is_alive() for t in threads))
               and time.monotonic() - start < wait):
            n += 1
            sent = time.monotonic()
            try:
                response = requests.post(f"{self.server.base}/webhooks/echo", timeout=STALL,
                                         data={"MessageSid": f"SM{uuid.uuid4().hex}", "AccountSid": "AC" + "0" * 32,
                                               "From": other.contact, "To": FLOW_NUMBER, "Body": str(n)})
                answer = messages(response)
            except (requests.RequestException, AssertionError) as exc:
                answer = exc
            self.pings.append((time.monotonic() - sent, answer))
            time.sleep(0.02)
        for thread in threads:
            thread.join(wait)
        return self

    def assert_others_kept_answering(self) -> None:
        """Every ping was answered "pong N", none slower than STALL."""
        assert self.pings
        slow = [(round(t, 3), a) for t, a in self.pings if t >= STALL or not isinstance(a, list)]
        assert not slow, f"the echo flow stalled during the attack: {slow[:5]} of {len(self.pings)} pings"
        assert all(a == [f"pong {i}"] for i, (_, a) in enumerate(self.pings, 1))

    def assert_answered(self) -> None:
        """The attacking webhook got a TwiML answer (no 500), in time."""
        assert self.error is None, f"the attack's own webhook was not answered: {self.error!r}"
        assert self.response.status_code == 200, self.response.text[:500]

    def log(self) -> tuple[object, list[dict]]:
        """The attacked execution's row and log (from the API)."""
        listed = requests.get(f"{self.server.base}/api/flows/{self.texter.flow}/executions",
                              params={"contact": self.contact}, timeout=STALL).json()["executions"]
        assert len(listed) == 1, listed
        detail = requests.get(listed[0]["url"], timeout=STALL).json()
        return detail, detail["log"]

    def assert_error_on(self, widget: str, *words: str, status: str | None = None) -> dict:
        """The execution's log has an error entry on `widget` whose message has `words`."""
        detail, log = self.log()
        errors = [e for e in log if e.get("type") == "error"]
        assert any(e.get("widget") == widget and all(w in e.get("message", "") for w in words) for e in errors), \
            f"no error on {widget!r} saying {words}: {errors or log[-5:]}"
        if status is not None:
            assert detail["status"] == status, detail
        return detail

    def assert_next_message_is_handled(self, reply: str) -> None:
        """The same contact texts again: a new execution starts and answers as usual; and
        the server is still the one that started (no worker was lost to the attack)."""
        assert messages(self.texter.text("hi")) == [reply]
        listed = requests.get(f"{self.server.base}/api/flows/{self.texter.flow}/executions",
                              params={"contact": self.contact}, timeout=STALL).json()["executions"]
        assert len(listed) == 2, listed
        assert "Worker exiting" not in self.server.output(tail=None) and "MemoryError" not in self.server.output(None)


def test_forty_slow_regexes_in_one_split_are_stopped_by_the_turn_budget(server):
    """40 conditions of 0.25 s each were 10 s in one turn (the limit was per condition)."""
    attack = Attack(server, "regex40", flows.ATTACK_TEXT).run()
    attack.assert_answered()
    attack.assert_others_kept_answering()
    attack.assert_error_on("slow_split", "CPU time", status="failed")
    attack.assert_next_message_is_handled("no match")


def test_a_two_hundred_million_range_is_refused_before_it_is_built(server):
    """`{{ (1..200000000) | join: "," | size }}` took 29 s and 6.8 GB, then a 500."""
    attack = Attack(server, "bigrange", "range").run()
    attack.assert_answered()
    attack.assert_others_kept_answering()
    attack.assert_error_on("count", "range", "at most 10,000")
    attack.assert_next_message_is_handled("ok")


def test_a_text_doubled_29_times_is_refused_at_its_bound(server):
    """`append` doubling a text 29 times built 512 MB."""
    attack = Attack(server, "doubling", "double").run()
    attack.assert_answered()
    attack.assert_others_kept_answering()
    attack.assert_error_on("grow", "append", "at most 256 KB")
    attack.assert_next_message_is_handled("ok")


def test_a_chain_of_heavy_widgets_within_every_template_limit_is_stopped_by_the_turn_budget(server):
    """Each widget stays within every template limit; together they need seconds: the
    turn's CPU budget stops them, and the server answers others meanwhile."""
    attack = Attack(server, "heavy", "heavy").run()
    attack.assert_answered()
    attack.assert_others_kept_answering()
    detail, log = attack.log()
    errors = [e for e in log if e.get("type") == "error"]
    assert detail["status"] == "failed", detail
    assert errors and errors[0]["widget"].startswith("work") and "CPU time" in errors[0]["message"], errors
    assert "done" not in [e.get("widget") for e in log if e.get("type") == "entered"]
    attack.assert_next_message_is_handled("ok")


def test_several_runaway_messages_at_once_are_all_stopped_and_the_server_keeps_answering(server):
    """Four contacts send the heavy message together: they take turns at computing (one
    long turn at a time per process), each is stopped by its budget or by waiting too
    long for its turn, and the other flow is answered all along."""
    attacks = [Attack(server, "heavy", "heavy") for _ in range(4)]
    for attack in attacks:
        attack.wait = SIEGE_WAIT
    attacks[0].run(*attacks[1:], wait=SIEGE_WAIT)
    attacks[0].assert_others_kept_answering()
    for attack in attacks:
        attack.assert_answered()
        detail, log = attack.log()
        assert detail["status"] == "failed", detail
        errors = [e for e in log if e.get("type") == "error"]
        assert errors and ("CPU time" in errors[0]["message"] or "busy with another" in errors[0]["message"]), errors
    assert any("CPU time" in attack.log()[0]["ended_reason"] for attack in attacks)
    for attack in attacks:
        attack.assert_next_message_is_handled("ok")
