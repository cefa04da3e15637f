"""On SQLite, turns saved by several threads at once share one transaction (group
commit, Store._save_raw): each thread returns once its own turn is committed, and one
turn's conflict neither undoes nor blocks the others."""
import threading
import time

import pytest
from sqlalchemy import event

from flowstudio.adapters.store import Conflict
from flowstudio.conversation import Conversation

from ..test_durability import CONFIRM, make_service, message

THREADS = 5


@pytest.fixture
def service(tmp_path):
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "confirm.yaml").write_text(CONFIRM)
    service = make_service(f"sqlite:///{tmp_path / 'flowstudio.db'}", flows)
    yield service
    service.store.close()


def count_commits(store) -> list[str]:
    """The COMMITs run on connections threads take from now on (each thread's own)."""
    commits: list[str] = []

    @event.listens_for(store.engine, "checkout")
    def _trace(dbapi_conn, _record, _proxy):
        dbapi_conn.set_trace_callback(lambda sql: commits.append(sql) if sql.strip().upper() == "COMMIT" else None)

    return commits


def queued_while_the_write_lock_is_held(store, work: list) -> dict:
    """Run each callable of `work` in its own thread while this thread holds the write
    lock, until every one has queued its turn; then let them go. What each returned or
    raised, by index."""
    outcome: dict = {}

    def run(i, fn):
        try:
            outcome[i] = fn()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            outcome[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(work)]
    with store._write_guard:
        for th in threads:
            th.start()
        deadline = time.monotonic() + 30
        while len(store._pending) < len(work):
            assert time.monotonic() < deadline, "the turns never queued"
            time.sleep(0.005)
    for th in threads:
        th.join(30)
    return outcome


def test_turns_queued_together_are_committed_in_one_transaction(service):
    contacts = [f"+1555010{i:04d}" for i in range(THREADS)]
    for c in contacts:
        Conversation(service, "confirm", contact=c).send("hi")
    commits = count_commits(service.store)
    outcome = queued_while_the_write_lock_is_held(service.store, [
        (lambda c=c, i=i: service.inbound_message("confirm", message(f"SMyes{i}", "yes", contact=c)))
        for i, c in enumerate(contacts)])
    assert [type(outcome[i]).__name__ for i in range(THREADS)] == ["TurnResult"] * THREADS
    assert [outcome[i].replies[0].body for i in range(THREADS)] == ["Confirmed"] * THREADS
    assert len(commits) == 1  # the five turns shared one transaction
    for i, c in enumerate(contacts):
        assert service.store.active_execution("confirm", c) is None  # each conversation ended
        assert service.store.inbound_response(f"sms:confirm:SMyes{i}") is not None  # and its delivery was recorded


def test_conflicting_turns_in_a_batch_leave_no_trace_and_the_others_are_committed(service):
    contacts = [f"+1555020{i:04d}" for i in range(4)]
    for i, c in enumerate(contacts):
        service.inbound_message("confirm", message(f"SMhi{i}", "hi", contact=c))
    rows = [service.store.active_execution("confirm", c) for c in contacts]
    logs = [len(service.store.logs(row.id)) for row in rows]
    records = [_record(service, rows[0]),
               _record(service, rows[1], stale=True),             # someone else moved it on first
               _record(service, rows[2]),
               _record(service, rows[3], key="sms:confirm:SMhi0")]  # a delivery already processed
    outcome = queued_while_the_write_lock_is_held(service.store, [
        (lambda r=r: service.store.save_turn(r)) for r in records])
    assert outcome[0] is None and outcome[2] is None
    assert isinstance(outcome[1], Conflict) and isinstance(outcome[3], Conflict)
    after = [service.store.execution(row.id) for row in rows]
    assert [a.status for a in after] == ["ended", "active", "ended", "active"]
    assert [a.version - row.version for a, row in zip(after, rows)] == [1, 0, 1, 0]  # its UPDATE undone
    assert [len(service.store.logs(row.id)) - n for row, n in zip(rows, logs)] == [1, 0, 1, 0]


def _record(service, row, stale: bool = False, key: str | None = None):
    """A finished turn for `row` (ending it), as the service would save it."""
    from flowstudio.adapters.store import TurnRecord

    now = service.clock()
    return TurnRecord(
        execution_id=row.id, flow_id=row.flow_id, revision_id=row.revision_id, session_key=row.session_key,
        contact=row.contact, flow_address=row.flow_address, channel=row.channel, status="ended",
        state={**row.state, "status": "ended"}, version=row.version - 1 if stale else row.version, now=now,
        expires_at=row.expires_at, ended_reason="test", trace=[{"type": "note", "message": "ended by the test"}],
        inbound_key=key)
