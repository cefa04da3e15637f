"""The REST API: start, list, show and end executions; the outbox; widgets and flows."""
import re
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from flowstudio.conversation import FakeClock, MockHttp
from flowstudio.web.app import create_app, runtime

REPO = Path(__file__).resolve().parents[2]
FLOW = "appointment-confirmation"
BASE = f"/api/flows/{FLOW}/executions"
CONTACT, OTHER, NUMBER = "+15555550142", "+15555550143", "+15555550100"
PARAMS = {"first_name": "Ada", "date": "Monday 12 January", "time": "10:30", "appointment_id": "A-1001"}
ASK_ADA = ("Hi Ada, this is Bright Smile Dental. Please confirm your appointment on Monday 12 January at 10:30. "
           "Reply YES to confirm or NO to cancel.")
EXAMPLES = ["after-hours", "appointment-confirmation", "collect-email", "ivr-menu", "keyword-router", "sms-survey"]
SUPPORTED = {"add-twiml-redirect", "connect-call-to", "enqueue-call", "gather-input-on-call", "make-http-request",
             "make-outgoing-call-v2", "record-call", "record-voicemail", "run-function", "run-subflow", "say-play",
             "send-and-wait-for-reply", "send-message", "set-variables", "split-based-on", "trigger",
             "send-to-flex", "start-conversation", "fork-stream", "capture-payments", "connect-virtual-agent",
             "connect-virtual-agent-v2"}
BROKEN = "spec_version: 1\nname: [broken\n"


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def flows_dir(tmp_path):
    flows = tmp_path / "flows"
    shutil.copytree(REPO / "flows", flows)
    return flows


def make_app(flows_dir, clock, **extra):
    return create_app({"FLOWS_DIR": str(flows_dir), "DATABASE_URL": "sqlite://", "SCHEDULER": False,
                       "LISTEN_HOST": "127.0.0.1", "CLOCK": clock, "HTTP": MockHttp(), "TWILIO_AUTH_TOKEN": None,
                       "TWILIO_ACCOUNT_SID": None, "PUBLIC_URL": None, **extra})


@pytest.fixture
def app(flows_dir, clock):
    app = make_app(flows_dir, clock)
    yield app
    runtime(app).service.store.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def store(app):
    return runtime(app).service.store


def start(client, to=CONTACT, parameters=None, flow=FLOW):
    return client.post(f"/api/flows/{flow}/executions",
                       json={"to": to, "from": NUMBER, "parameters": PARAMS if parameters is None else parameters})


def path_of(url: str) -> str:
    assert url.startswith("http://localhost/")
    return url[len("http://localhost"):]


def utc_time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    assert value.utcoffset().total_seconds() == 0, text
    return value


def error_of(response, status: int, field: str | None = None) -> str:
    assert response.status_code == status, response.data
    assert response.is_json
    error = response.get_json()["error"]
    assert error["status"] == status
    assert error.get("field") == field
    assert error["message"]
    return error["message"]


# ---------------------------------------------------------------- start


def test_start_sends_the_first_message_through_the_channel(client, store):
    response = start(client)
    assert response.status_code == 201
    body = response.get_json()
    assert body["id"].startswith("FN") and body["flow_id"] == FLOW and body["status"] == "active"
    assert body["contact"] == CONTACT and body["flow_address"] == NUMBER
    assert body["waiting"] == {"widget": "ask_confirmation", "kind": "message", "due": "2026-01-05T11:00:00+00:00"}
    assert utc_time(body["created_at"]) == datetime(2026, 1, 5, 10, tzinfo=timezone.utc)
    assert body["ended_at"] is None
    assert body["url"] == f"http://localhost{BASE}/{body['id']}" == response.headers["Location"]
    # the turn: a send-and-wait that is not a webhook answer goes out through the channel
    (sent,) = body["result"]["sent"]
    assert sent["effect"]["body"] == ASK_ADA and sent["effect"]["to"] == CONTACT and sent["status"] == "sent"
    assert body["result"]["replies"] == [] and body["result"]["status"] == "active"

    outbox = client.get("/api/outbox", query_string={"execution": body["id"]}).get_json()["outbox"]
    assert [(o["execution_id"], o["effect"]["body"], o["status"]) for o in outbox] == [(body["id"], ASK_ADA, "sent")]
    utc_time(outbox[0]["created_at"])
    assert store.count() == 1


