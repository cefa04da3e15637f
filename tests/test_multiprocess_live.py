"""The live executions view across processes: real `flowstudio serve` processes on one
PostgreSQL database, a browser (headless Chromium) with the editor open on process "a",
and phones texting the flow through the other processes.

- "a" and "b" share Redis (`FLOWSTUDIO_REDIS_URL`, on a pub/sub channel of this test
  run's own, `FLOWSTUDIO_REDIS_CHANNEL`): a webhook handled by "b" shows up at once in the
  executions view of the browser connected to "a", without reloading the page.
- "c" has no Redis: its turns are saved in the shared database, but the browser on "a"
  hears nothing of them (live views only see their own process).

Skipped, saying why, when PostgreSQL or Redis is not reachable (or, as every browser
test, when the editor is not built or Chromium is missing). Every process started here
runs in its own process group and is killed at teardown; every wait is bounded.
"""
import json
import os
import re
import shutil
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from .browser.conftest import CHROMIUM, CHROMIUM_ARGS, EDITOR, REPO
from .test_multiprocess import database  # noqa: F401 - the fixture: a new, empty PostgreSQL database
from .web.test_server_process import HTTP_TIMEOUT, Server, clean_env, free_port, messages

REDIS = os.environ.get("FLOWSTUDIO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
FLOW = "appointment-confirmation"
ASK = "Hi, this is Bright Smile Dental. Please confirm your appointment. Reply YES to confirm or NO to cancel."
QUIET_S = 2.0  # how long the browser must hear nothing of a process without Redis


@pytest.fixture(scope="module")
def redis_url():
    try:
        import redis

        client = redis.Redis.from_url(REDIS, socket_connect_timeout=1)
        client.ping()
        client.close()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no server"
        pytest.skip(f"Redis not reachable at {REDIS}: {exc}")
    return REDIS


@pytest.fixture(scope="module")
def cluster(database, redis_url, tmp_path_factory):  # noqa: F811 - database is the imported fixture
    """Servers "a" and "b" (with Redis) and "c" (without), one worker each, on the same
    database and flows folder."""
    if not EDITOR.exists():
        pytest.skip(f"the editor is not built ({EDITOR.relative_to(REPO)} missing): run `make frontend`")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (run `make chromium`)")
    folder = tmp_path_factory.mktemp("multiprocess-live")
    flows = folder / "flows"
    shutil.copytree(REPO / "flows", flows)
    common = {"FLOWSTUDIO_DATABASE_URL": database, "FLOWSTUDIO_DATA_DIR": str(folder / "data")}
    shared = {"FLOWSTUDIO_REDIS_URL": redis_url,
              "FLOWSTUDIO_REDIS_CHANNEL": f"flowstudio-test-{uuid.uuid4().hex[:12]}"}  # no other run's events
    base = clean_env(**common)
    for key in shared:   # whatever the calling environment says
        base.pop(key, None)
    envs = {"a": {**base, **shared}, "b": {**base, **shared}, "c": base}
    servers = {}
    for name, env in envs.items():
        port = free_port()
        servers[name] = Server([sys.executable, "-m", "flowstudio.cli", "serve", "--flows", flows, "--host",
                                "127.0.0.1", "--port", port], env, port, folder / f"server-{name}.log", folder)
    try:
        with ThreadPoolExecutor(3) as pool:   # they start at once (the first one migrates the database)
            list(pool.map(lambda s: s.wait_ready(), servers.values()))
        yield type("Cluster", (), servers)
    finally:
        for server in servers.values():
            server.kill()
        for name, server in servers.items():  # shown by pytest when a test failed
            print(f"---- server {name}\n{server.output(tail=5000)}")


def text(server: Server, contact: str, body: str) -> list[str]:
    """A phone texts the flow through one process (unsigned: loopback); its replies."""
    sid = "SM" + uuid.uuid4().hex
    return messages(requests.post(f"{server.base}/webhooks/{FLOW}", timeout=HTTP_TIMEOUT,
                                  data={"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": contact,
                                        "To": "+15555550100", "Body": body}))


def in_own_thread(work, *args) -> None:
    """Run `work(*args)` in a thread of its own, raising what it raised: Playwright's sync
    API refuses a thread where it already runs (the browser tests' session-wide Chromium,
    when the whole suite runs)."""
    outcome = {}

    def target():
        try:
            work(*args)
        except BaseException as exc:  # noqa: BLE001 - raised again in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name=work.__name__, daemon=True)
    thread.start()
    thread.join(120)
    assert not thread.is_alive(), f"{work.__name__} did not finish in 120 s"
    if "error" in outcome:
        raise outcome["error"]


def test_a_browser_on_one_process_sees_turns_handled_by_another_through_redis(cluster):
    in_own_thread(browse, cluster)


def browse(cluster):
    """The test itself (see the module docstring), in Chromium of its own."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(5000)
            errors, turns = [], []   # turns: the run:turn events the browser's websocket received

            def frames(ws):
                def received(payload):
                    if isinstance(payload, str) and payload.startswith('42["run:turn"'):
                        turns.append(json.loads(payload[2:])[1])
                ws.on("framereceived", received)

            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("websocket", frames)

            # The editor on process a, the console open (it joins the flow's room), the
            # executions view showing.
            page.goto(f"{cluster.a.base}/flows/{FLOW}")
            expect(page.locator(".react-flow__node").first).to_be_visible()
            page.get_by_test_id("test-button").click()
            expect(page.get_by_test_id("console-status")).to_have_text(re.compile("Ready"))
            page.evaluate("window.__notReloaded = true")
            # A console turn on a: its event comes back to the browser (through Redis too),
            # so the browser is in the flow's room before any phone texts.
            page.get_by_label("Your message").fill("hi")
            page.locator(".sms-area button[type=submit]").click()
            expect(page.get_by_test_id("transcript").locator(".bubble.flow")).to_have_count(1)
            deadline = time.monotonic() + 5
            while not turns and time.monotonic() < deadline:
                page.wait_for_timeout(50)
            assert [t["source"] for t in turns] == ["console"], turns
            page.locator(".console-tabs button", has_text="Executions").click()
            runs = page.get_by_test_id("executions").locator(".exec")
            expect(runs).to_have_count(1)

            # Process c has no Redis: its turn is saved, the browser on a hears nothing.
            assert text(cluster.c, "+15555550133", "hi") == [ASK]
            page.wait_for_timeout(QUIET_S * 1000)
            assert len(turns) == 1, turns
            expect(runs).to_have_count(1)

            # Process b shares Redis with a: its turn shows up live in a's browser.
            contact = "+15555550122"
            assert text(cluster.b, contact, "hi") == [ASK]
            phone = page.get_by_test_id("executions").locator(".exec", has_text=contact)
            expect(phone).to_have_attribute("data-source", "phone")
            expect(phone).to_contain_text("waiting at ask_confirmation")
            (event,) = [t for t in turns if t["source"] == "phone"]
            assert (event["flow"], event["status"]) == (FLOW, "active")
            assert [(s["from"], s["to"]) for s in event["steps"]] == [("Trigger", "ask_confirmation")]
            # ... and its steps replay on a's canvas.
            phone.get_by_role("button", name="Replay").click()
            expect(page.get_by_test_id("replay-position")).to_have_text("Step 1 of 1")
            expect(page.get_by_test_id("replay")).to_contain_text(f'From: "{contact}"')

            # The next message of that contact, through b again: a's view follows it.
            assert text(cluster.b, contact, "YES") != []
            expect(phone).not_to_have_attribute("data-status", "active")
            assert page.evaluate("window.__notReloaded") is True   # all of it without reloading the page
            assert not errors, f"errors in the page: {errors}"
        finally:
            browser.close()
