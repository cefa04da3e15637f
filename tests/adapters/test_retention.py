"""Retention (adapters/retention.py): ended executions older than the retention are
deleted with their turns and outbox, in small batches, on SQLite and PostgreSQL; active
and recent ones stay; turns go on while a large purge runs."""
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from flowstudio.adapters import schema as t
from flowstudio.adapters.retention import Retention, purge_batch
from flowstudio.config import Settings
from flowstudio.conversation import START, Conversation, FakeClock

from ..test_durability import CONFIRM, make_service

KEEP = timedelta(days=30)


@pytest.fixture
def flows_dir(tmp_path):
    d = tmp_path / "flows"
    d.mkdir()
    (d / "confirm.yaml").write_text(CONFIRM)
    return d


def counts(store, execution_id):
    """(executions, turns, outbox rows) of one execution."""
    with store.engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(table).where(column == execution_id)).scalar()
                     for table, column in ((t.executions, t.executions.c.id), (t.turns, t.turns.c.execution_id),
                                           (t.outbox, t.outbox.c.execution_id)))


def test_ended_executions_past_the_retention_go_with_their_turns_and_outbox(store_url, flows_dir):
    clock = FakeClock()
    service = make_service(store_url, flows_dir, clock=clock)
    store = service.store
    try:
        old = Conversation(service, "confirm", contact="+15550000001").send("hi").execution_id
        service.fire_due(START + timedelta(hours=2))          # the timeout reminds (outbox) and ends it
        waiting = Conversation(service, "confirm", contact="+15550000002").send("hi").execution_id
        store.claim_due(START, START + timedelta(days=400))   # its timers never fire: active for good
        assert counts(store, old) == (1, 2, 1) and counts(store, waiting) == (1, 1, 0)
        clock.advance(timedelta(days=29).total_seconds())
        recent = Conversation(service, "confirm", contact="+15550000003")
        recent.send("hi")
        recent.send("YES")
        clock.advance(timedelta(days=2).total_seconds())     # `old` ended 31 days ago, `recent` 2 days ago

        # one turn row or one execution per batch: every batch is small
        retention = Retention(store, KEEP, clock, executions=1, turns=1, rest=0)
        done = retention.run_once()
        assert (done.executions, done.turns, done.outbox, done.batches) == (1, 2, 1, 3)
        assert counts(store, old) == (0, 0, 0)
        assert counts(store, waiting) == (1, 1, 0)               # active: never deleted, however old
        assert counts(store, recent.execution_id) == (1, 2, 0)   # ended within the retention
        assert retention.run_once().batches == 0                 # nothing left
    finally:
        store.close()


def add_ended(store, n, turns_each, ended_at, prefix="OLD"):
    """`n` ended executions of `confirm`, each with `turns_each` turns, ended at `ended_at`."""
    execs, turns = [], []
    for i in range(n):
        eid = f"{prefix}{i:010d}"
        execs.append(dict(id=eid, flow_id="confirm", revision_id="confirm@1", session_key=f"+1{i:010d}",
                          contact=f"+1{i:010d}", flow_address="+15555550100", channel="sms", status="ended",
                          waiting_widget=None, waiting_kind=None, due_at=None, expires_at=ended_at, state={},
                          version=2, created_at=ended_at, updated_at=ended_at, ended_at=ended_at,
                          ended_reason=None, call_sid=None))
        turns += [dict(execution_id=eid, key=f"{eid}:{k}", at=ended_at, steps="[]", trace=[{"type": "note"}],
                       response=None) for k in range(turns_each)]
    with store._write() as conn:
        conn.execute(insert(t.executions), execs)
        conn.execute(insert(t.turns), turns)


