"""Values that parsed, and then failed further in: digits `int` refuses, numbers a float
cannot hold, Twilio parameters longer than the columns they go to, JSON nested past
the recursion limit inside a webhook's field. A real `flowstudio serve` on PostgreSQL
(which, unlike SQLite, refuses a value longer than its column); each attack must get a
4xx naming the field, or be kept as the text it is, and nothing may be stored.
"""
import json
import sys
from pathlib import Path

import pytest
import requests

from flowstudio.adapters.store import Store

from .test_hostile_input import still_serves
from ..web.test_server_process import HTTP_TIMEOUT, Server, clean_env, free_port, messages

REPO = Path(__file__).resolve().parents[2]
HEALTHY = "keyword-router"
DEFINITION = ('{"description": "", "states": [{"name": "Trigger", "type": "trigger", "transitions": [], '
              '"properties": {"offset": {"x": %s, "y": 0}}}], "initial_state": "Trigger", "flags": {}}')


UNSERVED_NAMES = ["sp ace.yaml", "q?x.yaml", "-dash.yaml", "caf\u00e9.yaml"]


@pytest.fixture(scope="module")
def server(tmp_path_factory, pg_database):
    """One server on the example flows, on a fresh PostgreSQL database."""
    base = tmp_path_factory.mktemp("values")
    flows = base / "flows"
    flows.mkdir()
    for f in (REPO / "flows").glob("*.yaml"):
        (flows / f.name).write_text(f.read_text())
    healthy = (flows / f"{HEALTHY}.yaml").read_text()
    for name in UNSERVED_NAMES:   # files the server does not serve: its start must not offer them
        (flows / name).write_text(healthy)
    (flows / "outside.yaml").symlink_to(flows / ".." / "server.log")
    port = free_port()
    env = clean_env(FLOWSTUDIO_DATA_DIR=str(base / "data"), FLOWSTUDIO_DATABASE_URL=pg_database)
    srv = Server([sys.executable, "-m", "flowstudio.cli", "serve", "--flows", flows, "--host", "127.0.0.1",
                  "--port", port, "--workers", 1], env, port, base / "server.log", base)
    srv.wait_ready(60)
    srv.flows = flows
    srv.store = Store(pg_database)
    yield srv
    srv.store.close()
    srv.kill()


# ---------------------------------------------------------------- whole numbers in addresses

NINES = "9" * 5000   # str.isdigit() says yes; int() refuses past 4,300 digits


@pytest.mark.parametrize("path", [
    "/v2/Flows?PageSize=%C2%B2", "/v2/Flows?Page=%C2%B2", f"/v2/Flows?Page={NINES}",
    f"/v2/Flows/{HEALTHY}/Revisions?PageSize=%C2%B3", f"/v2/Flows/{HEALTHY}/Executions?Page=%C2%B9",
    "/api/outbox?limit=%C2%B2", f"/api/outbox?limit={NINES}", f"/api/flows/{HEALTHY}/executions?limit={NINES}"],
    ids=lambda path: path[:60])
def test_digits_int_refuses_are_400_naming_the_parameter(server, path):
    r = requests.get(server.base + path, timeout=HTTP_TIMEOUT)
    assert r.status_code == 400, (r.status_code, r.text[:300])
    name = path.split("?")[1].split("=")[0]
    assert name in r.text


