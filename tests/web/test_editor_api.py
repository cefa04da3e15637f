"""The editor's API (docs/editor-api.md): flows, drafts, publishing, history, access."""
import json
import shutil

import pytest
import yaml

from flowstudio import repository
from flowstudio.spec.flowfile import dump_flow
from flowstudio.web.app import create_app, runtime

from .conftest import REPO


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def flows_dir(app):
    return runtime(app).service.flows.directory


def opened(client, flow_id="appointment-confirmation"):
    r = client.get(f"/api/flows/{flow_id}")
    assert r.status_code == 200, r.json
    return r.json


def save(client, flow, document, **kw):
    body = {"document": document, "version": (flow["draft"] or {}).get("version", 0),
            "base_revision": flow["published"]["id"], **kw}
    return client.put(f"/api/flows/{flow['id']}/draft", json=body)


def edited(flow, body):
    doc = dict(flow["document"])
    doc["widgets"] = [dict(w) for w in doc["widgets"]]
    doc["widgets"][-1] = {**doc["widgets"][-1], "properties": {"body": body}}
    return doc


def test_flow_list_shows_validity_webhook_and_the_published_revision(client, flows_dir):
    (flows_dir / "broken.yaml").write_text("spec_version: 1\nname: b\nwidgets: {}\n")
    flows = {f["id"]: f for f in client.get("/api/flows").json["flows"]}
    ivr = flows["ivr-menu"]
    assert ivr["valid"] and ivr["webhook_url"] == "https://flows.example.com/webhooks/ivr-menu"
    assert ivr["published"]["number"] == 1 and ivr["published"]["author"] == "file on disk"
    assert ivr["draft"] is None
    assert flows["keyword-router"]["subflows"] == ["collect-email"] and ivr["subflows"] == []
    broken = flows["broken"]
    assert not broken["valid"] and broken["published"] is None
    assert broken["issues"][0]["message"] == "must be a list" and broken["issues"][0]["path"] == "widgets"
    assert broken["issues"][0]["file"] == "broken.yaml"


def test_create_blank_from_an_example_and_as_a_copy(client, flows_dir):
    blank = client.post("/api/flows", json={"id": "new-flow", "name": "My new flow"})
    assert blank.status_code == 201
    assert [w["type"] for w in blank.json["document"]["widgets"]] == ["trigger"]
    assert yaml.safe_load((flows_dir / "new-flow.yaml").read_text())["name"] == "My new flow"
    assert blank.json["published"]["message"] == "Created"

    example = client.post("/api/flows", json={"id": "my-ivr", "example": "ivr-menu"}).json
    assert example["document"]["widgets"] == opened(client, "ivr-menu")["document"]["widgets"]
    assert example["name"] == "my-ivr" and example["published"]["message"] == "Created from the example 'ivr-menu'"

    copy = client.post("/api/flows", json={"id": "copy", "copy_of": "after-hours"}).json
    assert copy["document"]["widgets"] == opened(client, "after-hours")["document"]["widgets"]
    examples = {e["id"] for e in client.get("/api/examples").json["examples"]}
    assert {"ivr-menu", "appointment-confirmation"} <= examples and not any(".test" in e for e in examples)


def test_create_imports_a_studio_export_as_the_draft_of_a_new_flow(client, flows_dir):
    """What Studio's Export to JSON gives (or its REST API's Flow, with `definition` and
    its SID, alone or in the twilio CLI's list) becomes the draft: webhooks run a blank
    flow until it is checked and published."""
    definition = json.loads((REPO / "tests" / "fixtures" / "studio" / "voice-ivr.json").read_text())
    resource = {"sid": "FW" + "ab" * 16, "friendly_name": "IVR", "definition": definition}
    for flow_id, studio, sid in [("imported", definition, None), ("from-api", resource, resource["sid"]),
                                 ("from-cli", [resource], resource["sid"])]:
        r = client.post("/api/flows", json={"id": flow_id, "studio": studio})
        assert r.status_code == 201, r.json
        assert r.json["published"]["number"] == 1 and r.json["draft"]["version"] == 1
        assert [w["name"] for w in r.json["document"]["widgets"]] == [s["name"] for s in definition["states"]]
        assert r.json["document"].get("sid") == sid
        on_disk = yaml.safe_load((flows_dir / f"{flow_id}.yaml").read_text())
        assert [w["type"] for w in on_disk["widgets"]] == ["trigger"]
    flow = opened(client, "imported")
    published = client.post("/api/flows/imported/publish", json={"version": flow["draft"]["version"], "message": "go"})
    assert published.status_code == 200, published.json
    assert len(yaml.safe_load((flows_dir / "imported.yaml").read_text())["widgets"]) == len(definition["states"])


