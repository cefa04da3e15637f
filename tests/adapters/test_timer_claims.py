"""Timers are claimed before they fire (Store.claim_due): a claimed timer is no other
scheduler's, a scheduler never waits for timers another one holds (PostgreSQL: FOR
UPDATE SKIP LOCKED), and a claim left by a process that died runs out."""
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from flowstudio.adapters import schema as t
from flowstudio.adapters import store as store_module
from flowstudio.adapters.store import Store
from flowstudio.conversation import START, Conversation, FakeClock
from flowstudio.repository import FlowRepository
from flowstudio.service import FlowService

from ..test_durability import REMINDER, make_service


@pytest.fixture
def flows_dir(tmp_path):
    from ..test_durability import CONFIRM

    d = tmp_path / "flows"
    d.mkdir()
    (d / "confirm.yaml").write_text(CONFIRM)
    return d


def waiting(service, n: int) -> list[str]:
    """`n` contacts each waiting at `ask` (its timeout falls due at START + 1 h)."""
    return [Conversation(service, "confirm", contact=f"+1555000{i:04d}").send("hi").execution_id for i in range(n)]


def test_a_claimed_timer_is_not_claimed_again_until_its_lease_runs_out(store_url, flows_dir):
    service = make_service(store_url, flows_dir)
    try:
        ids = waiting(service, 3)
        due = START + timedelta(hours=2)
        lease = due + timedelta(seconds=60)
        assert service.store.claim_due(START, START + timedelta(seconds=60)) == []  # nothing due yet
        first = service.store.claim_due(due, lease, limit=2)
        second = service.store.claim_due(due, lease)
        assert len(first) == 2 and len(second) == 1 and {r.id for r in first + second} == set(ids)
        assert service.store.claim_due(due, lease) == []
        # The claiming process died without firing: after the lease the timers are due again.
        assert {r.id for r in service.store.claim_due(lease, lease + timedelta(seconds=60))} == set(ids)
    finally:
        service.store.close()


def test_fire_due_fires_each_claimed_timer_once(store_url, flows_dir):
    service = make_service(store_url, flows_dir)
    try:
        ids = waiting(service, 3)
        fired = service.fire_due(START + timedelta(hours=2))
        assert sorted(r.execution_id for r in fired) == sorted(ids)
        assert all(r.sent[0]["effect"]["body"] == REMINDER for r in fired)
        assert service.fire_due(START + timedelta(hours=3)) == []
        assert service.store.count("active") == 0
    finally:
        service.store.close()


def test_a_timer_that_fails_is_retried_after_its_lease_and_the_others_still_fire(store_url, flows_dir,
                                                                                 monkeypatch):
    service = make_service(store_url, flows_dir)
    try:
        bad, *good = waiting(service, 3)
        real_turn = service._turn

        def turn(flow_id, session_key, decide, *args, execution_id=None, **kwargs):
            if execution_id == bad:
                raise RuntimeError("the flow broke")
            return real_turn(flow_id, session_key, decide, *args, execution_id=execution_id, **kwargs)

        monkeypatch.setattr(service, "_turn", turn)
        now = START + timedelta(hours=2)
        with pytest.raises(RuntimeError, match="the flow broke"):
            service.fire_due(now)
        assert [service.store.execution(i).status for i in good] == ["ended", "ended"]
        monkeypatch.setattr(service, "_turn", real_turn)
        assert service.fire_due(now + timedelta(seconds=59)) == []  # still claimed
        (retried,) = service.fire_due(now + timedelta(seconds=60))
        assert retried.execution_id == bad and retried.status == "ended"
    finally:
        service.store.close()


def test_a_scheduler_skips_the_timers_another_one_holds_instead_of_waiting(pg_database, flows_dir):
    """One process's claim transaction holds 5 due rows (FOR UPDATE, not committed yet);
    another process's scheduler claims the other 25 at once. Without SKIP LOCKED its
    claim would wait for those rows: the lock_timeout of 2 s would then fail it."""
    url = pg_database
    service = make_service(url, flows_dir)
    service.store.delete_all()
    holder = make_service(url, flows_dir)
    impatient = Store(url + "?options=-c%20lock_timeout%3D2s")
    other = FlowService(impatient, FlowRepository(flows_dir, impatient, FakeClock()), clock=FakeClock())
    try:
        ids = waiting(service, 30)
        due = START + timedelta(hours=2)
        with holder.store.engine.connect() as conn:
            with conn.begin():
                held = list(conn.execute(store_module._DUE, {"now": due, "limit": 5}))
                started = time.monotonic()
                claimed = other.store.claim_due(due, due + timedelta(seconds=60))
                took = time.monotonic() - started
                assert len(held) == 5 and len(claimed) == 25
                assert {r.id for r in held} | {r.id for r in claimed} == set(ids)
                assert took < 1.0, f"the claim waited {took:.1f} s for locked rows"
                conn.execute(update(t.executions).where(t.executions.c.id.in_([r.id for r in held]))
                             .values(due_at=due + timedelta(seconds=60)))
        fired = other.fire_due(due + timedelta(seconds=61), limit=100)
        assert sorted(r.execution_id for r in fired) == sorted(ids)  # each once: the claims end by firing
        assert other.fire_due(due + timedelta(seconds=200), limit=100) == []
    finally:
        for s in (service, holder, other):
            s.store.close()
