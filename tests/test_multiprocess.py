"""Two real `flowstudio serve` processes on different ports sharing one database (the
embedded SQLite file, then PostgreSQL), as behind a load balancer, each with its default
workers (one per core): one conversation's messages alternate between them,
timers fire once with both schedulers running, and one process SIGKILLed in the middle
of a turn (holding the contact's lock, waiting on an HTTP request) is replaced by the
other for the retried delivery and the rest of the conversation.

The database is created empty for this module: both servers start on it at once, so
the first one to get the schema lock migrates it and the other finds it done. Servers
listen on loopback, so unsigned webhooks are accepted (as in tests/web). Every process
started here runs in its own process group and is killed at teardown; every wait is
bounded.
"""
import json
import re
import sys
import threading
import time
import uuid
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from flowstudio.adapters.store import Store

from .conftest import PG_ADMIN, _pg_admin_connect
from .web.test_server_process import HTTP_TIMEOUT, Server, Texter, clean_env, free_port, messages

TIMEOUT_S = 2  # the nudge flow's reply timeout

# Each reply numbers the message, quotes it and the one before, and what the lookup
# answered: whichever process answers must have seen every earlier turn.
TALK = """\
spec_version: 1
name: talk
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
    transitions: {next: lookup}
  - name: lookup
    type: make-http-request
    properties: {method: GET, url: "http://127.0.0.1:%(port)d/lookup/{{flow.variables.this}}"}
    transitions: {success: ask, failed: ask}
  - name: ask
    type: send-and-wait-for-reply
    properties:
      body: "#{{flow.variables.n}} {{flow.variables.this}} after {{flow.variables.last}} ({{widgets.lookup.parsed.status}})"
      timeout: 3600
    transitions: {incomingMessage: count}
"""
REPLY = re.compile(r"^#(\d+) (\S+) after (\S*) \((\w*)\)$")

NUDGE = """\
spec_version: 1
name: nudge
widgets:
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: ask}
  - name: ask
    type: send-and-wait-for-reply
    properties: {body: "Still there?", timeout: %(timeout)d}
    transitions: {incomingMessage: null, timeout: remind}
  - name: remind
    type: send-message
    properties: {body: "Too slow"}
""" % {"timeout": TIMEOUT_S}


