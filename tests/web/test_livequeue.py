"""Live events between the processes of one machine without Redis (web/livequeue.py):
two apps on one SQLite database stand for two `flowstudio serve` workers. A browser
watching a flow on one sees the turns the other ran; a process without browsers
receives nothing; a dead process's socket is cleared away."""
import os
import shutil
import socket
import time

import pytest

from flowstudio.web.app import create_app, runtime
from flowstudio.web.livequeue import LocalQueueManager, folder_for

from .conftest import REPO

FLOW = "sms-survey"


def worker(tmp_path, **config):
    flows = tmp_path / "flows"
    if not flows.exists():
        shutil.copytree(REPO / "flows", flows)
    return create_app({"FLOWS_DIR": str(flows), "DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": None,
                       "SCHEDULER": False, "TWILIO_AUTH_TOKEN": None, "TWILIO_ACCOUNT_SID": None,
                       "LISTEN_HOST": "127.0.0.1", **config})


def manager(app) -> LocalQueueManager:
    return app.extensions["flowstudio.live"].socketio.server.manager


@pytest.fixture
def workers(tmp_path):
    apps = [worker(tmp_path), worker(tmp_path)]
    yield apps
    for app in apps:
        manager(app).close()
        runtime(app).service.store.close()


def text(app, contact: str, body: str):
    answer = app.test_client().post(f"/webhooks/{FLOW}", data={
        "MessageSid": "SM" + os.urandom(16).hex(), "AccountSid": "AC" + "0" * 32, "From": contact,
        "To": "+15555550100", "Body": body})
    assert answer.status_code == 200, answer.data
    return answer


def turns(client, count: int, timeout: float = 5.0) -> list[dict]:
    got: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        got += [e["args"][0] for e in client.get_received() if e["name"] == "run:turn"]
        time.sleep(0.02)
    return got


def test_a_browser_on_one_worker_sees_the_turns_another_worker_ran(workers):
    a, b = workers
    assert isinstance(manager(a), LocalQueueManager)
    watcher = a.extensions["flowstudio.live"].socketio.test_client(a)
    assert watcher.emit("watch", {"flow": FLOW}, callback=True)["ok"]
    assert manager(b).has_peers() and not manager(a).has_peers()   # a has the only browser

    for k in range(3):
        text(b, f"+1555555010{k}", "hi")
    seen = turns(watcher, 3)
    assert len(seen) == 3 and {t["flow"] for t in seen} == {FLOW}
    rows = runtime(a).service.store.executions(flow_id=FLOW)
    assert sorted(t["execution_id"] for t in seen) == sorted(r.id for r in rows)   # each turn once
    assert all(t["source"] == "phone" and t["steps"] for t in seen)

    text(a, "+15555550109", "hi")   # a's own turns reach it once (not again through the socket)
    assert len(turns(watcher, 2, timeout=1.0)) == 1
    watcher.disconnect()
    manager(a).close()   # the process stops: its socket goes, and the folder with the last one
    assert not os.path.exists(manager(a).folder) and not manager(b).has_peers()


def test_a_worker_without_browsers_binds_nothing_and_receives_nothing(workers):
    a, b = workers
    text(a, "+15555550201", "hi")
    assert manager(a)._path is None and manager(b)._path is None
    assert not os.path.exists(manager(a).folder) or os.listdir(manager(a).folder) == []


def test_apps_on_different_databases_do_not_meet(tmp_path):
    one, two = worker(tmp_path / "one"), worker(tmp_path / "two")
    try:
        assert manager(one).folder != manager(two).folder
        assert folder_for(runtime(one).service.store.url) == manager(one).folder
    finally:
        for app in (one, two):
            runtime(app).service.store.close()


def test_a_dead_workers_socket_is_removed_and_turns_go_on(workers):
    a, b = workers
    folder = manager(b).folder
    os.makedirs(folder, mode=0o700, exist_ok=True)
    stale = os.path.join(folder, "999999-deadbeef.sock")
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dead.bind(stale)
    dead.close()   # the file stays, nobody listens: a SIGKILLed worker's leftover
    watcher = a.extensions["flowstudio.live"].socketio.test_client(a)
    assert watcher.emit("watch", {"flow": FLOW}, callback=True)["ok"]
    text(b, "+15555550301", "hi")
    assert len(turns(watcher, 1)) == 1
    assert not os.path.exists(stale)
    watcher.disconnect()


def test_redis_replaces_the_local_queue(tmp_path):
    app = worker(tmp_path, REDIS_URL="redis://127.0.0.1:6379/0", REDIS_CHANNEL=f"flowstudio-test-{os.getpid()}")
    try:
        assert not isinstance(manager(app), LocalQueueManager)
    finally:
        runtime(app).service.store.close()


@pytest.mark.parametrize("made_by_someone_else", ["open to others", "a link"])
def test_a_meeting_folder_others_could_have_made_is_refused(workers, tmp_path, made_by_someone_else):
    """The folder's name in the shared temporary folder is predictable: one another local
    user made first (open to others, or a link to theirs) would let them read every live
    event (contacts' numbers and messages) and forge them. Nothing is sent there or read
    from there; each worker's browsers still see that worker's own turns."""
    a, b = workers
    folder = manager(a).folder
    shutil.rmtree(folder, ignore_errors=True)
    elsewhere = tmp_path / "theirs"
    elsewhere.mkdir(mode=0o700)
    if made_by_someone_else == "a link":
        os.symlink(elsewhere, folder)
    else:
        os.mkdir(folder)
        os.chmod(folder, 0o777)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)   # "their" socket, waiting for events
    listener.bind(os.path.join(folder, "1-spy.sock"))
    listener.setblocking(False)
    try:
        watcher = a.extensions["flowstudio.live"].socketio.test_client(a)
        assert watcher.emit("watch", {"flow": FLOW}, callback=True)["ok"]
        assert manager(a)._path is None and not manager(b).has_peers()
        text(b, "+15555550401", "hi")   # b publishes nothing into their folder
        with pytest.raises(BlockingIOError):
            listener.recv(65536)
        text(a, "+15555550402", "hi")
        assert len(turns(watcher, 1)) == 1   # a's own turn still reaches its browser
        watcher.disconnect()
    finally:
        listener.close()
        if os.path.islink(folder):
            os.unlink(folder)
        else:
            shutil.rmtree(folder, ignore_errors=True)