@pytest.mark.parametrize("studio, says", [
    ({"pupils": ["Tom"]}, "needs a 'states' list"),
    ([1, 2], "is a JSON object, found a list"),
    ("{}", "is a JSON object, found a string"),
])
def test_create_refuses_what_is_not_a_studio_export_and_creates_nothing(client, flows_dir, studio, says):
    r = client.post("/api/flows", json={"id": "not-studio", "studio": studio})
    assert (r.status_code, r.json["error"]["field"]) == (400, "studio")
    assert r.json["error"]["message"].startswith("this is not a flow exported from Twilio Studio: ")
    assert says in r.json["error"]["message"]
    assert not (flows_dir / "not-studio.yaml").exists() and client.get("/api/flows/not-studio").status_code == 404


@pytest.mark.parametrize("body, status, field", [
    ({"id": "ivr-menu"}, 409, "id"),
    ({"id": "../etc"}, 400, "id"),
    ({"id": ""}, 400, "id"),
    ({"id": "x", "example": "nope"}, 404, "example"),
    ({"id": "x", "copy_of": "nope"}, 404, "copy_of"),
])
def test_create_refuses_bad_ids_and_sources(client, body, status, field):
    r = client.post("/api/flows", json=body)
    assert (r.status_code, r.json["error"]["field"]) == (status, field)


def test_draft_autosave_validates_and_counts_versions(client, flows_dir):
    flow = opened(client)
    before = (flows_dir / "appointment-confirmation.yaml").read_text()
    r = save(client, flow, edited(flow, "{{ broken"))
    assert r.status_code == 200 and r.json["draft"]["version"] == 1
    [issue] = r.json["issues"]
    assert issue["widget"] == "cancellation_pending" and issue["path"] == "properties.body"
    assert (flows_dir / "appointment-confirmation.yaml").read_text() == before, "a draft never touches the file"
    again = opened(client)
    assert again["draft"]["version"] == 1 and again["document"]["widgets"][-1]["properties"]["body"] == "{{ broken"
    assert again["issues"] == r.json["issues"] and "yaml" not in again
    assert "body: '{{ broken'" in client.get("/api/flows/appointment-confirmation?include=yaml").json["yaml"]


def test_a_save_from_a_stale_version_is_refused_not_applied(client):
    flow = opened(client)
    assert save(client, flow, edited(flow, "tab one")).status_code == 200
    stale = save(client, flow, edited(flow, "tab two"))        # still says version 0
    assert stale.status_code == 409
    assert stale.json["error"]["message"].startswith("this flow changed elsewhere")
    assert stale.json["current"]["document"]["widgets"][-1]["properties"]["body"] == "tab one"


def test_publish_writes_canonical_yaml_records_a_revision_and_webhooks_run_it(client, flows_dir):
    flow = opened(client)
    draft = save(client, flow, edited(flow, "Cancelled later.")).json["draft"]
    r = client.post("/api/flows/appointment-confirmation/publish",
                    json={"version": draft["version"], "message": "Shorter text", "author": "Ana"})
    assert r.status_code == 200 and r.json["draft"] is None
    assert r.json["published"] == {**r.json["published"], "number": 2, "author": "Ana", "message": "Shorter text"}
    text = (flows_dir / "appointment-confirmation.yaml").read_text()
    assert "body: Cancelled later." in text and text == dump_flow(yaml.safe_load(text))
    program = runtime(client.application).service.flows.latest("appointment-confirmation")
    assert program.revision == r.json["published"]["id"]
    revs = client.get("/api/flows/appointment-confirmation/revisions").json["revisions"]
    assert [(v["number"], v["current"]) for v in revs] == [(2, True), (1, False)]


