"""On SQLite, one turn at a time per process works on the database (Store.turn holds
the TurnGate): a turn waits at the gate for the one inside, the gate opens while a turn
waits on I/O, and a turn that conflicts leaves no trace."""
import os
import re
import threading

import pytest

from flowstudio.adapters.store import Conflict, TurnRecord
from flowstudio.conversation import MockHttp

from ..test_durability import CONTACT, flows_dir, make_service, message  # noqa: F401 - flows_dir: a fixture


@pytest.fixture
def service(tmp_path, flows_dir):
    service = make_service(f"sqlite:///{tmp_path / 'flowstudio.db'}", flows_dir)
    yield service
    service.store.close()


def in_thread(fn) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = fn()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            outcome["value"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_a_turn_waits_at_the_gate_while_another_holds_it(service):
    service.inbound_message("confirm", message("SMhi", "hi"))
    with service.store.gate.held():
        thread, outcome = in_thread(lambda: service.inbound_message("confirm", message("SMyes", "yes")))
        thread.join(0.5)
        assert thread.is_alive() and not outcome  # queued at the gate, nothing read or written yet
    thread.join(30)
    assert outcome["value"].replies[0].body == "Confirmed"


def test_the_gate_opens_while_a_turn_waits_on_http(service):
    """A slow HTTP widget in one conversation never holds up another conversation."""
    asked, answer = threading.Event(), threading.Event()
    mock = MockHttp({"lookup": {"body": {"status": "shipped"}}})

    def slow(call):
        asked.set()
        assert answer.wait(30)
        return mock(call)

    service.http = slow
    service.inbound_message("lookup", message("SM1", "hi", contact="+15550000001"))
    slow_turn, slow_outcome = in_thread(
        lambda: service.inbound_message("lookup", message("SM2", "42", contact="+15550000001")))
    assert asked.wait(30)  # the first turn is inside its HTTP request
    other = service.inbound_message("confirm", message("SM3", "hi", contact="+15550000002"))
    assert other.replies[0].body == "Reply YES to confirm"  # went through meanwhile
    answer.set()
    slow_turn.join(30)
    assert slow_outcome["value"].replies[0].body == "Order 42 is shipped"


def test_a_conflicting_turn_leaves_no_trace(service):
    contacts = [f"+1555020{i:04d}" for i in range(3)]
    for i, c in enumerate(contacts):
        service.inbound_message("confirm", message(f"SMhi{i}", "hi", contact=c))
    rows = [service.store.active_execution("confirm", c) for c in contacts]
    logs = [len(service.store.logs(row.id)) for row in rows]
    outcomes = []
    for record in (_record(service, rows[0]),
                   _record(service, rows[1], stale=True),               # someone else moved it on first
                   _record(service, rows[2], key="sms:confirm:SMhi0")):  # a delivery already processed
        try:
            outcomes.append(service.store.save_turn(record))
        except Conflict as exc:
            outcomes.append(exc)
    assert outcomes[0] is None and isinstance(outcomes[1], Conflict) and isinstance(outcomes[2], Conflict)
    after = [service.store.execution(row.id) for row in rows]
    assert [a.status for a in after] == ["ended", "active", "active"]
    # the last one's UPDATE ran before its INSERT failed: undone with it
    assert [a.version - row.version for a, row in zip(after, rows)] == [1, 0, 0]
    assert [len(service.store.logs(row.id)) - n for row, n in zip(rows, logs)] == [1, 0, 0]


def _record(service, row, stale: bool = False, key: str | None = None):
    """A finished turn for `row` (ending it), as the service would save it."""
    now = service.clock()
    return TurnRecord(
        execution_id=row.id, flow_id=row.flow_id, revision_id=row.revision_id, session_key=row.session_key,
        contact=row.contact, flow_address=row.flow_address, channel=row.channel, status="ended",
        state={**row.state, "status": "ended"}, version=row.version - 1 if stale else row.version, now=now,
        expires_at=row.expires_at, ended_reason="test", trace=[{"type": "note", "message": "ended by the test"}],
        inbound_key=key)


def test_a_turn_that_keeps_an_execution_active_leaves_its_status_alone(service):
    """Most turns leave an execution active: their UPDATE does not set `status`, so the
    indexes on it are not rewritten; a turn that ends the execution does set it."""
    service.inbound_message("chain", message("SM1", "a"))
    service.inbound_message("confirm", message("SM2", "hi", contact="+15550000003"))
    statements: list[str] = []
    with service.store.turn() as conn:
        conn.set_trace_callback(lambda sql: statements.append(" ".join(sql.split())))
    try:
        service.inbound_message("chain", message("SM3", "b"))                            # stays active
        service.inbound_message("confirm", message("SM4", "yes", contact="+15550000003"))  # ends
    finally:
        with service.store.turn() as conn:
            conn.set_trace_callback(None)
    updates = [s for s in statements if s.startswith("UPDATE executions")]
    assert len(updates) == 2
    sets_status = re.compile(r"[ ,]status ?=")  # the column (the state's JSON says "status":...)
    assert not sets_status.search(updates[0]) and re.search(r"[ ,]version ?=", updates[0])
    assert sets_status.search(updates[1])
    assert service.store.active_execution("chain", CONTACT).version == 2
    assert service.store.active_execution("confirm", "+15550000003") is None


def test_a_forked_child_opens_its_own_connection(service):
    """A connection must not cross fork(): the child's turns run on one of its own."""
    service.inbound_message("chain", message("SM1", "a"))
    with service.store.turn() as parent:
        pass
    pid = os.fork()
    if pid == 0:  # the child: answer in the exit code, never return into pytest
        code = 3
        try:
            with service.store.turn() as conn:
                code = 0 if conn is not parent and conn.execute("SELECT count(*) FROM executions").fetchone()[0] else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    with service.store.turn() as conn:
        assert conn is parent  # the parent keeps its own
