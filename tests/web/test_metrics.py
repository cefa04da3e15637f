"""GET /metrics: Prometheus's text format, what it counts, and who may read it."""
import itertools

import pytest
from prometheus_client.parser import text_string_to_metric_families

from flowstudio.conversation import FakeClock, MockHttp
from flowstudio.scheduler import Scheduler
from flowstudio.web.app import create_app, runtime

from .conftest import PUBLIC, TOKEN, Phone

LOOKUP = """\
spec_version: 1
name: lookup
widgets:
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: fetch}
  - name: fetch
    type: make-http-request
    properties: {method: GET, url: "https://example.com/orders"}
    transitions: {success: ask, failed: ask}
  - name: ask
    type: send-and-wait-for-reply
    properties: {body: "Anything else?", timeout: 3600}
    transitions: {incomingMessage: null, timeout: null}
"""


def sms(sid, body, contact="+15555550123"):
    return {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": contact, "To": "+15555550100",
            "Body": body, "NumMedia": "0"}


def scrape(client, **headers) -> dict:
    """The samples of GET /metrics, by (name, sorted labels)."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.data
    assert response.content_type.startswith("text/plain; version=")   # Prometheus's text format
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.data.decode()) for s in family.samples}


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def make_app(tmp_path):
    """create_app on a folder holding the lookup flow; every app made is closed afterwards."""
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "lookup.yaml").write_text(LOOKUP)
    made = []

    def make(**config):
        ids = itertools.count(1)
        app = create_app({"FLOWS_DIR": str(flows), "DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": None,
                          "SCHEDULER": False, "CLOCK": FakeClock(), "HTTP": MockHttp(), "TWILIO_AUTH_TOKEN": TOKEN,
                          "TWILIO_ACCOUNT_SID": None, "PUBLIC_URL": PUBLIC, "LISTEN_HOST": "127.0.0.1",
                          "NEW_ID": lambda: f"FN{next(ids):032d}", **config})
        made.append(app)
        return app

    yield make
    for app in made:
        runtime(app).service.store.close()


def test_turns_webhook_answers_and_http_widgets_are_counted(make_app):
    http = MockHttp({"fetch": {"body": {"ok": True}}})
    app = make_app(HTTP=http)
    client, phone = app.test_client(), Phone(app.test_client())
    before = scrape(client)
    assert phone.post("/webhooks/lookup", sms("SM1", "hi")).status_code == 200
    assert phone.post("/webhooks/lookup", sms("SM2", "hi"), sign=False).status_code == 403   # unsigned
    http.answers["fetch"] = {"status": 503, "body": "down"}
    assert phone.post("/webhooks/lookup", sms("SM3", "hi", contact="+15555550124")).status_code == 200
    http.answers.pop("fetch")          # no answer at all: the request fails
    assert phone.post("/webhooks/lookup", sms("SM4", "hi", contact="+15555550125")).status_code == 200
    after = scrape(client)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("flowstudio_turns_total", flow="lookup", outcome="active") == 3
    assert grew("flowstudio_turn_seconds_count") == 3
    assert grew("flowstudio_webhook_responses_total", status="200") == 3
    assert grew("flowstudio_webhook_responses_total", status="403") == 1
    assert [grew("flowstudio_http_widget_requests_total", outcome=o) for o in ("ok", "error_status", "failed")] \
        == [1, 1, 1]
    assert grew("flowstudio_http_widget_seconds_count") == 3
    assert value(after, "flowstudio_executions_active") == 3      # read from the database
    assert value(after, "process_resident_memory_bytes") > 0      # one process: its own figures too


def test_timers_due_late_and_fired(make_app):
    app = make_app()
    rt = runtime(app)
    clock = rt.service.clock
    client, phone = app.test_client(), Phone(app.test_client())
    phone.post("/webhooks/lookup", sms("SM1", "hi"))
    samples = scrape(client)
    assert (value(samples, "flowstudio_timers_due"), value(samples, "flowstudio_timers_late_seconds")) == (0, 0)
    clock.advance(3600 + 90)          # the reply's timeout fell due 90 s ago
    samples = scrape(client)
    assert (value(samples, "flowstudio_timers_due"), value(samples, "flowstudio_timers_late_seconds")) == (1, 90)
    fired_before = value(samples, "flowstudio_timers_fired_total")
    assert Scheduler(rt.service).run_once() == 1
    samples = scrape(client)
    assert value(samples, "flowstudio_timers_fired_total") - fired_before == 1
    assert (value(samples, "flowstudio_timers_due"), value(samples, "flowstudio_executions_active")) == (0, 0)


def test_metrics_are_protected_like_the_api_beyond_loopback(make_app):
    app = make_app(LISTEN_HOST="0.0.0.0", API_TOKEN="scrape-token-0123456789", PASSWORD="open sesame")
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    scrape(client, Authorization="Bearer scrape-token-0123456789")
    scrape(client, Authorization="bearer scrape-token-0123456789")   # the scheme's case does not matter
    assert client.post("/api/login", json={"password": "open sesame"}).status_code == 200
    scrape(client)                     # a signed-in session may read them too


def test_metrics_beyond_loopback_without_credentials_say_what_to_set(make_app):
    app = make_app(LISTEN_HOST="0.0.0.0", API_TOKEN=None, PASSWORD=None)
    response = app.test_client().get("/metrics")
    assert response.status_code == 403 and "FLOWSTUDIO_API_TOKEN" in response.get_json()["error"]["message"]


def test_connected_editor_tabs_are_counted(make_app):
    app = make_app()
    client = app.test_client()
    socketio = app.extensions["flowstudio.live"].socketio
    tabs = [socketio.test_client(app), socketio.test_client(app)]
    assert all(tab.is_connected() for tab in tabs)
    assert value(scrape(client), "flowstudio_socket_clients") == 2
    tabs[0].disconnect()
    assert value(scrape(client), "flowstudio_socket_clients") == 1
    tabs[1].disconnect()
    assert value(scrape(client), "flowstudio_socket_clients") == 0
