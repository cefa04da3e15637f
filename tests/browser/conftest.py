"""Browser tests: a real `flowstudio serve` process on a copy of the example flows, driven
by headless Chromium through Playwright.

One server per session (starting it takes a few seconds); each test works on flows of its
own (fresh ids or copies), so tests do not see each other's edits. Skipped, saying why,
when the editor is not built (`make frontend`) or Chromium is missing.
"""
import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

from ..web.test_server_process import clean_env, free_port

REPO = Path(__file__).resolve().parents[2]
EDITOR = REPO / "flowstudio" / "web" / "static" / "index.html"
CHROMIUM = os.environ.get("FLOWSTUDIO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

def pytest_collection_modifyitems(config, items):
    reason = None
    if not EDITOR.exists():
        reason = f"the editor is not built ({EDITOR.relative_to(REPO)} missing): run `make frontend`"
    elif not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM} (run `make chromium`)"
    if reason:
        for item in items:
            if Path(str(item.fspath)).parent == Path(__file__).parent:
                item.add_marker(pytest.mark.skip(reason=reason))


class Server:
    """The server process, its flows folder and base URL."""

    def __init__(self, root: Path, **env_extra: str):
        self.flows = root / "flows"
        shutil.copytree(REPO / "flows", self.flows)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = root / "server.log"
        env = clean_env(FLOWSTUDIO_DATA_DIR=str(root / "data"), **env_extra)
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [str(REPO / ".venv" / "bin" / "flowstudio"), "serve", "--flows", str(self.flows), "--port", str(self.port)],
                env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited early:\n{self.log.read_text()[-4000:]}")
            try:
                if requests.get(self.base + "/healthz", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"server not ready after 30 s:\n{self.log.read_text()[-4000:]}")

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def api(self, method: str, path: str, **kw) -> requests.Response:
        """Call the API as a script would (with the CSRF token of a fresh session)."""
        s = requests.Session()
        token = s.get(self.base + "/api/session", timeout=10).json()["csrf"]
        return s.request(method, self.base + path, headers={"X-CSRF-Token": token}, timeout=10, **kw)

    def sms(self, flow_id: str, contact: str, body: str, n: int, to: str = "+15555550100") -> None:
        """Text `body` from `contact` to the flow's webhook, as Twilio would (its `n`th
        message: the delivery's id is the contact's and `n`'s)."""
        answer = requests.post(f"{self.base}/webhooks/{flow_id}", timeout=10, data={
            "MessageSid": f"SM{contact[-4:]}{n:028d}", "From": contact, "To": to, "Body": body})
        assert answer.status_code == 200, answer.text

    def new_flow(self, prefix: str, example: str | None = None) -> str:
        """A new flow with a unique id (blank, or a copy of an example flow file)."""
        flow_id = f"{prefix}-{uuid.uuid4().hex[:6]}"
        body = {"id": flow_id, **({"copy_of": example} if example else {})}
        r = self.api("POST", "/api/flows", json=body)
        assert r.status_code == 201, r.text
        return flow_id


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("browser"))
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=server.base)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base)
    page = context.new_page()
    page.set_default_timeout(5000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert not errors, f"errors in the page: {errors}"
