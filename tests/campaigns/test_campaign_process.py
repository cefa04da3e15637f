"""A real `flowstudio serve` SIGKILLed in the middle of a campaign and restarted on the
same SQLite database: every contact is started exactly once (one execution, one
message), none forgotten."""
import sys
import time
from collections import Counter

import pytest
import requests

from flowstudio.adapters.store import Store

from ..web.test_server_process import HTTP_TIMEOUT, clean_env, free_port, servers  # noqa: F401 - fixture
from .conftest import NOTICE

CONTACTS = 200
RATE = 40


def campaign(server, cid):
    return requests.get(f"{server.base}/api/flows/notice/campaigns/{cid}", timeout=HTTP_TIMEOUT).json()


def test_sigkill_mid_campaign_then_restart_starts_each_contact_exactly_once(tmp_path, servers):  # noqa: F811
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "notice.yaml").write_text(NOTICE)
    data, port = tmp_path / "data", free_port()
    cmd = [sys.executable, "-m", "flowstudio.cli", "serve", "--flows", flows, "--host", "127.0.0.1", "--port", port]
    env = clean_env(FLOWSTUDIO_DATA_DIR=str(data))
    server = servers(cmd, env, port)
    server.wait_ready()
    numbers = [f"+1555556{i:04d}" for i in range(CONTACTS)]
    answer = requests.post(f"{server.base}/api/flows/notice/campaigns", timeout=HTTP_TIMEOUT, json={
        "from": "+15555550100", "rate": RATE,
        "contacts": [{"to": n, "parameters": {"day": str(i)}} for i, n in enumerate(numbers)]})
    assert answer.status_code == 201, answer.text
    cid = answer.json()["id"]

    deadline = time.monotonic() + 30
    while campaign(server, cid)["started"] < CONTACTS // 4:
        assert time.monotonic() < deadline, campaign(server, cid)
        time.sleep(0.05)
    server.kill()
    store = Store(f"sqlite:///{(data / 'flowstudio.db').resolve()}")
    try:
        before = len(store.executions(flow_id="notice", limit=10_000))
        assert 0 < before < CONTACTS, "killed in the middle"

        server = servers(cmd, env, port)
        server.wait_ready()
        deadline = time.monotonic() + 60   # claims of the killed process run out after 10 s
        while (shown := campaign(server, cid))["status"] != "done":
            assert time.monotonic() < deadline, shown
            time.sleep(0.2)
        assert (shown["started"], shown["skipped"], shown["failed"], shown["pending"]) == (CONTACTS, 0, 0, 0)
        executions = store.executions(flow_id="notice", limit=10_000)
        assert Counter(r.contact for r in executions) == Counter(numbers)
        sent = Counter(o.effect["to"] for o in store.outbox())
        assert sent == Counter(numbers)
        bodies = {o.effect["to"]: o.effect["body"] for o in store.outbox()}
        assert all(bodies[n] == f"Clinic closed on {i}" for i, n in enumerate(numbers))
    finally:
        store.close()
