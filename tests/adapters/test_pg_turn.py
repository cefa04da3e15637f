"""A turn on PostgreSQL (store._PgTurn): one connection, one transaction holding the
contact's advisory lock to its end, four round trips, prepared statements, nothing
written when the execution moved meanwhile, and a connection the server closed
replaced without failing the turn."""
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from psycopg.pq import Trace
from sqlalchemy import event, func, select, text, update

from flowstudio.adapters import schema as t
from flowstudio.adapters.campaignstore import CampaignStore
from flowstudio.adapters.store import Conflict, Store, TurnRecord
from flowstudio.conversation import MockHttp

from ..test_durability import CONTACT, LOOKUP, make_service, message

LOOP = """\
spec_version: 1
name: loop
widgets:
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: ask}
  - name: ask
    type: send-and-wait-for-reply
    properties: {body: "Again?", timeout: 3600}
    transitions: {incomingMessage: note}
  - name: note
    type: set-variables
    properties:
      variables: [{key: last, value: "{{widgets.ask.inbound.Body}}"}]
    transitions: {next: ask}
"""


@pytest.fixture
def pg_url(pg_database):
    store = Store(pg_database)
    store.create_schema()
    store.delete_all()
    store.close()
    return pg_database


@pytest.fixture
def flows_dir(tmp_path):
    d = tmp_path / "flows"
    d.mkdir()
    (d / "lookup.yaml").write_text(LOOKUP)
    (d / "loop.yaml").write_text(LOOP)
    return d



def _kill_a_pooled_turn_connection(store) -> None:
    """Have PostgreSQL end the backend of a connection the turn pool keeps (as a server
    restart or an idle timeout would), and give it a moment to go."""
    fairy = store._turn_engine.raw_connection()
    pid = fairy.driver_connection.info.backend_pid
    fairy.close()
    with store.engine.connect() as c:
        assert c.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    time.sleep(0.2)

def test_a_turn_takes_four_round_trips_on_prepared_statements(pg_url, flows_dir, tmp_path):
    service = make_service(pg_url, flows_dir)
    try:
        sids = iter(range(1, 100))

        def turn():
            result = service.inbound_message("loop", message(f"SM{next(sids)}", "x", contact="+15550001111"))
            assert result.status == "active" and result.waiting["widget"] == "ask" and not result.duplicate

        for _ in range(7):  # psycopg prepares a statement at its 5th use on a connection
            turn()
        fairy = service.store._turn_engine.raw_connection()  # the one connection this thread's turns used
        pgconn = fairy.driver_connection.pgconn
        fairy.close()
        log = tmp_path / "libpq.trace"
        with open(log, "w") as out:
            pgconn.trace(out.fileno())
            pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)
            for _ in range(5):
                turn()
            pgconn.untrace()
        sent = [line.split("\t")[2].split(" ")[0] for line in log.read_text().splitlines()
                if line.split("\t")[0] == "F"]
        # each round trip ends with a simple Query or an extended-protocol Sync
        assert sum(m in ("Query", "Sync") for m in sent) == 5 * 4
        assert "Parse" not in sent  # every statement ran prepared
    finally:
        service.store.close()


def test_the_contact_stays_locked_while_a_turn_waits_on_http_even_for_another_process(pg_url, flows_dir):
    entered, release = threading.Event(), threading.Event()
    mock = MockHttp({"lookup": {"body": {"status": "shipped"}}})

    def slow_http(call):
        entered.set()
        assert release.wait(20)
        return mock(call)

    first = make_service(pg_url, flows_dir, http=slow_http)
    other = make_service(pg_url, flows_dir)  # its own pools: another process, as far as PostgreSQL knows
    results = {}
    try:
        assert [m.body for m in first.inbound_message("lookup", message("SM1", "hi")).replies] == ["Order number?"]
        waiting = threading.Thread(target=lambda: results.update(a=first.inbound_message("lookup", message("SM2", "42"))))
        waiting.start()
        assert entered.wait(20)  # the turn of SM2 waits inside its HTTP widget, nothing saved yet
        later = threading.Thread(target=lambda: results.update(b=other.inbound_message("lookup", message("SM3", "43"))))
        later.start()
        later.join(0.7)
        assert later.is_alive()  # the contact's next message waits for the turn in flight
        release.set()
        waiting.join(20)
        later.join(20)
        assert [m.body for m in results["a"].replies] == ["Order 42 is shipped"] and results["a"].status == "ended"
        # SM3 ran after SM2 had ended the execution: it started a new one, rather than
        # resuming the one SM2 was resuming
        assert [m.body for m in results["b"].replies] == ["Order number?"]
        assert results["b"].execution_id != results["a"].execution_id
        assert len(mock.requests) == 1
    finally:
        release.set()
        first.store.close()
        other.store.close()


