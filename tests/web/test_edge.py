"""Refusals every request meets first (web/edge.py, web/jsonbody.py, web/formdata.py).

Before: with `Host: rebind.attacker.example` (DNS rebinding: a web page reaching the
loopback server through its own domain) the API created and deleted flows and read
executions; NUL characters were stored on SQLite and a 500 on PostgreSQL; JSON nested
1,500 levels deep was a 500."""
import json
import shutil

import pytest

from flowstudio.web.app import create_app, runtime
from flowstudio.web.edge import HostRule, hostname

from .conftest import REPO, Phone

SMS = {"MessageSid": "SM1", "From": "+15555550142", "To": "+15555550100", "Body": "hi"}
EVIL = "rebind.attacker.example:5000"


@pytest.fixture
def make_app(tmp_path):
    shutil.copytree(REPO / "flows", tmp_path / "flows")
    made = []

    def make(**config):
        app = create_app({"FLOWS_DIR": str(tmp_path / "flows"), "DATA_DIR": str(tmp_path / "data"),
                          "SCHEDULER": False, "LISTEN_HOST": "127.0.0.1", "TWILIO_AUTH_TOKEN": None,
                          "PUBLIC_URL": None, **config})
        made.append(app)
        return app
    yield make
    for app in made:
        runtime(app).service.store.close()


def browser_headers(host):
    """What a page on the attacker's rebound domain sends: same-origin in every way but the name."""
    return {"Host": host, "Origin": f"http://{host}", "Sec-Fetch-Site": "same-origin"}


@pytest.mark.parametrize("method, path, body", [
    ("post", "/api/flows", {"id": "planted"}),
    ("get", "/api/flows/keyword-router/executions", None),
    ("delete", "/api/flows/keyword-router", None),
    ("get", "/", None),
    ("get", "/socket.io/?EIO=4&transport=polling", None),
    ("post", "/webhooks/keyword-router", SMS),
])
def test_a_foreign_host_name_is_refused_on_loopback(make_app, method, path, body):
    app = make_app()
    client = app.test_client()
    kwargs = {"data": body} if path.startswith("/webhooks") else {"json": body} if body else {}
    r = getattr(client, method)(path, headers=browser_headers(EVIL), **kwargs)
    assert r.status_code == 400
    assert "FLOWSTUDIO_ALLOWED_HOSTS" in r.json["error"]["message"]
    assert runtime(app).service.flows.exists("keyword-router") and not runtime(app).service.flows.exists("planted")


@pytest.mark.parametrize("host", ["localhost:5000", "127.0.0.1:5000", "[::1]:5000", "app.localhost", "10.1.2.3",
                                  "", "flows.example.com", "x.team.example", "machine.lan"])
def test_names_of_this_server_are_answered(make_app, host):
    app = make_app(PUBLIC_URL="https://flows.example.com", ALLOWED_HOSTS="*.team.example, machine.lan")
    assert app.test_client().get("/api/flows", headers={"Host": host} if host else {}).status_code == 200


def test_a_star_turns_the_check_off_and_signed_webhooks_skip_it(make_app):
    assert make_app(ALLOWED_HOSTS="*").test_client().get("/api/flows", headers={"Host": EVIL}).status_code == 200
    signed = make_app(TWILIO_AUTH_TOKEN="tok", PUBLIC_URL="https://flows.example.com")
    phone = Phone(signed.test_client(), token="tok", public="https://flows.example.com")
    r = phone.post("/webhooks/keyword-router", SMS, environ_overrides={"HTTP_HOST": "tunnel.ngrok.example"})
    assert r.status_code == 200


@pytest.mark.parametrize("header, expected", [
    ("localhost:5000", "localhost"), ("[::1]:80", "::1"), ("Example.COM.", "example.com"),
    ("a:b:c", None), ("host:99999", None), ("user@host", None), ("host/path", None), ("host:port", None)])
def test_host_headers_are_parsed_strictly(header, expected):
    assert hostname(header) == expected
    assert HostRule({"example.com"})(header) == (expected in ("localhost", "::1", "example.com"))


@pytest.mark.parametrize("path, query", [("/api/flows/keyword-router/executions", "contact=%2B1555%00999"),
                                         ("/api/outbox", "execution=a%00b"),
                                         ("/webhooks/keyword-router", "execution=FN1%00&widget=x")])
