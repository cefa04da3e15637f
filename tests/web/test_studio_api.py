"""Studio's REST API v2 under /v2/ (web/studio_api.py), through Flask's test client:
shapes, SIDs, paging, errors, authentication, and executions that are the same as
those started through /api. (The official `twilio` client against a real server:
test_studio_client.py.)"""
import base64
import itertools
import json
import shutil

import pytest
import yaml

from flowstudio.conversation import FakeClock, MockHttp
from flowstudio.spec.sids import derived_flow_sid
from flowstudio.web.app import create_app, runtime

from .conftest import REPO

ACCOUNT = "AC" + "1" * 32
TOKEN = "studio-token-0123456789"
TO, FROM = "+15555550111", "+15555550100"
SURVEY = {
    "description": "Two questions",
    "initial_state": "Trigger",
    "states": [
        {"name": "Trigger", "type": "trigger",
         "transitions": [{"event": "incomingMessage"}, {"event": "incomingCall"},
                         {"next": "ask", "event": "incomingRequest"}],
         "properties": {"offset": {"x": 0, "y": 0}}},
        {"name": "ask", "type": "send-and-wait-for-reply",
         "transitions": [{"next": "thanks", "event": "incomingMessage"}, {"event": "timeout"},
                         {"event": "deliveryFailure"}],
         "properties": {"offset": {"x": 0, "y": 200}, "body": "How are you, {{flow.data.name}}?",
                        "timeout": "3600", "from": "{{flow.channel.address}}"}},
        {"name": "thanks", "type": "send-message", "transitions": [{"event": "sent"}, {"event": "failed"}],
         "properties": {"offset": {"x": 0, "y": 400}, "body": "Thanks!", "from": "{{flow.channel.address}}",
                        "to": "{{contact.channel.address}}"}},
    ],
}


def make_app(tmp_path, **config):
    flows = tmp_path / "flows"
    if not flows.exists():
        shutil.copytree(REPO / "flows", flows)
    ids = itertools.count(1)
    settings = {"FLOWS_DIR": str(flows), "DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": None,
                "SCHEDULER": False, "CLOCK": FakeClock(), "HTTP": MockHttp(), "TWILIO_AUTH_TOKEN": None,
                "TWILIO_ACCOUNT_SID": None, "LISTEN_HOST": "127.0.0.1", "STUDIO_ACCOUNT_SID": None,
                "STUDIO_AUTH_TOKEN": None, "NEW_ID": lambda: f"FN{next(ids):032x}"}
    settings.update(config)
    return create_app(settings)


@pytest.fixture
def app(tmp_path, store_url):
    """On SQLite and on PostgreSQL (paging, date filters and step look-ups are SQL)."""
    app = make_app(tmp_path, STUDIO_ACCOUNT_SID=ACCOUNT, STUDIO_AUTH_TOKEN=TOKEN, DATABASE_URL=store_url)
    yield app
    runtime(app).service.store.close()


class Studio:
    """Requests as Twilio's clients send them: form-encoded, HTTP Basic."""

    def __init__(self, app, account=ACCOUNT, token=TOKEN):
        self.client = app.test_client()
        auth = base64.b64encode(f"{account}:{token}".encode()).decode()
        self.headers = {"Authorization": f"Basic {auth}"}

    def get(self, path, **kw):
        return self.client.get("/v2" + path, headers=self.headers, **kw)

    def post(self, path, data=None):
        return self.client.post("/v2" + path, data=data or {}, headers=self.headers)

    def delete(self, path):
        return self.client.delete("/v2" + path, headers=self.headers)


@pytest.fixture
def studio(app):
    return Studio(app)


def flow_sid(studio, name):
    return next(f["sid"] for f in studio.get("/Flows").json["flows"] if f["friendly_name"] == name)


def twilio_error(response, status, code):
    body = response.get_json()
    assert response.status_code == status, response.data
    assert set(body) >= {"code", "message", "more_info", "status"}, body
    assert (body["status"], body["code"]) == (status, code), body
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    return body