def test_publish_with_errors_is_refused_with_the_problems(client):
    flow = opened(client)
    draft = save(client, flow, edited(flow, "{{ broken")).json["draft"]
    r = client.post("/api/flows/appointment-confirmation/publish", json={"version": draft["version"]})
    assert r.status_code == 422 and r.json["issues"][0]["widget"] == "cancellation_pending"
    nothing = client.post("/api/flows/ivr-menu/publish", json={"version": 0})
    assert nothing.status_code == 409 and "no unpublished changes" in nothing.json["error"]["message"]


def test_diff_and_restore(client):
    flow = opened(client)
    draft = save(client, flow, edited(flow, "Version two")).json["draft"]
    client.post("/api/flows/appointment-confirmation/publish", json={"version": draft["version"], "message": "v2"})
    lines = client.get("/api/flows/appointment-confirmation/diff?from=1&to=2").json["lines"]
    changed = [(l["op"], l["text"].strip()) for l in lines if l["op"] in "+-"]
    assert changed[0][0] == "-" and changed[0][1].startswith("body: Thanks for letting us know.")
    assert changed[1] == ("+", "body: Version two")
    assert lines[0]["op"] == "@"

    restored = client.post("/api/flows/appointment-confirmation/revisions/1/restore", json={"version": 0})
    assert restored.status_code == 200 and restored.json["draft"]["version"] == 1
    flow = opened(client)
    assert flow["document"]["widgets"][-1]["properties"]["body"].startswith("Thanks for letting us know.")
    assert flow["published"]["number"] == 2, "restoring fills the draft; publishing makes it live"
    to_draft = client.get("/api/flows/appointment-confirmation/diff?from=2&to=draft").json["lines"]
    assert ("-", "body: Version two") in [(l["op"], l["text"].strip()) for l in to_draft]
    assert client.get("/api/flows/appointment-confirmation/diff?from=9&to=1").status_code == 404
    assert client.get("/api/flows/appointment-confirmation/diff?from=x&to=1").json["error"]["field"] == "from"


def test_a_file_changed_on_disk_is_published_and_stales_open_editors(client, flows_dir):
    flow = opened(client)
    path = flows_dir / "appointment-confirmation.yaml"
    path.write_text(path.read_text().replace("See you soon!", "See you!"))
    assert client.get("/api/flows/appointment-confirmation/status").json == {
        "published": {"id": "appointment-confirmation@2", "number": 2}, "draft": None}
    now = opened(client)
    assert now["published"]["number"] == 2 and now["published"]["author"] == "file on disk"
    assert save(client, flow, edited(flow, "mine")).status_code == 409


def test_rename_moves_file_and_history_and_delete_archives_it(client, flows_dir):
    r = client.post("/api/flows/after-hours/rename", json={"id": "closed-hours"})
    assert r.status_code == 200 and r.json["id"] == "closed-hours"
    assert not (flows_dir / "after-hours.yaml").exists() and (flows_dir / "closed-hours.yaml").exists()
    assert [v["number"] for v in client.get("/api/flows/closed-hours/revisions").json["revisions"]] == [2, 1]
    assert client.post("/api/flows/closed-hours/rename", json={"id": "ivr-menu"}).status_code == 409
    assert client.delete("/api/flows/closed-hours").status_code == 204
    assert not (flows_dir / "closed-hours.yaml").exists() and not (flows_dir / "closed-hours.test.yaml").exists()
    assert client.get("/api/flows/closed-hours").status_code == 404
    assert client.get("/api/flows/closed-hours/revisions").status_code == 404


def text(phone, flow_id, body="hi", sid="SM1"):
    return phone.post(f"/webhooks/{flow_id}", {"MessageSid": sid, "AccountSid": "AC" + "0" * 32,
                                                "From": "+15555550142", "To": "+15555550100", "Body": body})