def test_nul_in_a_query_is_refused(make_app, path, query):
    r = make_app().test_client().get(f"{path}?{query}")
    assert r.status_code == 400 and "NUL" in r.json["error"]["message"]


@pytest.mark.parametrize("field", ["From", "MessageSid", "Body", "To"])
def test_nul_in_a_webhook_form_is_refused_and_nothing_is_stored(make_app, field):
    app = make_app()
    r = app.test_client().post("/webhooks/keyword-router", data={**SMS, field: SMS[field] + "\x00999"})
    assert r.status_code == 400 and "NUL" in r.json["error"]["message"]
    assert runtime(app).service.store.count() == 0


def test_nul_in_a_json_body_is_refused(make_app):
    client = make_app().test_client()
    r = client.post("/api/flows/keyword-router/executions", json={"to": "+1555\x00", "from": "+1"})
    assert r.status_code == 400 and r.json["error"]["field"] == "to"
    doc = client.get("/api/flows/keyword-router").json["document"]
    doc["description"] = "bad\x00"
    r = client.post("/api/flows/keyword-router/validate", json={"document": doc})
    assert r.status_code == 400 and r.json["error"]["field"] == "document.description"


def test_a_lone_surrogate_in_a_json_body_is_refused(make_app):
    """Before: 500 (the reply could not be written as UTF-8), or stored as JSON that
    could not be read back."""
    client = make_app().test_client()
    body = '{"to": "+15555550142", "from": "+15555550100", "parameters": {"name": "Ada \\udc80"}}'
    r = client.post("/api/flows/keyword-router/executions", data=body, content_type="application/json")
    assert r.status_code == 400 and r.json["error"]["field"] == "parameters.name"
    assert "surrogate" in r.json["error"]["message"]
    assert client.get("/api/flows/keyword-router/executions").json["executions"] == []


def test_nan_in_a_json_body_is_refused(make_app):
    """Before: 500, and the execution it stored made the executions list a 500 for good."""
    client = make_app().test_client()
    body = '{"to": "+15555550142", "from": "+15555550100", "parameters": {"a": NaN, "b": %d}}' % 10**30
    r = client.post("/api/flows/keyword-router/executions", data=body, content_type="application/json")
    assert r.status_code == 400 and r.json["error"]["field"] == "body" and "NaN" in r.json["error"]["message"]
    assert client.get("/api/flows/keyword-router/executions").status_code == 200


@pytest.mark.parametrize("path, method", [("/api/flows/keyword-router/validate", "post"),
                                          ("/api/flows/keyword-router/draft", "put"),
                                          ("/api/flows", "post"), ("/api/login", "post"),
                                          ("/api/flows/keyword-router/executions", "post")])
@pytest.mark.parametrize("depth", [100, 1_500, 100_000])
def test_deep_json_is_400_everywhere(make_app, path, method, depth):
    body = '{"document": ' + "[" * depth + "]" * depth + "}"
    r = getattr(make_app().test_client(), method)(path, data=body, content_type="application/json")
    assert r.status_code == 400 and "nests too deeply" in r.json["error"]["message"]


def test_a_document_deeper_than_a_flow_file_may_be_is_a_located_problem(make_app):
    client = make_app().test_client()
    doc = client.get("/api/flows/keyword-router").json["document"]
    doc["widgets"][1]["properties"]["body"] = json.loads("[" * 70 + "]" * 70)
    issues = client.post("/api/flows/keyword-router/validate", json={"document": doc}).json["issues"]
    assert [i["code"] for i in issues] == ["too_deep"]
    assert issues[0]["path"].startswith("widgets.1.properties.body.0.0.0")


@pytest.mark.parametrize("field", ["From", "MessageSid"])
def test_nul_is_refused_the_same_on_both_databases(make_app, store_url, field):
    """Before: a 500 on PostgreSQL (it cannot store NUL), `+1555\\x00999` stored on SQLite."""
    app = make_app(DATABASE_URL=store_url)
    r = app.test_client().post("/webhooks/keyword-router", data={**SMS, field: SMS[field] + "\x00999"})
    assert r.status_code == 400 and "NUL" in r.json["error"]["message"]
    assert runtime(app).service.store.count() == 0
    ok = app.test_client().post("/webhooks/keyword-router", data={**SMS, "MessageSid": "SM2"})
    assert ok.status_code == 200