# ---------------------------------------------------------------- authentication


def test_the_configured_account_and_token_are_required(app):
    assert Studio(app).get("/Flows").status_code == 200
    for who in (Studio(app, token="wrong"), Studio(app, account="AC" + "2" * 32)):
        response = who.get("/Flows")
        body = twilio_error(response, 401, 20003)
        assert "AuthToken" in body["message"]
        assert response.headers["WWW-Authenticate"].startswith("Basic")
    twilio_error(app.test_client().get("/v2/Flows"), 401, 20003)


def test_without_a_pair_it_is_open_on_loopback_only(tmp_path):
    local = make_app(tmp_path / "a")
    assert local.test_client().get("/v2/Flows").status_code == 200
    runtime(local).service.store.close()
    public = make_app(tmp_path / "b", LISTEN_HOST="0.0.0.0")
    body = twilio_error(public.test_client().get("/v2/Flows"), 401, 20003)
    assert "FLOWSTUDIO_STUDIO_ACCOUNT_SID" in body["message"]
    runtime(public).service.store.close()


def test_twilio_credentials_are_the_pair_when_no_studio_pair_is_set(tmp_path):
    app = make_app(tmp_path, TWILIO_ACCOUNT_SID=ACCOUNT, TWILIO_AUTH_TOKEN=TOKEN)
    assert Studio(app).get("/Flows").json["flows"][0]["account_sid"] == ACCOUNT
    twilio_error(Studio(app, token="nope").get("/Flows"), 401, 20003)
    runtime(app).service.store.close()