def test_rename_keeps_name_id_tests_and_history_together(app, client, flows_dir, phone):
    """Issue 16, item 1: the name follows the id, the tests move with the flow, the old
    webhook URL is gone, renaming back works, and a new flow of the old name starts afresh."""
    from flowstudio.flowtests import run_file

    flow = opened(client, "keyword-router")
    save(client, flow, edited(flow, "a draft edit"))   # a draft travels with the flow
    r = client.post("/api/flows/keyword-router/rename", json={"id": "keywords"})
    assert r.status_code == 200, r.json
    assert r.json["name"] == "keywords" and r.json["webhook_url"].endswith("/webhooks/keywords")
    assert yaml.safe_load((flows_dir / "keywords.yaml").read_text())["name"] == "keywords"
    assert r.json["document"]["name"] == "keywords"                        # the draft's name too
    assert r.json["document"]["widgets"][-1]["properties"]["body"] == "a draft edit"
    assert r.json["draft"]["base_revision"] == r.json["published"]["id"]   # not stale for the editor
    [card] = [f for f in client.get("/api/flows").json["flows"] if f["id"] == "keywords"]
    assert card["name"] == "keywords"
    revisions = client.get("/api/flows/keywords/revisions").json["revisions"]
    assert [v["message"] for v in revisions][0] == "Renamed from 'keyword-router' to 'keywords'"
    # The tests moved with it and still pass.
    assert not (flows_dir / "keyword-router.test.yaml").exists()
    assert all(result.passed for result in run_file(flows_dir / "keywords.test.yaml")), "tests fail after rename"
    # The webhook: the new URL runs the flow, the old one is gone.
    assert text(phone, "keywords").status_code == 200
    assert text(phone, "keyword-router", sid="SM2").status_code == 404
    # Renaming back works and keeps every version.
    back = client.post("/api/flows/keywords/rename", json={"id": "keyword-router"})
    assert back.status_code == 200, back.json
    assert [v["number"] for v in client.get("/api/flows/keyword-router/revisions").json["revisions"]] == [3, 2, 1]
    # A new flow that reuses a former id starts with its own, empty history.
    assert client.post("/api/flows/keyword-router/rename", json={"id": "kw"}).status_code == 200
    fresh = client.post("/api/flows", json={"id": "keyword-router"})
    assert fresh.status_code == 201, fresh.json
    assert fresh.json["published"]["number"] == 1
    assert [v["number"] for v in client.get("/api/flows/keyword-router/revisions").json["revisions"]] == [1]
    assert fresh.json["draft"] is None
    assert len(client.get("/api/flows/kw/revisions").json["revisions"]) == 4


def test_a_conversation_in_progress_finishes_after_its_flow_is_renamed_or_deleted(app, client, phone, clock):
    """Executions pinned to a revision keep running it; a new flow reusing a deleted id
    does not pick up the old flow's conversations."""
    service = runtime(app).service
    assert text(phone, "appointment-confirmation").status_code == 200
    assert client.post("/api/flows/appointment-confirmation/rename", json={"id": "appointments"}).status_code == 200
    [row] = service.store.executions(flow_id="appointments")
    assert row.status == "active"
    clock.advance(3600)
    (fired,) = service.fire_due()   # the old revision's reminder, found under the new id
    assert fired.sent[0]["effect"]["body"].startswith("Reminder from Bright Smile Dental")
    assert client.delete("/api/flows/appointments").status_code == 204
    assert client.post("/api/flows", json={"id": "appointments", "example": "keyword-router"}).status_code == 201
    assert service.store.executions(flow_id="appointments") == []
    clock.advance(3600)
    assert len(service.fire_due()) == 1   # the deleted flow's conversation still finishes its timers


