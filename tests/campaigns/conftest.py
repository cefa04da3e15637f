"""An app on SQLite and on PostgreSQL with two flows a campaign starts, a fake clock,
and a campaign runner whose waits move that clock (so pacing is checked exactly)."""
import itertools
from concurrent.futures import Future
import shutil
from pathlib import Path

import pytest

from flowstudio.campaigns import CampaignRunner
from flowstudio.conversation import FakeClock, MockHttp
from flowstudio.web.app import create_app, runtime

REPO = Path(__file__).resolve().parents[2]

SURVEY = """\
spec_version: 1
name: survey
widgets:
  - name: Trigger
    type: trigger
    transitions: {incomingRequest: ask, incomingMessage: thanks}
  - name: ask
    type: send-and-wait-for-reply
    properties: {body: "Hi {{flow.data.name}}, how was your visit?", timeout: 3600}
    transitions: {incomingMessage: thanks, timeout: null}
  - name: thanks
    type: send-message
    properties: {body: "Thank you"}
"""

NOTICE = """\
spec_version: 1
name: notice
widgets:
  - name: Trigger
    type: trigger
    transitions: {incomingRequest: say}
  - name: say
    type: send-message
    properties: {body: "Clinic closed on {{flow.data.day}}"}
"""


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def app(tmp_path, clock, store_url):
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "survey.yaml").write_text(SURVEY)
    (flows / "notice.yaml").write_text(NOTICE)
    shutil.copy(REPO / "flows" / "sms-survey.yaml", flows)
    ids = itertools.count(1)
    app = create_app({"FLOWS_DIR": str(flows), "DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": store_url,
                      "SCHEDULER": False, "CLOCK": clock, "HTTP": MockHttp(), "TWILIO_AUTH_TOKEN": None,
                      "TWILIO_ACCOUNT_SID": None, "LISTEN_HOST": "127.0.0.1",
                      "NEW_ID": lambda: f"FN{next(ids):032d}"})
    yield app
    runtime(app).service.store.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app, clock):
    """The campaign runner; its waits advance the fake clock and are recorded."""
    service = runtime(app).service
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        clock.advance(seconds)

    r = CampaignRunner(service, app.extensions["flowstudio.campaigns"], sleep=sleep)
    r.waits = waits
    r.STATUS_EVERY = 0          # a pause is seen before the next contact
    r._pool = Immediately()     # starts run one after another: each test sees a fixed order
    return r


class Immediately:
    """An executor that runs what it is given at once, in the caller's thread."""

    def submit(self, fn, *args):
        future = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        return future


def drain(runner, limit: int = 10_000) -> int:
    """Run the runner until it finds nothing to send; how many contacts it handled."""
    total, idle = 0, 0
    for _ in range(limit):
        handled = runner.run_once()
        total += handled
        idle = 0 if handled else idle + 1
        if idle == 30:
            return total
        if not handled:  # as the runner's loop polls: the next slot may be a little ahead
            runner.service.clock.advance(0.1)
    raise AssertionError("the runner never ran out of contacts")