class Lookup:
    """The HTTP service the talk flow calls: answers {"status": "ok"} at once, except
    for bodies starting with "hold", which wait until `release` is set (so a test can
    kill a server while its turn waits here)."""

    def __init__(self):
        self.requests: list[str] = []
        self.holding = threading.Event()
        self.release = threading.Event()
        lookup = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = self.path.rsplit("/", 1)[-1]
                lookup.requests.append(body)
                if body.startswith("hold"):
                    lookup.holding.set()
                    lookup.release.wait(30)
                data = json.dumps({"status": "ok"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request, tmp_path_factory):
    """A new, empty database for this module: an SQLite file in a new data folder (the
    servers' default database: `flowstudio serve` runs one worker per core on it), or a
    PostgreSQL database (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite-data') / 'flowstudio.db'}"
        return
    try:
        admin = _pg_admin_connect()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no server"
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN}: {exc}")
    name = f"flowstudio_mp_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="module")
def cluster(database, tmp_path_factory):
    """Servers "a" and "b" (`flowstudio serve`, its default workers each) on the same database and
    flows; `store` reads the database from the test; `lookup` is the talk flow's service."""
    folder = tmp_path_factory.mktemp("multiprocess")
    lookup = Lookup()
    flows = folder / "flows"
    flows.mkdir()
    (flows / "talk.yaml").write_text(TALK % {"port": lookup.port})
    (flows / "nudge.yaml").write_text(NUDGE)
    if database.startswith("sqlite:///"):   # the data folder's own file, as `make run` uses it
        env = clean_env(FLOWSTUDIO_DATA_DIR=str(Path(database[len("sqlite:///"):]).parent))
    else:
        env = clean_env(FLOWSTUDIO_DATABASE_URL=database + "?options=-c%20lock_timeout%3D20s",
                        FLOWSTUDIO_DATA_DIR=str(folder / "data"))
    servers = {}
    for name in "ab":
        port = free_port()
        servers[name] = Server([sys.executable, "-m", "flowstudio.cli", "serve", "--flows", flows, "--host",
                                "127.0.0.1", "--port", port], env, port, folder / f"server-{name}.log", folder)
    try:
        for server in servers.values():
            server.wait_ready()
        store = Store(database)
        yield type("Cluster", (), {"a": servers["a"], "b": servers["b"], "store": store, "lookup": lookup})
        store.close()
    finally:
        for server in servers.values():
            server.kill()
        lookup.close()
        for name, server in servers.items():  # shown by pytest when a test failed
            print(f"---- server {name}\n{server.output(tail=5000)}")


def replies(response) -> tuple[int, str, str, str]:
    (reply,) = messages(response)
    match = REPLY.match(reply)
    assert match, reply
    n, body, last, status = match.groups()
    return int(n), body, last, status


def test_one_conversation_alternates_between_the_two_processes(cluster):
    alice = Texter(cluster.a, "talk", "+15555550101")
    previous = ""
    for k in range(1, 11):
        alice.server = cluster.a if k % 2 else cluster.b
        # each process continues from the turn the other one saved
        assert replies(alice.text(f"m{k}")) == (k, f"m{k}", previous, "ok")
        previous = f"m{k}"
    (row,) = cluster.store.executions(flow_id="talk", contact=alice.contact)
    assert (row.status, row.version) == ("active", 10)
    asked = [s.context["widgets"]["ask"]["inbound"]["Body"] for s in cluster.store.steps(row.id)
             if (s.event, s.from_widget) == ("incomingMessage", "ask")]
    assert asked == [f"m{k}" for k in range(2, 11)]  # each message resumed the execution once, in order

    # A delivery retried on the other process is answered from the database, not run again.
    sid = "SM" + "r" * 32
    alice.server = cluster.a
    first = replies(alice.text("m11", sid=sid))
    alice.server = cluster.b
    assert replies(alice.text("m11", sid=sid)) == first == (11, "m11", "m10", "ok")
    assert cluster.store.execution(row.id).version == 11


def test_messages_of_one_contact_sent_at_once_to_both_processes_each_run_exactly_once(cluster):
    """Twelve messages of one contact at the same moment, half to each process (and so
    to all their workers), each delivered twice (Twilio's retry, to the other process):
    every message is one turn, the turns one after another, and each retry is answered
    from the database."""
    carol = "+15555550303"
    assert replies(Texter(cluster.a, "talk", carol).text("c0"))[0] == 1
    sends = [(f"c{k}", "SM" + f"{k:032x}") for k in range(1, 13)]
    answers: dict[tuple[str, str], list] = {}

    def send(server, body, sid):
        answer = requests.post(f"{server.base}/webhooks/talk", timeout=HTTP_TIMEOUT, data={
            "MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": carol, "To": "+15555550100", "Body": body})
        answers.setdefault((body, sid), []).append((answer.status_code, messages(answer)))

    threads = [threading.Thread(target=send, args=(server, body, sid))
               for k, (body, sid) in enumerate(sends)
               for server in ((cluster.a, cluster.b) if k % 2 else (cluster.b, cluster.a))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HTTP_TIMEOUT * 3)
    assert all(len(a) == 2 and a[0] == a[1] and a[0][0] == 200 for a in answers.values()), answers
    (row,) = cluster.store.executions(flow_id="talk", contact=carol)
    assert row.version == 13   # c0 and twelve turns: none lost, none run twice
    numbers = sorted(replies_of(a[0][1])[0] for a in answers.values())
    assert numbers == list(range(2, 14))   # each turn saw every earlier one
    asked = [s.context["widgets"]["ask"]["inbound"]["Body"] for s in cluster.store.steps(row.id)
             if (s.event, s.from_widget) == ("incomingMessage", "ask")]
    assert sorted(asked) == sorted(body for body, _ in sends)


def replies_of(texts: list[str]) -> tuple[int, str, str, str]:
    (reply,) = texts
    n, body, last, status = REPLY.match(reply).groups()
    return int(n), body, last, status


def test_a_turn_waiting_on_a_slow_http_widget_holds_up_no_other_contact(cluster):
    """While one contact's turn waits on the lookup (which does not answer until
    released), every other contact's turn, on both processes and all their workers,
    is answered at once."""
    dave = "+15555550404"
    outcome = {}

    def slow():
        outcome["answer"] = replies(Texter(cluster.a, "talk", dave).text("hold-dave"))

    waiting = threading.Thread(target=slow, daemon=True)
    waiting.start()
    try:
        assert cluster.lookup.holding.wait(HTTP_TIMEOUT), "the slow turn never reached the lookup"
        for k in range(8):
            server = cluster.a if k % 2 else cluster.b
            started = time.monotonic()
            assert replies(Texter(server, "talk", f"+155555505{k:02d}").text(f"d{k}")) == (1, f"d{k}", "", "ok")
            assert time.monotonic() - started < HTTP_TIMEOUT
        assert waiting.is_alive() and "answer" not in outcome   # all of them while the slow turn still waited
    finally:
        cluster.lookup.release.set()
        waiting.join(HTTP_TIMEOUT)
        cluster.lookup.holding.clear()   # the kill test below holds the lookup again
        cluster.lookup.release.clear()
    assert outcome["answer"] == (1, "hold-dave", "", "ok")


def test_timers_fire_once_with_both_schedulers_running(cluster):
    contacts = [f"+1555555{3000 + i}" for i in range(20)]
    for i, contact in enumerate(contacts):  # started on both processes alike
        assert messages(Texter(cluster.a if i % 2 else cluster.b, "nudge", contact).text("hi")) == ["Still there?"]
    started = time.monotonic()

    def reminders():
        return [o for o in cluster.store.outbox() if o.effect.get("body") == "Too slow"]

    deadline = started + TIMEOUT_S + 15
    while len(reminders()) < len(contacts) and time.monotonic() < deadline:
        time.sleep(0.1)
    sent = reminders()
    assert sorted(o.effect["to"] for o in sent) == sorted(contacts)  # every timer fired, once
    time.sleep(2.5)  # two more rounds of both schedulers: nothing fires again
    assert len(reminders()) == len(contacts)
    for row in cluster.store.executions(flow_id="nudge"):
        assert row.status == "ended"
        assert [s.event for s in cluster.store.steps(row.id)].count("timeout") == 1


def test_a_process_killed_mid_turn_is_replaced_by_the_other(cluster):
    bob = Texter(cluster.a, "talk", "+15555550202")
    assert replies(bob.text("b1")) == (1, "b1", "", "ok")
    bob.server = cluster.b
    assert replies(bob.text("b2")) == (2, "b2", "b1", "ok")
    (row,) = cluster.store.executions(flow_id="talk", contact=bob.contact)

    # Process a takes the next message, and while its turn waits on the lookup (holding
    # the contact's lock), it dies.
    sid = "SM" + "k" * 32
    outcome = {}

    def send_to_a():
        try:
            outcome["response"] = requests.post(
                f"{cluster.a.base}/webhooks/talk", timeout=HTTP_TIMEOUT,
                data={"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": bob.contact,
                      "To": "+15555550100", "Body": "hold3"})
        except requests.RequestException as exc:
            outcome["error"] = exc

    sender = threading.Thread(target=send_to_a, daemon=True)
    sender.start()
    assert cluster.lookup.holding.wait(HTTP_TIMEOUT), "process a never reached the lookup"
    cluster.a.kill()
    assert not cluster.a.alive()
    sender.join(HTTP_TIMEOUT)
    assert "error" in outcome, "process a answered although it was killed"
    cluster.lookup.release.set()
    assert cluster.store.execution(row.id).version == 2  # nothing of the killed turn was saved

    # Twilio retries the delivery; the load balancer sends it to b, which gets the lock
    # the dead process held (PostgreSQL released it with its connection) and runs the turn.
    bob.server = cluster.b
    assert replies(bob.text("hold3", sid=sid)) == (3, "hold3", "b2", "ok")
    assert replies(bob.text("hold3", sid=sid)) == (3, "hold3", "b2", "ok")  # a second retry: same answer
    assert replies(bob.text("b4")) == (4, "b4", "hold3", "ok")
    after = cluster.store.execution(row.id)
    assert (after.status, after.version) == ("active", 4)
    assert cluster.lookup.requests.count("hold3") == 2  # the killed attempt, then b's
    assert [s.context["flow"]["variables"]["this"] for s in cluster.store.steps(row.id)
            if s.to_widget == "ask"] == ["b1", "b2", "hold3", "b4"]