def test_unpublished_changes_are_by_content_not_by_edit_count(client):
    """Issue 16, item 11: an edit undone, or the live version restored, leaves nothing
    unpublished; a publish with no change makes no new version."""
    flow = opened(client, "ivr-menu")
    original = flow["document"]
    r = save(client, flow, edited(flow, "changed"))
    assert r.status_code == 200 and r.json["draft"]["version"] == 1
    flow = opened(client, "ivr-menu")
    undone = save(client, flow, original)            # Undo: back to the published content
    assert undone.status_code == 200 and undone.json["draft"] is None
    flow = opened(client, "ivr-menu")
    assert flow["draft"] is None
    [card] = [f for f in client.get("/api/flows").json["flows"] if f["id"] == "ivr-menu"]
    assert card["draft"] is None
    r = client.post("/api/flows/ivr-menu/publish", json={"version": 0})
    assert r.status_code == 409 and "no unpublished changes" in r.json["error"]["message"]
    # Restore of the live version: History says "No differences", and so does the badge.
    restored = client.post("/api/flows/ivr-menu/revisions/1/restore", json={"version": 0})
    assert restored.status_code == 200 and restored.json["draft"] is None
    assert [v["number"] for v in client.get("/api/flows/ivr-menu/revisions").json["revisions"]] == [1]


def test_a_published_widget_rename_is_followed_by_the_flows_tests(client, flows_dir):
    """Issue 16, item 7: `waiting: ask_confirmation` becomes `waiting: ask` when the
    widget is renamed in the editor and published, so `flowstudio test` still passes."""
    from flowstudio.flowtests import run_file

    flow = opened(client)
    doc = yaml.safe_load(dump_flow(flow["document"]).replace("ask_confirmation", "ask"))   # the editor's rename
    r = save(client, flow, doc)
    assert r.status_code == 200, r.json
    assert client.post(f"/api/flows/{flow['id']}/publish", json={"version": r.json["draft"]["version"]}).status_code == 200
    text = (flows_dir / "appointment-confirmation.test.yaml").read_text()
    assert "ask_confirmation" not in text and "waiting: ask\n" in text
    results = run_file(flows_dir / "appointment-confirmation.test.yaml")
    assert [(r.name, r.failures) for r in results if not r.passed] == []


def test_bad_bodies_name_the_field(client):
    assert client.put("/api/flows/ivr-menu/draft", data="x").status_code == 400
    r = client.put("/api/flows/ivr-menu/draft", json={"document": [], "version": 0})
    assert r.json["error"]["field"] == "document"
    r = client.put("/api/flows/ivr-menu/draft", json={"document": {"widgets": []}, "version": "one"})
    assert r.json["error"]["field"] == "version"
    assert client.get("/api/flows/nope").status_code == 404


# ---------------------------------------------------------------- several processes


def test_a_publish_in_one_process_is_run_by_another(tmp_path, monkeypatch):
    monkeypatch.setattr(repository, "HEAD_TTL", 0.0)
    apps = []
    for name in ("a", "b"):
        shutil.copytree(REPO / "flows", tmp_path / name)
        apps.append(create_app({"FLOWS_DIR": str(tmp_path / name), "DATA_DIR": str(tmp_path / "data"),
                                "SCHEDULER": False, "LISTEN_HOST": "127.0.0.1"}))
    a, b = (x.test_client() for x in apps)
    flow = opened(a)
    draft = save(a, flow, edited(flow, "From machine A")).json["draft"]
    assert a.post("/api/flows/appointment-confirmation/publish", json={"version": draft["version"]}).status_code == 200
    program = runtime(apps[1]).service.flows.latest("appointment-confirmation")
    assert program.revision == "appointment-confirmation@2"
    assert opened(b)["document"]["widgets"][-1]["properties"]["body"] == "From machine A"
    # B's file is behind; a restart of B catches it up rather than publishing the old text back.
    shutil.copytree(REPO / "flows", tmp_path / "c")
    c = create_app({"FLOWS_DIR": str(tmp_path / "c"), "DATA_DIR": str(tmp_path / "data"), "SCHEDULER": False,
                    "LISTEN_HOST": "127.0.0.1"})
    assert runtime(c).service.flows.latest("appointment-confirmation").revision == "appointment-confirmation@2"
    assert "From machine A" in (tmp_path / "c" / "appointment-confirmation.yaml").read_text()
    for x in (*apps, c):
        runtime(x).service.store.close()


