"""Without TWILIO_AUTH_TOKEN, webhooks are accepted on loopback only, unless --insecure."""
import pytest

from flowstudio.web.app import create_app, runtime

from .conftest import REPO

SMS = {"MessageSid": "SM1", "From": "+15555550142", "To": "+15555550100", "Body": "help"}


@pytest.mark.parametrize("host, insecure, expected", [
    ("127.0.0.1", False, 200), ("localhost", False, 200), ("::1", False, 200),
    ("0.0.0.0", False, 403), ("192.0.2.10", False, 403), (None, False, 403),
    ("0.0.0.0", True, 200),
])
def test_unsigned_webhooks_depend_on_where_the_server_listens(tmp_path, host, insecure, expected):
    app = create_app({"FLOWS_DIR": str(REPO / "flows"), "DATABASE_URL": "sqlite://", "SCHEDULER": False,
                      "TWILIO_AUTH_TOKEN": None, "LISTEN_HOST": host, "INSECURE": insecure})
    response = app.test_client().post("/webhooks/keyword-router", data=SMS)
    assert response.status_code == expected
    if expected == 403:
        assert "TWILIO_AUTH_TOKEN" in response.json["error"]["message"]
    runtime(app).service.store.close()