def test_a_save_after_the_execution_moved_writes_nothing(pg_url, flows_dir):
    service = make_service(pg_url, flows_dir)
    store = service.store
    try:
        started = service.inbound_message("loop", message("SM1", "hi"))
        with store.turn(f"loop|{CONTACT}") as conn:
            _, row = store.begin_turn("loop", CONTACT, None, "sms:loop:SM2", conn)
            assert row.id == started.execution_id
            with store.engine.begin() as elsewhere:  # a writer that does not take the lock
                elsewhere.execute(update(t.executions).where(t.executions.c.id == row.id)
                                  .values(version=row.version + 1))
            now = datetime(2026, 1, 5, tzinfo=timezone.utc)
            record = TurnRecord(execution_id=row.id, flow_id="loop", revision_id=row.revision_id,
                                session_key=row.session_key, contact=row.contact, flow_address=row.flow_address,
                                channel=row.channel, status="active", state=row.state, version=row.version,
                                now=now, expires_at=row.expires_at, inbound_key="sms:loop:SM2", response={"x": 1},
                                outbox=[{"effect": {"type": "x"}, "status": "sent", "result": {}}], was_active=True)
            with pytest.raises(Conflict):
                store.save_turn(record, conn)
        assert store.inbound_response("sms:loop:SM2") is None
        with store.engine.connect() as c:
            assert c.execute(select(func.count()).select_from(t.turns)).scalar() == 1  # the first turn only
            assert c.execute(select(func.count()).select_from(t.outbox)).scalar() == 0
        assert store.execution(started.execution_id).version == row.version + 1
    finally:
        store.close()


def test_a_connection_the_server_closed_is_replaced_without_failing_the_turn(pg_url, flows_dir):
    service = make_service(pg_url, flows_dir)
    store = service.store
    try:
        service.inbound_message("loop", message("SM1", "hi"))
        _kill_a_pooled_turn_connection(store)
        result = service.inbound_message("loop", message("SM2", "again"))
        assert result.status == "active" and [m.body for m in result.replies] == ["Again?"]
        assert store.execution(result.execution_id).version == 2
    finally:
        store.close()


def test_with_every_kept_connection_in_use_a_turn_waits_a_moment_for_one_before_opening_another(pg_url):
    store = Store(pg_url)
    engine = store._turn_engine
    opened = []
    event.listen(engine, "connect", lambda *_: opened.append(1))
    held = [engine.raw_connection() for _ in range(engine.pool.size())]  # every kept connection in use
    try:
        assert len(opened) == engine.pool.size()
        back = threading.Timer(0.01, held.pop().close)  # one comes back 10 ms later
        back.start()
        held.append(engine.raw_connection())
        back.join()
        assert len(opened) == engine.pool.size()  # it took that one: no connection opened and closed
        # none comes back: an overflow connection, after the wait, as turns waiting on
        # the outside world (an HTTP widget) need
        started = time.monotonic()
        held.append(engine.raw_connection())
        assert len(opened) == engine.pool.size() + 1
        assert time.monotonic() - started < 5
        # and the turns' connections are in autocommit: each turn sends its own BEGIN
        assert all(fairy.driver_connection.autocommit for fairy in held)
    finally:
        for fairy in held:
            fairy.close()
        store.close()


def test_the_pollers_ask_whether_anything_is_due_in_one_round_trip_each(pg_url):
    store = Store(pg_url)
    campaigns = CampaignStore(store)
    now = datetime(2026, 1, 5, tzinfo=timezone.utc)
    claims = (lambda: store.claim_due(now, now + timedelta(seconds=60)),
              lambda: campaigns.claim(now, timedelta(milliseconds=300), timedelta(milliseconds=500),
                                      timedelta(seconds=10)))
    try:
        for claim in claims:  # every worker asks these several times a second; nothing is due
            assert not claim()
        fairy = store._turn_engine.raw_connection()  # the one connection the polls used
        pgconn = fairy.driver_connection.pgconn
        fairy.close()
        with tempfile.TemporaryFile("w+") as out:
            pgconn.trace(out.fileno())
            pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)
            for claim in claims:
                assert not claim()
            pgconn.untrace()
            out.seek(0)
            log = out.read().splitlines()
        sent = [line.split("\t")[2].split(" ")[0] for line in log if line.split("\t")[0] == "F"]
        assert sum(m in ("Query", "Sync") for m in sent) == 2  # no pre-ping, BEGIN or ROLLBACK around them
    finally:
        store.close()


def test_a_poll_on_a_connection_the_server_closed_reconnects(pg_url):
    store = Store(pg_url)
    now = datetime(2026, 1, 5, tzinfo=timezone.utc)
    try:
        assert store.claim_due(now, now + timedelta(seconds=60)) == []
        _kill_a_pooled_turn_connection(store)
        assert store.claim_due(now, now + timedelta(seconds=60)) == []
    finally:
        store.close()