# ---------------------------------------------------------------- access


@pytest.fixture
def public_app(tmp_path):
    shutil.copytree(REPO / "flows", tmp_path / "flows")

    def make(**config):
        app = create_app({"FLOWS_DIR": str(tmp_path / "flows"), "DATA_DIR": str(tmp_path / "data"),
                          "SCHEDULER": False, "LISTEN_HOST": "0.0.0.0", **config})
        made.append(app)
        return app
    made = []
    yield make
    for app in made:
        runtime(app).service.store.close()


@pytest.mark.parametrize("token", ["\xe9t\xe9", "\xff" * 40])
def test_a_csrf_token_with_bytes_beyond_ascii_is_403_not_500(public_app, token):
    """A header arrives as latin-1 text; hmac.compare_digest raised TypeError on it."""
    client = public_app(PASSWORD="s3cret").test_client()
    client.post("/api/login", json={"password": "s3cret"})
    r = client.post("/api/flows", json={"id": "not-made"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 403 and "wrong X-CSRF-Token" in r.json["error"]["message"], r.text


def test_a_password_or_api_token_beyond_ascii_is_compared_not_500(public_app):
    app = public_app(PASSWORD="p\u00e4ss", API_TOKEN="t\u00f8ken")
    client = app.test_client()
    assert client.post("/api/login", json={"password": "p\u00e4ss"}).status_code == 200
    assert client.post("/api/login", json={"password": "\u00e9"}).status_code == 401
    assert app.test_client().get("/api/flows", headers={"Authorization": "Bearer \xe9"}).status_code == 401


def test_off_loopback_the_api_needs_a_login_and_a_csrf_token(public_app):
    client = public_app(PASSWORD="s3cret").test_client()
    info = client.get("/api/session").json
    assert info["login_required"] and not info["authenticated"]
    assert client.get("/api/flows").status_code == 401
    assert client.post("/api/login", json={"password": "nope"}).status_code == 401
    login = client.post("/api/login", json={"password": "s3cret", "name": "Ana"})
    assert login.status_code == 200 and login.json["user"] == "Ana"
    assert client.get("/api/flows").status_code == 200
    create = {"id": "made-by-ana"}
    assert client.post("/api/flows", json=create).status_code == 403, "no CSRF token"
    wrong = client.post("/api/flows", json=create, headers={"X-CSRF-Token": "not-it"})
    assert wrong.status_code == 403 and "wrong X-CSRF-Token" in wrong.json["error"]["message"]
    r = client.post("/api/flows", json=create, headers={"X-CSRF-Token": login.json["csrf"]})
    assert r.status_code == 201 and r.json["published"]["author"] == "Ana"
    client.post("/api/logout")
    assert client.get("/api/flows").status_code == 401
    assert client.get("/healthz").status_code == 200 and client.get("/").status_code in (200, 503)


def test_off_loopback_without_a_password_the_api_is_closed_and_says_why(public_app):
    r = public_app().test_client().get("/api/flows")
    assert r.status_code == 403 and "FLOWSTUDIO_PASSWORD" in r.json["error"]["message"]


def test_scripts_use_a_bearer_token(public_app):
    client = public_app(API_TOKEN="tok-123").test_client()
    assert client.get("/api/flows", headers={"Authorization": "Bearer tok-123"}).status_code == 200
    assert client.get("/api/flows", headers={"Authorization": "Bearer wrong"}).status_code == 401
    r = client.post("/api/flows", json={"id": "scripted"}, headers={"Authorization": "Bearer tok-123"})
    assert r.status_code == 201


def test_the_bearer_scheme_is_read_whatever_its_case(public_app):
    """RFC 9110 (11.1): an authentication scheme's name is case-insensitive; curl users
    and some libraries write `bearer`."""
    client = public_app(API_TOKEN="tok-123").test_client()
    for given in ("bearer tok-123", "BEARER tok-123", "Bearer  tok-123"):
        assert client.get("/api/flows", headers={"Authorization": given}).status_code == 200, given
    for given in ("bearer wrong", "Basic tok-123", "tok-123", "Bearertok-123", "bearer"):
        assert client.get("/api/flows", headers={"Authorization": given}).status_code == 401, given


def test_cross_site_requests_are_refused_even_on_loopback(client):
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}):
        r = client.post("/api/flows", json={"id": "evil"}, headers=headers)
        assert r.status_code == 403 and r.json["error"]["message"] == "cross-site request refused"
    same = client.post("/api/flows", json={"id": "fine"}, headers={"Origin": "http://localhost",
                                                                   "Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 201


def test_a_flow_has_a_name_people_read_and_an_id_that_names_its_file_and_url(client, flows_dir, phone):
    """newuser21, item 2: "Absence reporting" typed as the name stayed `absence-reporting`
    everywhere. The name is kept as typed; changing it later leaves the file and URL alone,
    and a move to a new id can carry a new name too."""
    created = client.post("/api/flows", json={"id": "absence-reporting", "name": "  Absence   reporting "})
    assert created.status_code == 201, created.json
    assert created.json["name"] == "Absence reporting"
    assert yaml.safe_load((flows_dir / "absence-reporting.yaml").read_text())["name"] == "Absence reporting"
    flow = opened(client, "absence-reporting")
    doc = {**flow["document"], "description": "a draft edit"}
    assert save(client, flow, doc).status_code == 200
    # The name alone: a revision, the draft keeps its edit and is not stale, the URL stays.
    r = client.post("/api/flows/absence-reporting/rename", json={"name": "Report an absence"})
    assert r.status_code == 200, r.json
    assert r.json["id"] == "absence-reporting" and r.json["webhook_url"].endswith("/webhooks/absence-reporting")
    assert r.json["name"] == "Report an absence" and r.json["document"]["description"] == "a draft edit"
    assert r.json["draft"]["base_revision"] == r.json["published"]["id"]
    assert yaml.safe_load((flows_dir / "absence-reporting.yaml").read_text())["name"] == "Report an absence"
    [card] = [f for f in client.get("/api/flows").json["flows"] if f["id"] == "absence-reporting"]
    assert card["name"] == "Report an absence"
    revisions = client.get("/api/flows/absence-reporting/revisions").json["revisions"]
    assert revisions[0]["message"] == "Name changed to 'Report an absence'" and revisions[0]["number"] == 2
    # Both at once: the file moves and the name is the one given (not the id).
    both = client.post("/api/flows/absence-reporting/rename", json={"id": "absences", "name": "Absences"})
    assert both.status_code == 200, both.json
    assert both.json["name"] == "Absences" and not (flows_dir / "absence-reporting.yaml").exists()
    assert yaml.safe_load((flows_dir / "absences.yaml").read_text())["name"] == "Absences"
    # The id alone keeps a human name.
    moved = client.post("/api/flows/absences/rename", json={"id": "absence-line"})
    assert moved.status_code == 200 and moved.json["name"] == "Absences"
    # A duplicate gets the name typed for it.
    copy = client.post("/api/flows", json={"id": "absence-line-2", "copy_of": "absence-line", "name": "Absences 2"})
    assert copy.status_code == 201 and copy.json["name"] == "Absences 2"
    # Bad names say what is wrong, and change nothing.
    for bad in ("   ", 7, "x" * 201):
        r = client.post("/api/flows/absence-line/rename", json={"name": bad})
        assert r.status_code == 400 and r.json["error"]["field"] == "name", r.json
    assert client.post("/api/flows/absence-line/rename", json={}).status_code == 400
    (flows_dir / "absence-line.yaml").write_text("spec_version: 1\nname: x\nwidgets: {}\n")
    r = client.post("/api/flows/absence-line/rename", json={"name": "Fixed"})
    assert r.status_code == 409 and "absence-line.yaml has problems" in r.json["error"]["message"]
