"""An app on the example flows with a fake clock, signed Twilio requests, golden TwiML."""
import itertools
import os
import re
import shutil
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from flowstudio.conversation import FakeClock, MockHttp
from flowstudio.web.app import create_app, runtime

REPO = Path(__file__).resolve().parents[2]
TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC = "https://flows.example.com"
GOLDEN = Path(__file__).parent / "golden"


class Phone:
    """Sends what Twilio would send, signed with the account's token."""

    def __init__(self, client, token=TOKEN, public=PUBLIC):
        self.client = client
        self.validator = RequestValidator(token)
        self.public = public

    def post(self, path: str, data: dict, sign: bool = True, **kw):
        headers = {}
        if sign:
            headers["X-Twilio-Signature"] = self.validator.compute_signature(self.public + path, data)
        return self.client.post(path, data=data, headers=headers, **kw)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def http():
    return MockHttp()


@pytest.fixture
def app(tmp_path, clock, http):
    flows = tmp_path / "flows"
    shutil.copytree(REPO / "flows", flows)
    ids = itertools.count(1)
    app = create_app({"FLOWS_DIR": str(flows), "DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": None,
                      "SCHEDULER": False, "CLOCK": clock, "HTTP": http, "TWILIO_AUTH_TOKEN": TOKEN,
                      "TWILIO_ACCOUNT_SID": None, "PUBLIC_URL": PUBLIC, "LISTEN_HOST": "127.0.0.1", "NEW_ID": lambda: f"FN{next(ids):032d}"})
    yield app
    runtime(app).service.store.close()


@pytest.fixture
def phone(app):
    return Phone(app.test_client())


def action_of(twiml: str, verb: str = "Gather") -> str:
    """The callback URL of a verb in a TwiML answer."""
    match = re.search(rf'<{verb} action="([^"]+)"', twiml) or re.search(rf"<{verb}[^>]*>([^<]+)</{verb}>", twiml)
    return match.group(1).replace("&amp;", "&")


def assert_golden(name: str, text: str) -> None:
    """Compare with tests/web/golden/NAME.xml; FLOWSTUDIO_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / f"{name}.xml"
    pretty = text.replace("><", ">\n<") + "\n"
    if os.environ.get("FLOWSTUDIO_UPDATE_GOLDEN") == "1" or not path.exists():
        path.write_text(pretty)
    assert pretty == path.read_text()