def test_a_cross_site_browser_request_cannot_start_an_execution(tmp_path):
    app = make_app(tmp_path)   # open on loopback: only the origin check stands in the way
    client = app.test_client()
    sid = derived_flow_sid("appointment-confirmation")
    response = client.post(f"/v2/Flows/{sid}/Executions", data={"To": TO, "From": FROM},
                           headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    twilio_error(response, 403, 20403)
    assert runtime(app).service.store.count() == 0
    runtime(app).service.store.close()


# ---------------------------------------------------------------- SIDs


def test_flow_sids_are_recorded_or_derived_and_stable_across_restarts(tmp_path):
    flows = tmp_path / "flows"
    shutil.copytree(REPO / "flows", flows)
    recorded = "FW" + "ab" * 16
    text = (flows / "sms-survey.yaml").read_text()
    (flows / "sms-survey.yaml").write_text(text.replace("spec_version: 1\n", f"spec_version: 1\nsid: {recorded}\n", 1))
    seen = []
    for _ in range(2):   # two app instances on the same folder and database: a restart
        app = make_app(tmp_path, STUDIO_ACCOUNT_SID=ACCOUNT, STUDIO_AUTH_TOKEN=TOKEN)
        seen.append({f["friendly_name"]: f["sid"] for f in Studio(app).get("/Flows").json["flows"]})
        runtime(app).service.store.close()
    assert seen[0] == seen[1]
    assert seen[0]["sms-survey"] == recorded
    assert seen[0]["appointment-confirmation"] == derived_flow_sid("appointment-confirmation")
    assert len(set(seen[0].values())) == len(seen[0])


def test_a_flow_is_found_by_its_sid_or_its_id(studio):
    sid = flow_sid(studio, "appointment-confirmation")
    assert studio.get(f"/Flows/{sid}").json["sid"] == sid
    assert studio.get("/Flows/appointment-confirmation").json["sid"] == sid
    twilio_error(studio.get("/Flows/FW" + "0" * 32), 404, 20404)


def test_step_sids_are_stable_and_name_their_step(studio, app):
    sid = flow_sid(studio, "appointment-confirmation")
    ex = studio.post(f"/Flows/{sid}/Executions", data={"To": TO, "From": FROM}).json["sid"]
    first = studio.get(f"/Flows/{sid}/Executions/{ex}/Steps").json["steps"]
    runtime(app).service.inbound_message("appointment-confirmation",
                                         {"From": TO, "To": FROM, "Body": "YES", "MessageSid": "SM" + "1" * 32})
    later = studio.get(f"/Flows/{sid}/Executions/{ex}/Steps").json["steps"]
    assert [s["sid"] for s in later[:len(first)]] == [s["sid"] for s in first]
    assert len(later) > len(first)
    assert all(s["sid"].startswith("FT") and len(s["sid"]) == 34 for s in later)
    assert len({s["sid"] for s in later}) == len(later)
    for s in later:
        fetched = studio.get(f"/Flows/{sid}/Executions/{ex}/Steps/{s['sid']}").json
        assert fetched == s
    # a step SID of another execution is not found under this one
    other = studio.post(f"/Flows/{sid}/Executions", data={"To": "+15555550999", "From": FROM}).json["sid"]
    twilio_error(studio.get(f"/Flows/{sid}/Executions/{other}/Steps/{later[0]['sid']}"), 404, 20404)
    twilio_error(studio.get(f"/Flows/{sid}/Executions/{ex}/Steps/FT{'f' * 32}"), 404, 20404)


# ---------------------------------------------------------------- executions


def test_an_execution_started_through_v2_is_the_one_api_shows(studio, app):
    sid = flow_sid(studio, "appointment-confirmation")
    created = studio.post(f"/Flows/{sid}/Executions",
                          data={"To": TO, "From": FROM, "Parameters": json.dumps({"first_name": "Ada"})})
    assert created.status_code == 201
    ex = created.get_json()
    assert ex["sid"].startswith("FN") and len(ex["sid"]) == 34
    assert (ex["flow_sid"], ex["account_sid"], ex["contact_channel_address"], ex["status"]) == \
        (sid, ACCOUNT, TO, "active")
    assert ex["url"].endswith(f"/v2/Flows/{sid}/Executions/{ex['sid']}")
    assert ex["links"] == {"steps": ex["url"] + "/Steps", "execution_context": ex["url"] + "/Context"}
    # the same execution, as /api sees it: same steps, same context, same message sent
    api = app.test_client().get(f"/api/flows/appointment-confirmation/executions/{ex['sid']}").get_json()
    steps = studio.get(f"/Flows/{sid}/Executions/{ex['sid']}/Steps").json["steps"]
    assert [(s["name"], s["transitioned_from"], s["transitioned_to"]) for s in steps] == \
        [(s["event"], s["from"], s["to"] or "Ended") for s in api["steps"]]
    context = studio.get(f"/Flows/{sid}/Executions/{ex['sid']}/Context").json
    assert context["context"] == api["context"]
    assert context["context"]["flow"]["data"] == {"first_name": "Ada"}
    assert (context["execution_sid"], context["flow_sid"]) == (ex["sid"], sid)
    step_context = studio.get(f"/Flows/{sid}/Executions/{ex['sid']}/Steps/{steps[0]['sid']}/Context").json
    assert step_context["context"] == api["steps"][0]["context"]
    assert step_context["step_sid"] == steps[0]["sid"]
    assert api["waiting"]["widget"] == "ask_confirmation"
    assert "Hi Ada" in api["outbox"][0]["effect"]["body"]


def test_ending_and_deleting_an_execution(studio, app):
    sid = flow_sid(studio, "appointment-confirmation")
    ex = studio.post(f"/Flows/{sid}/Executions", data={"To": TO, "From": FROM}).json["sid"]
    twilio_error(studio.post(f"/Flows/{sid}/Executions", data={"To": TO, "From": FROM}), 409, 20409)
    twilio_error(studio.post(f"/Flows/{sid}/Executions/{ex}", data={"Status": "active"}), 400, 20001)
    ended = studio.post(f"/Flows/{sid}/Executions/{ex}", data={"Status": "ended"})
    assert (ended.status_code, ended.json["status"]) == (200, "ended")
    assert runtime(app).service.store.execution(ex).ended_reason == "ended through the Studio API"
    assert studio.post(f"/Flows/{sid}/Executions/{ex}", data={"Status": "ended"}).json["status"] == "ended"
    # the contact is free again; deleting an active execution ends it first
    again = studio.post(f"/Flows/{sid}/Executions", data={"To": TO, "From": FROM}).json["sid"]
    assert studio.delete(f"/Flows/{sid}/Executions/{again}").status_code == 204
    assert runtime(app).service.store.execution(again) is None
    assert runtime(app).service.store.steps(again) == []
    twilio_error(studio.get(f"/Flows/{sid}/Executions/{again}"), 404, 20404)
    twilio_error(studio.delete(f"/Flows/{sid}/Executions/{again}"), 404, 20404)


def test_listing_executions_pages_and_filters_by_date(studio, app):
    sid = flow_sid(studio, "appointment-confirmation")
    clock = runtime(app).service.clock
    made = []
    for i in range(5):
        made.append(studio.post(f"/Flows/{sid}/Executions", data={"To": f"+1555555020{i}", "From": FROM}).json)
        clock.advance(3600)
    first = studio.get(f"/Flows/{sid}/Executions?PageSize=2").json
    assert [e["sid"] for e in first["executions"]] == [m["sid"] for m in made[::-1][:2]]
    meta = first["meta"]
    assert (meta["key"], meta["page"], meta["page_size"], meta["previous_page_url"]) == ("executions", 0, 2, None)
    assert set(meta) == {"page", "page_size", "first_page_url", "previous_page_url", "url", "next_page_url", "key"}
    seen = [e["sid"] for e in first["executions"]]
    url = meta["next_page_url"]
    while url:
        page = studio.client.get(url.split("localhost", 1)[1], headers=studio.headers).json
        seen += [e["sid"] for e in page["executions"]]
        url = page["meta"]["next_page_url"]
    assert seen == [m["sid"] for m in made[::-1]]
    window = studio.get(f"/Flows/{sid}/Executions", query_string={
        "DateCreatedFrom": made[1]["date_created"], "DateCreatedTo": made[3]["date_created"], "PageSize": 2}).json
    assert [e["sid"] for e in window["executions"]] == [made[3]["sid"], made[2]["sid"]]
    assert "DateCreatedFrom=" in window["meta"]["next_page_url"]
    twilio_error(studio.get(f"/Flows/{sid}/Executions?DateCreatedFrom=yesterday"), 400, 20001)
    twilio_error(studio.get(f"/Flows/{sid}/Executions?PageSize=0"), 400, 20001)


def test_bad_execution_input_gets_twilio_errors(studio):
    sid = flow_sid(studio, "appointment-confirmation")
    body = twilio_error(studio.post(f"/Flows/{sid}/Executions", data={"From": FROM}), 400, 20001)
    assert "To" in body["message"]
    body = twilio_error(studio.post(f"/Flows/{sid}/Executions", data={"To": TO, "From": FROM, "Parameters": "[1"}),
                        400, 20001)
    assert "Parameters" in body["message"]
    twilio_error(studio.post(f"/Flows/{sid}/Executions", data={"To": TO, "From": FROM, "Parameters": "x\x00"}),
                 400, 20001)
    twilio_error(studio.post("/Flows/FW" + "9" * 32 + "/Executions", data={"To": TO, "From": FROM}), 404, 20404)
    twilio_error(studio.get("/Flows/nope/Executions"), 404, 20404)
    twilio_error(studio.get("/Anything/else"), 404, 20404)


# ---------------------------------------------------------------- flows


def test_create_a_draft_update_validate_and_publish(studio, app, tmp_path):
    created = studio.post("/Flows", data={"FriendlyName": "Wellness Survey", "Status": "draft",
                                          "Definition": json.dumps(SURVEY), "CommitMessage": "first"})
    assert created.status_code == 201, created.data
    flow = created.get_json()
    sid = flow["sid"]
    assert (flow["status"], flow["friendly_name"], flow["valid"], flow["errors"]) == \
        ("draft", "Wellness Survey", True, [])
    assert flow["definition"]["states"] == SURVEY["states"]
    # the file exists, records the SID, and holds no runnable definition yet
    path = tmp_path / "flows" / "wellness-survey.yaml"
    assert yaml.safe_load(path.read_text())["sid"] == sid
    # executions run the published version, a blank flow until the draft is published: it ends at once
    early = studio.post(f"/Flows/{sid}/Executions", data={"To": TO, "From": FROM})
    assert (early.status_code, early.json["status"]) == (201, "ended")
    # an invalid update of the draft is kept, with its problems; publishing it is refused
    broken = json.loads(json.dumps(SURVEY))
    broken["states"][1]["transitions"][0]["next"] = "nowhere"
    kept = studio.post(f"/Flows/{sid}", data={"Status": "draft", "Definition": json.dumps(broken)}).json
    assert kept["valid"] is False and kept["status"] == "draft"
    assert any("nowhere" in e["message"] and e["property_path"].startswith("#/states/1") for e in kept["errors"])
    body = twilio_error(studio.post(f"/Flows/{sid}", data={"Status": "published"}), 400, 81022)
    assert body["details"]["errors"]
    body = twilio_error(studio.post("/Flows/Validate", data={"FriendlyName": "x", "Status": "published",
                                                             "Definition": json.dumps(broken)}), 400, 81022)
    assert any("nowhere" in e["message"] for e in body["details"]["errors"])
    assert studio.post("/Flows/Validate", data={"FriendlyName": "x", "Status": "published",
                                                "Definition": json.dumps(SURVEY)}).json == {"valid": True}
    # publish a good definition: it runs
    published = studio.post(f"/Flows/{sid}", data={"Status": "published", "Definition": json.dumps(SURVEY),
                                                   "CommitMessage": "ready"}).json
    assert (published["status"], published["revision"], published["commit_message"]) == ("published", 2, "ready")
    assert yaml.safe_load(path.read_text())["sid"] == sid
    revisions = studio.get(f"/Flows/{sid}/Revisions").json["revisions"]
    assert [r["revision"] for r in revisions] == [2, 1]
    assert studio.get(f"/Flows/{sid}/Revisions/LatestPublished").json["definition"]["states"] == SURVEY["states"]
    ex = studio.post(f"/Flows/{sid}/Executions", data={"To": "+15555550333", "From": FROM,
                                                       "Parameters": json.dumps({"name": "Bo"})})
    assert ex.status_code == 201 and ex.json["status"] == "active"
    assert runtime(app).service.store.outbox(ex.json["sid"])[0].effect["body"] == "How are you, Bo?"


def test_publishing_through_v2_records_a_derived_sid_in_the_file(studio, tmp_path):
    sid = derived_flow_sid("keyword-router")
    assert "sid" not in yaml.safe_load((tmp_path / "flows" / "keyword-router.yaml").read_text())
    flow = studio.get(f"/Flows/{sid}").json
    updated = studio.post(f"/Flows/{sid}", data={"Status": "published", "FriendlyName": "Keywords",
                                                 "Definition": json.dumps(flow["definition"])}).json
    assert (updated["sid"], updated["friendly_name"]) == (sid, "Keywords")
    saved = yaml.safe_load((tmp_path / "flows" / "keyword-router.yaml").read_text())
    assert saved["sid"] == sid
    # its Run Subflow came back as the SID of collect-email (which records none) and
    # is written as the id the engine resolves, so the subflow still runs
    [subflow] = [s for s in flow["definition"]["states"] if s["type"] == "run-subflow"]
    assert subflow["properties"]["flow_sid"] == derived_flow_sid("collect-email")
    [widget] = [w for w in saved["widgets"] if w["type"] == "run-subflow"]
    assert widget["properties"]["flow_sid"] == "collect-email"
    assert updated["warnings"] == []


def test_bad_flow_input_gets_twilio_errors(studio):
    twilio_error(studio.post("/Flows", data={"Status": "draft", "Definition": "{}"}), 400, 20001)
    twilio_error(studio.post("/Flows", data={"FriendlyName": "x", "Status": "live", "Definition": "{}"}), 400, 20001)
    twilio_error(studio.post("/Flows", data={"FriendlyName": "x", "Status": "draft", "Definition": "{oops"}),
                 400, 20001)
    body = twilio_error(studio.post("/Flows", data={"FriendlyName": "x", "Status": "draft",
                                                    "Definition": json.dumps({"states": "no"})}), 400, 81022)
    assert "states" in body["message"]
    body = twilio_error(studio.post("/Flows", data={"FriendlyName": "x", "Status": "published",
                                                    "Definition": json.dumps({"states": [{"name": "Trigger",
                                                                                          "type": "nonsense"}]})}),
                        400, 81022)
    assert body["details"]["errors"]


def test_deleting_a_flow(studio, tmp_path):
    sid = studio.post("/Flows", data={"FriendlyName": "Gone soon", "Status": "published",
                                      "Definition": json.dumps(SURVEY)}).json["sid"]
    assert (tmp_path / "flows" / "gone-soon.yaml").exists()
    ex = studio.post(f"/Flows/{sid}/Executions", data={"To": TO, "From": FROM}).json["sid"]
    assert studio.delete(f"/Flows/{sid}").status_code == 204
    assert not (tmp_path / "flows" / "gone-soon.yaml").exists()
    twilio_error(studio.get(f"/Flows/{sid}"), 404, 20404)
    # Its executions went with it (history belongs to the flow, not to a reused id: the
    # README's "Your flows"); the id is free for a new flow, which starts empty.
    listed = studio.get("/Flows/gone-soon/Executions")
    assert listed.status_code == 404 or listed.json["executions"] == [], listed.json
    twilio_error(studio.post("/Flows/gone-soon/Executions", data={"To": "+15555550998", "From": FROM}), 404, 20404)
    assert ex.startswith("FN")


def test_two_flows_with_the_same_name_get_their_own_files(studio, tmp_path):
    a = studio.post("/Flows", data={"FriendlyName": "Same", "Status": "published", "Definition": json.dumps(SURVEY)})
    b = studio.post("/Flows", data={"FriendlyName": "Same", "Status": "published", "Definition": json.dumps(SURVEY)})
    assert a.json["sid"] != b.json["sid"]
    assert (tmp_path / "flows" / "same.yaml").exists() and (tmp_path / "flows" / "same-2.yaml").exists()


def test_a_flow_that_cannot_run_is_named_by_its_file_not_the_servers_path(app, tmp_path):
    """Before: the answer carried the flow file's absolute path (where the server keeps
    its files): "flow 'broken' cannot run: /srv/.../flows/broken.yaml:6: ..."."""
    flows = runtime(app).service.flows.directory
    (flows / "broken.yaml").write_text("spec_version: 1\nname: broken\nwidgets:\n  - name: Trigger\n"
                                       "    type: trigger\n    transitions: {incomingRequest: nowhere}\n")
    studio = Studio(app)
    sid = derived_flow_sid("broken")
    answer = studio.post(f"/Flows/{sid}/Executions", {"To": "+15555550142", "From": "+15555550100"})
    assert answer.status_code == 400, answer.get_data(as_text=True)
    message = answer.json["message"]
    assert "broken.yaml:6: Trigger.transitions.incomingRequest" in message
    assert str(tmp_path) not in answer.get_data(as_text=True)