def test_a_callback_token_int_refuses_is_400(server):
    r = requests.post(f"{server.base}/webhooks/ivr-menu?execution=FNx&widget=main_menu&token=%C2%B2",
                      data={"CallSid": "CAtoken", "From": "+15555550700"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 400 and r.json()["error"]["field"] == "token", r.text


# ---------------------------------------------------------------- numbers beyond a float

def test_a_number_too_large_for_a_float_is_refused_in_a_draft(server):
    flow = requests.get(f"{server.base}/api/flows/{HEALTHY}", timeout=HTTP_TIMEOUT).json()
    body = json.dumps({"version": 0, "base_revision": flow["published"]["id"],
                       "document": {**flow["document"], "x": "INF"}}).replace('"INF"', "1e999")
    r = requests.put(f"{server.base}/api/flows/{HEALTHY}/draft", data=body,
                     headers={"Content-Type": "application/json"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 400 and "1e999" in r.text, (r.status_code, r.text[:300])
    assert r.json()["error"]["field"] == "document.x"
    assert requests.get(f"{server.base}/api/flows/{HEALTHY}", timeout=HTTP_TIMEOUT).json()["draft"] is None


def test_a_number_too_large_for_a_float_is_refused_in_a_studio_definition(server):
    r = requests.post(f"{server.base}/v2/Flows", timeout=HTTP_TIMEOUT, data={
        "FriendlyName": "Infinite offset", "Status": "published", "Definition": DEFINITION % "1e999"})
    assert r.status_code == 400 and "1e999" in r.json()["message"], (r.status_code, r.text[:300])
    assert not (server.flows / "infinite-offset.yaml").exists()


def test_a_number_too_large_for_a_float_is_refused_in_execution_parameters(server):
    r = requests.post(f"{server.base}/api/flows/{HEALTHY}/executions", timeout=HTTP_TIMEOUT,
                      data='{"to": "+15555550701", "from": "+15555550100", "parameters": {"n": -1e400}}',
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "1e400" in r.text, (r.status_code, r.text[:300])
    assert not server.store.executions(flow_id=HEALTHY, contact="+15555550701")


# ---------------------------------------------------------------- webhook fields longer than their columns

@pytest.mark.parametrize("field, value", [("From", "+1" + "5" * 300), ("To", "+1" + "5" * 300),
                                          ("MessageSid", "SM" + "a" * 300), ("CallSid", "CA" + "b" * 100),
                                          ("ConversationSid", "CH" + "c" * 100)],
                         ids=["From", "To", "MessageSid", "CallSid", "ConversationSid"])
def test_webhook_ids_longer_than_their_columns_are_400_naming_the_field(server, field, value):
    data = {"MessageSid": "SMlong" + field, "From": "+15555550702", "To": "+15555550100", "Body": "help",
            field: value}
    if field == "CallSid":
        del data["MessageSid"], data["Body"]
    r = requests.post(f"{server.base}/webhooks/{HEALTHY}", data=data, timeout=HTTP_TIMEOUT)
    assert r.status_code == 400 and r.json()["error"]["field"] == field, (r.status_code, r.text[:300])
    assert not [e for e in server.store.executions(flow_id=HEALTHY) if value in (e.contact, e.flow_address)]


def test_a_callback_widget_longer_than_its_column_is_400(server):
    r = requests.post(f"{server.base}/webhooks/ivr-menu?execution=FNx&token=1&widget=" + "w" * 300,
                      data={"CallSid": "CAwidget", "From": "+15555550703"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 400 and r.json()["error"]["field"] == "widget", r.text


def test_a_widget_name_longer_than_the_store_keeps_is_the_files_problem(server):
    """A hand-written flow waiting in a widget of 300 characters answered 500 to every message."""
    long = "w" * 300
    (server.flows / "long-name.yaml").write_text(
        "spec_version: 1\nname: long-name\nwidgets:\n  - name: Trigger\n    type: trigger\n"
        f"    transitions: {{incomingMessage: {long}}}\n  - name: {long}\n    type: send-and-wait-for-reply\n"
        "    properties: {body: Question?}\n    transitions: {incomingMessage: null, timeout: null}\n")
    r = requests.post(f"{server.base}/webhooks/long-name", timeout=HTTP_TIMEOUT,
                      data={"MessageSid": "SMlongname", "From": "+15555550709", "To": "+15555550100", "Body": "hi"})
    assert r.status_code == 200 and "not available" in r.text, (r.status_code, r.text[:300])
    flow = requests.get(f"{server.base}/api/flows/long-name", timeout=HTTP_TIMEOUT).json()
    assert [i["code"] for i in flow["issues"]] == ["invalid_name"], flow["issues"]


# ---------------------------------------------------------------- JSON nested past the recursion limit

@pytest.mark.parametrize("field", ["ChannelAttributes", "Media"])
def test_json_fields_nested_thousands_deep_are_kept_as_text(server, field):
    deep = "[" * 20_000 + "]" * 20_000   # 40 KB, sent unescaped: within the webhook's 64 KB
    contact = "+15555550704" if field == "Media" else "+15555550705"
    body = f"MessageSid=SMdeep{field}&From=%2B{contact[1:]}&To=%2B15555550100&Body=help&{field}={deep}"
    r = requests.post(f"{server.base}/webhooks/{HEALTHY}", timeout=HTTP_TIMEOUT, data=body,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200 and messages(r), (r.status_code, r.text[:300])
    row = server.store.executions(flow_id=HEALTHY, contact=contact)[0]
    assert server.store.execution(row.id).state["frames"][0]["context"]["trigger"]["message"][field] == deep


# ---------------------------------------------------------------- transitions that name no widget

TRIGGER = {"name": "Trigger", "type": "trigger", "properties": {"offset": {"x": 0, "y": 0}}}
SPLIT = {"name": "check", "type": "split-based-on", "properties": {"input": "{{trigger.message.Body}}"},
         "transitions": [{"event": "noMatch"}]}
NOT_NAMES = {   # each answered 500 (TypeError in the validator's graph checks) before
    "a target that is a mapping": [{**TRIGGER, "transitions": [{"event": "incomingMessage", "next": {}}]}, SPLIT],
    "a target that is a list": [{**TRIGGER, "transitions": [{"event": "incomingMessage", "next": [["check"]]}]},
                                SPLIT],
    "an event that is a mapping": [{**TRIGGER, "transitions": [{"event": {}, "next": "check"}]}, SPLIT],
    "no event, a mapping as target": [{**TRIGGER, "transitions": [{"event": "incomingMessage", "next": "check"}]},
                                      {**SPLIT, "transitions": [{"next": {}}]}]}


@pytest.mark.parametrize("states", NOT_NAMES.values(), ids=NOT_NAMES.keys())
@pytest.mark.parametrize("path", ["/v2/Flows/Validate", "/v2/Flows", f"/v2/Flows/{HEALTHY}"])
def test_studio_transitions_that_name_no_widget_are_the_definitions_problems(server, states, path):
    definition = json.dumps({"description": "", "states": states, "initial_state": "Trigger", "flags": {}})
    r = requests.post(server.base + path, timeout=HTTP_TIMEOUT,
                      data={"FriendlyName": "Not names", "Status": "published", "Definition": definition})
    assert r.status_code == 400 and r.json()["code"] == 81022, (r.status_code, r.text[:300])
    assert not (server.flows / "not-names.yaml").exists()


@pytest.mark.parametrize("name", [["Trigger"], {"a": 1}], ids=["list", "mapping"])
def test_a_draft_whose_widget_name_is_not_text_is_fetched_through_the_studio_api(server, name):
    """The editor keeps any draft; fetching the flow then raised TypeError (500) twice on."""
    flow = requests.get(f"{server.base}/api/flows/{HEALTHY}", timeout=HTTP_TIMEOUT).json()
    widgets = [{**flow["document"]["widgets"][0], "name": name}] + flow["document"]["widgets"][1:]
    saved = requests.put(f"{server.base}/api/flows/{HEALTHY}/draft", timeout=HTTP_TIMEOUT, json={
        "version": 0, "base_revision": flow["published"]["id"], "document": {**flow["document"], "widgets": widgets}})
    assert saved.status_code == 200, saved.text[:300]
    try:
        r = requests.get(f"{server.base}/v2/Flows/{HEALTHY}", timeout=HTTP_TIMEOUT)
        assert r.status_code == 200 and r.json()["valid"] is False, (r.status_code, r.text[:300])
        assert r.json()["definition"]["states"][0]["name"] == name
    finally:
        requests.delete(f"{server.base}/api/flows/{HEALTHY}/draft", timeout=HTTP_TIMEOUT)


# ---------------------------------------------------------------- form bodies that are not UTF-8


@pytest.mark.parametrize("path, body", [
    (f"/webhooks/{HEALTHY}", b"MessageSid=SMlatin1&From=%2B15555550706&Body=caf\xe9"),
    ("/v2/Flows", b"FriendlyName=Caf\xe9&Status=draft&Definition=%7B%7D"),
    (f"/v2/Flows/{HEALTHY}/Executions", b"To=%2B15555550707&From=%2B1555\xff"),
    (f"/api/flows/{HEALTHY}/executions", b"To=%2B15555550708&From=%2B1555\xff")], ids=lambda v: str(v)[:30])
def test_a_form_body_that_is_not_utf8_is_400_saying_so(server, path, body):
    r = requests.post(server.base + path, data=body, timeout=HTTP_TIMEOUT,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and "not UTF-8" in r.text, (r.status_code, r.text[:300])


@pytest.mark.parametrize("content_type, body", [("application/json", '{"MessageSid": "SMjson", "Body": "hi"}'),
                                                ("text/xml", "<MessageSid>SMxml</MessageSid>")], ids=["json", "xml"])
def test_a_webhook_that_is_not_a_form_is_400_saying_so(server, content_type, body):
    r = requests.post(f"{server.base}/webhooks/{HEALTHY}", data=body, headers={"Content-Type": content_type},
                      timeout=HTTP_TIMEOUT)
    assert r.status_code == 400 and r.json()["error"]["field"] == "Content-Type", r.text
    assert content_type in r.json()["error"]["message"]


# ---------------------------------------------------------------- headers that are not what they claim


@pytest.mark.parametrize("origin", ["http://[::1", "http://[", "https://[fe80::1%zz"])
@pytest.mark.parametrize("path, body", [(f"/api/flows/{HEALTHY}/validate", {"json": {"document": {}}}),
                                        ("/v2/Flows/Validate", {"data": {"FriendlyName": "x"}})])
def test_an_origin_that_is_no_url_is_a_cross_site_refusal(server, origin, path, body):
    r = requests.post(server.base + path, headers={"Origin": origin}, timeout=HTTP_TIMEOUT, **body)
    assert r.status_code == 403 and "cross-site" in r.text, (r.status_code, r.text[:200])


def test_the_start_offers_only_webhooks_that_answer_and_names_the_files_it_does_not_serve(server):
    banner = server.output(tail=None).split("Point a Twilio number")[0]
    offered = [line.split("webhook ", 1)[1] for line in banner.splitlines() if ": webhook " in line]
    assert f"{server.base.replace('127.0.0.1', 'localhost')}/webhooks/{HEALTHY}" in offered
    for url in offered:
        assert requests.post(url.replace("localhost", "127.0.0.1"), timeout=HTTP_TIMEOUT).status_code != 404, url
    for name in UNSERVED_NAMES + ["outside.yaml"]:
        assert f"not served: {name}: " in banner, name


def test_zz_the_server_survived_every_attack(server):
    assert still_serves(server)