def test_start_with_twilio_form_fields(client):
    response = client.post(BASE, data={"To": CONTACT, "From": NUMBER, "Parameters": json.dumps(PARAMS)})
    assert response.status_code == 201, response.data
    assert response.get_json()["result"]["sent"][0]["effect"]["body"] == ASK_ADA
    shown = client.get(path_of(response.get_json()["url"])).get_json()
    assert shown["context"]["flow"]["data"] == PARAMS


def test_start_without_parameters_and_json_sent_as_a_form(client):
    # curl -d '{...}' without a content type sends the JSON as a form: it is still understood
    response = client.post(BASE, data=json.dumps({"to": CONTACT, "from": NUMBER}),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201, response.data
    assert response.get_json()["result"]["sent"][0]["effect"]["body"].startswith("Hi, this is Bright Smile")


def test_second_start_for_the_same_contact_conflicts(client, store):
    first = start(client).get_json()
    second = start(client)
    message = error_of(second, 409)
    assert first["id"] in message and CONTACT in message and "active execution" in message
    assert second.get_json()["error"]["execution_id"] == first["id"]
    assert store.count() == 1 and len(store.outbox()) == 1
    assert start(client, to=OTHER).status_code == 201  # another contact is free to start


def test_start_conflicts_with_an_execution_the_contact_started_by_texting(client, store):
    texted = client.post(f"/webhooks/{FLOW}", data={"MessageSid": "SM1", "From": CONTACT, "To": NUMBER,
                                                    "Body": "hi"})
    assert texted.status_code == 200
    (row,) = store.executions()
    assert row.id in error_of(start(client), 409)


def test_unknown_flow(client, store):
    message = error_of(start(client, flow="nope"), 404)
    assert "nope" in message
    assert store.count() == 0


def test_a_flow_that_cannot_run_is_503_and_stores_nothing(client, store, flows_dir):
    (flows_dir / "broken.yaml").write_text(BROKEN)
    response = start(client, flow="broken")
    message = error_of(response, 503)
    assert "broken" in message and "cannot run" in message
    assert response.get_json()["error"]["issues"][0]["code"] == "yaml_syntax"
    assert store.count() == 0 and store.outbox() == []


def test_a_flow_broken_after_it_ran_keeps_running_its_last_good_revision(client, flows_dir):
    assert start(client).status_code == 201
    (flows_dir / f"{FLOW}.yaml").write_text(BROKEN)
    response = start(client, to=OTHER)
    assert response.status_code == 201
    assert response.get_json()["result"]["sent"][0]["effect"]["body"] == ASK_ADA


LONG = "+1" + "5" * 199  # 201 characters

BAD_JSON = [
    ({"from": NUMBER}, "to", "to is required"),
    ({"to": "   ", "from": NUMBER}, "to", "to is required"),
    ({"to": None, "from": NUMBER}, "to", "to is required"),
    ({"to": 15555550142, "from": NUMBER}, "to", "to must be a string"),
    ({"to": [CONTACT], "from": NUMBER}, "to", "to must be a string"),
    ({"to": LONG, "from": NUMBER}, "to", "at most 200 characters"),
    ({"to": CONTACT}, "from", "from is required"),
    ({"to": CONTACT, "from": ""}, "from", "from is required"),
    ({"to": CONTACT, "from": {"n": 1}}, "from", "from must be a string"),
    ({"to": CONTACT, "from": LONG}, "from", "at most 200 characters"),
    ({"to": CONTACT, "from": NUMBER, "parameters": [1, 2]}, "parameters", "must be an object"),
    ({"to": CONTACT, "from": NUMBER, "parameters": 7}, "parameters", "must be an object"),
    ({"to": CONTACT, "from": NUMBER, "parameters": "[1]"}, "parameters", "must be an object"),
    ({"to": CONTACT, "from": NUMBER, "parameters": "{oops"}, "parameters", "must be a JSON object"),
]


@pytest.mark.parametrize("body,field,text", BAD_JSON)
def test_invalid_json_input_is_400_with_its_field(client, store, body, field, text):
    message = error_of(client.post(BASE, json=body), 400, field)
    assert text in message
    assert store.count() == 0 and store.outbox() == []


BAD_BODIES = [
    ('{"to": "+1555", ', "application/json", "body", "not valid JSON"),
    ("[1, 2]", "application/json", "body", "must be a JSON object"),
    ('"just a string"', "application/json", "body", "must be a JSON object"),
    ("", "application/json", "body", "the body is empty"),
    ("[" * 50000, "application/json", "body", "nests too deeply"),
    ("[" * 1500 + "]" * 1500, "application/json", "body", "nests too deeply"),
    ('{"to": "+1555", "from": "+1", "parameters": {"a": ' + "[" * 90 + "]" * 90 + "}}", "application/json", "parameters", "nests too deeply"),
    (b"\xff\xfe{", "application/json", "body", "not valid JSON"),
    ("From=%2B15555550100", "application/x-www-form-urlencoded", "To", "To is required"),
    (f"To=%2B{'5' * 200}&From=x", "application/x-www-form-urlencoded", "To", "at most 200 characters"),
    ("To=%2B15555550142", "application/x-www-form-urlencoded", "From", "From is required"),
    ("To=%2B15555550142&From=x&Parameters=%7Boops", "application/x-www-form-urlencoded", "Parameters",
     "must be a JSON object"),
    ("To=%2B15555550142&From=x&Parameters=%5B%5D", "application/x-www-form-urlencoded", "Parameters",
     "must be an object"),
    ("", None, "To", "To is required"),
]


@pytest.mark.parametrize("data,content_type,field,text", BAD_BODIES)
def test_malformed_bodies_are_400_with_their_field(client, store, data, content_type, field, text):
    message = error_of(client.post(BASE, data=data, content_type=content_type), 400, field)
    assert text in message
    assert store.count() == 0


def test_addresses_are_trimmed_and_200_characters_are_allowed(client):
    longest = "+1" + "5" * 198
    response = client.post(BASE, json={"to": f"  {longest} ", "from": NUMBER})
    assert response.status_code == 201
    assert response.get_json()["contact"] == longest


# ---------------------------------------------------------------- list, show, end


def test_list_newest_first_with_filters(client, clock):
    ids = []
    for contact in (CONTACT, OTHER, "+15555550144"):
        ids.append(start(client, to=contact).get_json()["id"])
        clock.advance(60)
    assert client.post(f"{BASE}/{ids[1]}/end").status_code == 200

    def listed(**query):
        response = client.get(BASE, query_string=query)
        assert response.status_code == 200
        return [e["id"] for e in response.get_json()["executions"]]

    assert listed() == ids[::-1]
    assert listed(status="active") == [ids[2], ids[0]]
    assert listed(status="ended") == [ids[1]]
    assert listed(status="failed") == []
    assert listed(contact=OTHER) == [ids[1]]
    assert listed(contact=OTHER, status="active") == []
    assert listed(limit=2) == [ids[2], ids[1]]
    assert listed(limit=500, status="") == ids[::-1]
    # an unencoded "+" in the query string decodes as a space: still the contact meant
    raw = client.get(f"{BASE}?contact={CONTACT}").get_json()["executions"]
    assert [e["id"] for e in raw] == [ids[0]]
    first = client.get(BASE).get_json()["executions"][-1]
    assert first["contact"] == CONTACT and first["url"].endswith(f"{BASE}/{ids[0]}")
    assert first["waiting"]["widget"] == "ask_confirmation"
    assert client.get("/api/flows/sms-survey/executions").get_json() == {"executions": []}


@pytest.mark.parametrize("query,field,text", [
    ("status=done", "status", "status must be one of active, ended, failed"),
    ("limit=0", "limit", "from 1 to 500"),
    ("limit=501", "limit", "from 1 to 500"),
    ("limit=-3", "limit", "from 1 to 500"),
    ("limit=ten", "limit", "whole number"),
])
def test_list_rejects_a_bad_status_or_limit(client, query, field, text):
    assert text in error_of(client.get(f"{BASE}?{query}"), 400, field)


def test_list_of_an_unknown_flow(client):
    assert "nope" in error_of(client.get("/api/flows/nope/executions"), 404)


def test_show_has_steps_with_contexts_log_and_outbox(client):
    started = start(client).get_json()
    url = path_of(started["url"])
    reply = client.post(f"/webhooks/{FLOW}", data={"MessageSid": "SM1", "From": CONTACT, "To": NUMBER,
                                                   "Body": "yes"})
    assert b"is confirmed" in reply.data  # the confirmation is a webhook answer, not in the outbox
    response = client.get(url)
    assert response.status_code == 200
    shown = response.get_json()
    assert shown["id"] == started["id"] and shown["status"] == "ended" and shown["waiting"] is None
    utc_time(shown["ended_at"])
    steps = shown["steps"]
    assert [(s["event"], s["from"], s["to"]) for s in steps][:3] == [
        ("incomingRequest", "Trigger", "ask_confirmation"), ("incomingMessage", "ask_confirmation", "save_reply"),
        ("next", "save_reply", "check_reply")]
    assert [s["index"] for s in steps] == list(range(len(steps)))
    for s in steps:
        utc_time(s["at"])
        assert s["context"]["flow"]["data"] == PARAMS
    assert steps[0]["context"]["widgets"] == {}
    assert steps[-1]["context"]["widgets"]["ask_confirmation"]["inbound"]["Body"] == "yes"
    assert steps[-1]["context"]["flow"]["variables"]["reply"] == "yes"
    assert shown["context"]["flow"]["variables"]["reply"] == "yes"
    kinds = [entry["type"] for entry in shown["log"]]
    assert kinds[:2] == ["transition", "entered"] and "waiting" in kinds
    assert [o["effect"]["body"] for o in shown["outbox"]] == [ASK_ADA]


def test_show_unknown_or_of_another_flow_is_404(client):
    started = start(client).get_json()
    assert "FNnope" in error_of(client.get(f"{BASE}/FNnope"), 404)
    assert started["id"] in error_of(client.get(f"/api/flows/sms-survey/executions/{started['id']}"), 404)


def test_end_then_end_again(client, store):
    started = start(client).get_json()
    response = client.post(f"{BASE}/{started['id']}/end")
    assert response.status_code == 200
    ended = response.get_json()
    assert ended["id"] == started["id"] and ended["status"] == "ended" and ended["waiting"] is None
    assert ended["ended_reason"] == "ended through the REST API"
    utc_time(ended["ended_at"])
    assert ended["result"]["status"] == "ended"
    assert store.count("active") == 0
    again = error_of(client.post(f"{BASE}/{started['id']}/end"), 409)
    assert "already ended" in again and started["id"] in again
    assert "already ended" in error_of(client.delete(f"{BASE}/{started['id']}"), 409)
    assert start(client).status_code == 201  # the contact can start anew


def test_delete_ends_an_execution(client, store):
    started = start(client).get_json()
    response = client.delete(path_of(started["url"]))
    assert response.status_code == 200 and response.get_json()["status"] == "ended"
    assert client.get(path_of(started["url"])).get_json()["status"] == "ended"


def test_end_unknown_or_of_another_flow_is_404(client, store):
    started = start(client).get_json()
    error_of(client.post(f"{BASE}/FNnope/end"), 404)
    error_of(client.delete(f"/api/flows/sms-survey/executions/{started['id']}"), 404)
    assert store.count("active") == 1


def test_outbox_lists_everything_or_one_execution(client):
    one = start(client).get_json()["id"]
    two = start(client, to=OTHER, parameters={}).get_json()["id"]
    everything = client.get("/api/outbox").get_json()["outbox"]
    assert [o["execution_id"] for o in everything] == [one, two]
    only_two = client.get(f"/api/outbox?execution={two}").get_json()["outbox"]
    assert [o["effect"]["to"] for o in only_two] == [OTHER]
    assert client.get("/api/outbox?execution=FNnope").get_json() == {"outbox": []}


# ---------------------------------------------------------------- widgets, flows, errors


def test_widgets_lists_the_22_supported_types_with_events_and_labels(client):
    widgets = client.get("/api/widgets").get_json()["widgets"]
    supported = [w for w in widgets if w.get("supported", True)]
    assert {w["type"] for w in supported} == SUPPORTED and len(supported) == 22
    for widget in supported:
        assert widget["title"] and widget["events"], widget["type"]
        for event in widget["events"]:
            assert event["name"] and event["label"], (widget["type"], event)
    assert all(not w["supported"] and w["description"] for w in widgets if w not in supported)


def test_flows_lists_the_examples_as_valid_and_a_broken_file_as_invalid(client, flows_dir):
    (flows_dir / "broken.yaml").write_text(BROKEN)
    flows = {f["id"]: f for f in client.get("/api/flows").get_json()["flows"]}
    assert sorted(flows) == sorted(EXAMPLES + ["broken"])
    for flow_id in EXAMPLES:
        assert flows[flow_id]["valid"] is True and flows[flow_id]["issues"] == [], flow_id
        assert flows[flow_id]["webhook_url"] == f"http://localhost/webhooks/{flow_id}"
    broken = flows["broken"]
    assert broken["valid"] is False
    assert broken["issues"][0]["code"] == "yaml_syntax" and broken["issues"][0]["severity"] == "error"
    assert broken["issues"][0]["line"] == 3


def test_urls_use_the_public_address(flows_dir, clock):
    app = make_app(flows_dir, clock, PUBLIC_URL="https://flows.example.com/")
    client = app.test_client()
    flows = client.get("/api/flows").get_json()["flows"]
    assert flows[0]["webhook_url"] == f"https://flows.example.com/webhooks/{flows[0]['id']}"
    started = start(client).get_json()
    assert started["url"] == f"https://flows.example.com{BASE}/{started['id']}"


def test_other_errors_are_json_too(client):
    error_of(client.get("/api/nothing-here"), 404)
    error_of(client.put(BASE, json={}), 405)
    error_of(client.patch(f"{BASE}/FN1/end"), 405)


def test_outbox_limit_is_checked_and_keeps_the_newest(client):
    assert client.get("/api/outbox?limit=0").status_code == 400
    assert client.get("/api/outbox?limit=abc").json["error"]["field"] == "limit"
    assert client.get("/api/outbox?limit=5").status_code == 200


def test_every_page_of_the_editor_serves_the_app(client):
    pages = [client.get(p) for p in ("/", "/login", "/flows/ivr-menu")]
    assert all(r.status_code == 200 and b'<div id="root">' in r.data for r in pages)
    assert pages[0].headers["Cache-Control"] == "no-cache"
    asset = re.search(r'src="(/assets/[^"]+)"', pages[0].data.decode()).group(1)
    script = client.get(asset)
    assert script.status_code == 200 and script.headers["Cache-Control"].startswith("public, max-age=31536000")
    assert client.get("/assets/nothing.js").status_code == 404