def test_purge_batch_deletes_at_most_its_batch(store_url, flows_dir):
    clock = FakeClock()
    store = make_service(store_url, flows_dir, clock=clock).store
    try:
        add_ended(store, 5, 4, START - timedelta(days=40))
        first = purge_batch(store, START - KEEP, executions=3, turns=5)
        assert (first.turns, first.executions) == (5, 0)
        second = purge_batch(store, START - KEEP, executions=3, turns=5)
        assert (second.turns, second.executions) == (5, 0)
        third = purge_batch(store, START - KEEP, executions=3, turns=5)
        assert (third.turns, third.executions) == (2, 0)            # the first 3 executions' 12 turns
        assert purge_batch(store, START - KEEP, executions=3, turns=5).executions == 3
        assert store.count() == 2
        # an execution that ended after the cutoff is not touched
        assert purge_batch(store, START - timedelta(days=41), executions=3, turns=5).batches == 0
    finally:
        store.close()


def test_turns_keep_flowing_during_a_big_purge(store_url, flows_dir):
    """Turns run while 2,000 old executions (8,000 turns) are purged in the background:
    many turns complete while the purge is still midway, every turn is saved, and the
    purge ends with only the new executions left."""
    clock = FakeClock()
    service = make_service(store_url, flows_dir, clock=clock)
    store = service.store
    total = 2000
    try:
        add_ended(store, total, 4, START - timedelta(days=60))
        retention = Retention(store, KEEP, clock, interval=3600, executions=20, turns=50, rest=0.002)
        progress = []     # turns the purge had deleted when each of our turns was saved
        retention.start()
        deadline = time.monotonic() + 120
        i = 0
        try:
            while retention.purged.executions < total and time.monotonic() < deadline:
                Conversation(service, "confirm", contact=f"+1999{i:07d}").send("hi")
                progress.append(retention.purged.turns)
                i += 1
        finally:
            retention.stop(timeout=30)
        midway = [p for p in progress if 0 < p < total * 4]
        assert retention.purged.executions == total, "the purge did not finish"
        assert len(midway) >= 20, f"only {len(midway)} turns were saved while the purge ran"
        assert store.count() == i and store.count("active") == i   # every turn saved; only they are left
    finally:
        store.close()


def test_retention_days_come_from_the_environment():
    assert Settings.from_env({}).retention == timedelta(days=30)
    assert Settings.from_env({"FLOWSTUDIO_RETENTION_DAYS": "7.5"}).retention == timedelta(days=7.5)
    assert Settings.from_env({"FLOWSTUDIO_RETENTION_DAYS": "0"}).retention is None   # keep everything
    for bad in ("-1", "a month", "inf", "nan"):
        with pytest.raises(ValueError, match=r"FLOWSTUDIO_RETENTION_DAYS must be a number of days .*" + bad):
            Settings.from_env({"FLOWSTUDIO_RETENTION_DAYS": bad})


def test_the_app_runs_retention_beside_the_scheduler_unless_it_keeps_everything(tmp_path, monkeypatch):
    from flowstudio.web.app import create_app, runtime

    config = {"FLOWS_DIR": str(tmp_path / "flows"), "DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": None,
              "SCHEDULER": True, "LISTEN_HOST": "127.0.0.1"}
    monkeypatch.setenv("FLOWSTUDIO_RETENTION_DAYS", "10")
    app = create_app(config)
    rt = runtime(app)
    try:
        assert rt.retention is not None and rt.retention.keep == timedelta(days=10)
        assert any(th.name == "flowstudio-retention" for th in threading.enumerate())
    finally:
        rt.retention.stop()
        rt.scheduler.stop()
        rt.service.store.close()
    monkeypatch.setenv("FLOWSTUDIO_RETENTION_DAYS", "0")
    app = create_app(config)
    rt = runtime(app)
    try:
        assert rt.retention is None
    finally:
        rt.scheduler.stop()
        rt.service.store.close()


def test_a_purge_leaves_the_pooled_connection_checkpointing_as_before(tmp_path, flows_dir):
    """On SQLite a batch's commits skip SQLite's own checkpoint (it would run under the
    write lock); the connection goes back to the pool with the setting it had."""
    store = make_service(f"sqlite:///{tmp_path / 'db.sqlite'}", flows_dir).store
    try:
        add_ended(store, 3, 2, START - timedelta(days=40))
        with store.engine.connect() as conn:
            setting = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        assert setting == 20000
        assert purge_batch(store, START - KEEP).turns == 6
        with store.engine.connect() as conn:   # the pool hands back the connection the batch used
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == setting
    finally:
        store.close()
