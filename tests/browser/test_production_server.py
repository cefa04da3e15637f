"""The editor under the production command, with its default workers (one per core, at
least 2 here): `flowstudio serve --flows DIR` as `make run` runs it (a free port instead
of 5000), on the embedded SQLite database and no Redis.

The browser's websocket reaches one worker; phones text the flow over new connections,
which the workers share. The live test console works over that websocket, and the
executions view shows every phone's turn as it happens, including the turns of the
worker that does not hold the websocket (passed on by web/livequeue.py). Which worker
ran what is read from each worker's own metrics file (prometheus-client's multiprocess
folder, one file per worker pid): the worker with a connected tab, and the turns each
one saved.
"""
import json
import re
import signal
import subprocess
import time
import uuid
import os
import shutil
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from flowstudio.cli import default_workers

from ..web.test_server_process import clean_env, free_port, messages
from .conftest import REPO
from ..test_multiprocess_live import in_own_thread

FLOW = "appointment-confirmation"
ASK = "Hi, this is Bright Smile Dental. Please confirm your appointment. Reply YES to confirm or NO to cancel."
MAX_PHONES = 80


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    root = tmp_path_factory.mktemp("production")
    shutil.copytree(REPO / "flows", root / "flows")
    metrics = root / "metrics"
    metrics.mkdir()
    port = free_port()
    cmd = [str(REPO / ".venv" / "bin" / "flowstudio"), "serve", "--flows", "flows", "--port", str(port)]
    if default_workers() < 2:   # a 1-core machine: the point is several workers
        cmd += ["--workers", "2"]
    log = root / "server.log"
    env = clean_env(FLOWSTUDIO_DATA_DIR=str(root / "data"), PROMETHEUS_MULTIPROC_DIR=str(metrics))
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()[-4000:]
            try:
                if requests.get(base + "/healthz", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        booted = re.findall(r"Booting worker with pid: (\d+)", log.read_text())
        assert len(booted) == max(2, default_workers()), log.read_text()[-4000:]
        yield type("Production", (), {"base": base, "metrics": metrics, "log": log, "pids": booted})
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        print(log.read_text()[-3000:])


def per_worker(metrics: Path, metric: str) -> dict[str, float]:
    """A metric's value in each worker's own file (summed over labels), by pid."""
    from prometheus_client.mmap_dict import MmapedDict

    values: dict[str, float] = {}
    for path in metrics.glob("*.db"):
        pid = path.stem.rsplit("_", 1)[-1]
        for key, value, *_ in MmapedDict.read_all_values_from_file(str(path)):
            if json.loads(key)[0] == metric:
                values[pid] = values.get(pid, 0.0) + value
    return values


def text(base: str, contact: str, body: str) -> list[str]:
    """A phone texts the flow, on a new connection (so any worker may take it)."""
    with requests.Session() as s:
        return messages(s.post(f"{base}/webhooks/{FLOW}", timeout=30, data={
            "MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": "AC" + "0" * 32, "From": contact,
            "To": "+15555550100", "Body": body}))


def test_console_and_executions_view_see_every_workers_turns_under_the_production_command(production):
    in_own_thread(browse, production)


def browse(production):
    from playwright.sync_api import sync_playwright

    from .conftest import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(10000)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))

            # The live test console, over the websocket to one worker.
            page.goto(f"{production.base}/flows/{FLOW}")
            expect(page.locator(".react-flow__node").first).to_be_visible()
            page.get_by_test_id("test-button").click()
            expect(page.get_by_test_id("console-status")).to_have_text(re.compile("Ready"))
            page.evaluate("window.__notReloaded = true")
            page.get_by_label("Your message").fill("hi")
            page.locator(".sms-area button[type=submit]").click()
            expect(page.get_by_test_id("transcript").locator(".bubble.flow")).to_have_text([ASK])
            expect(page.get_by_test_id("console-status")).to_have_text("Waiting at ask_confirmation for a reply")
            page.locator(".console-tabs button", has_text="Executions").click()
            runs = page.get_by_test_id("executions").locator(".exec")
            expect(runs).to_have_count(1)

            tabs = {pid for pid, n in per_worker(production.metrics, "flowstudio_socket_clients").items() if n > 0}
            assert len(tabs) == 1, tabs   # one worker holds the tab's websocket
            (holder,) = tabs

            # Phones text the flow until a worker other than the tab's has run some turns.
            phones = 0
            while phones < MAX_PHONES:
                phones += 1
                assert text(production.base, f"+1555555{2000 + phones}", "hi") == [ASK]
                turns = per_worker(production.metrics, "flowstudio_turns")
                others = sum(n for pid, n in turns.items() if pid != holder)
                if phones >= 6 and others >= 3:
                    break
            assert others >= 3, f"after {phones} phones, the other workers ran {others} turns: {turns}"
            # Every phone's turn shows up live in the tab, whichever worker ran it.
            expect(runs).to_have_count(1 + phones)
            last = page.get_by_test_id("executions").locator(".exec", has_text=f"+1555555{2000 + phones}")
            expect(last).to_have_attribute("data-source", "phone")
            expect(last).to_contain_text("waiting at ask_confirmation")

            # The console still answers over the same websocket.
            page.locator(".console-tabs button", has_text="Phone").click()
            page.get_by_label("Your message").fill("YES")
            page.locator(".sms-area button[type=submit]").click()
            expect(page.get_by_test_id("console-status")).to_have_text("Ended")
            assert page.evaluate("window.__notReloaded") is True   # all of it without reloading the page
            assert not errors, f"errors in the page: {errors}"
        finally:
            browser.close()
