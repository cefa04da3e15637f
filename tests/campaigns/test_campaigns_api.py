"""Campaigns through the API, on SQLite and PostgreSQL: create from JSON, CSV or pasted
numbers; each contact started once through incomingRequest, at the campaign's rate;
skips (repeats, opt-outs, active executions); pause, resume, cancel; exactly once when
a contact is claimed again after its process died."""
import io
from datetime import timedelta

import pytest

from flowstudio import campaigns as cm
from flowstudio.adapters import campaignschema as c
from flowstudio.adapters.campaignstore import CampaignStore
from flowstudio.web.app import runtime

from .conftest import drain

FROM = "+15555550100"


def post(client, flow="survey", **body):
    body.setdefault("from", FROM)
    return client.post(f"/api/flows/{flow}/campaigns", json=body)


def contacts(n, start=1000):
    return [{"to": f"+1555555{start + i:04d}", "parameters": {"name": f"P{i}"}} for i in range(n)]


def test_a_campaign_starts_each_contact_once_through_incoming_request(client, app, runner):
    answer = post(client, rate=10, contacts=contacts(5))
    assert answer.status_code == 201, answer.json
    body = answer.json
    assert (body["status"], body["total"], body["pending"], body["invalid"]) == ("running", 5, 5, [])
    assert drain(runner) == 5
    shown = client.get(f"/api/flows/survey/campaigns/{body['id']}").json
    assert {k: shown[k] for k in ("status", "total", "started", "skipped", "failed", "pending", "rate")} == \
        {"status": "done", "total": 5, "started": 5, "skipped": 0, "failed": 0, "pending": 0, "rate": 10.0}
    store = runtime(app).service.store
    rows = store.executions(flow_id="survey")
    assert sorted(r.contact for r in rows) == [f"+1555555{1000 + i:04d}" for i in range(5)]
    for row in rows:
        steps = store.steps(row.id)
        assert [(s.event, s.from_widget, s.to_widget) for s in steps] == [("incomingRequest", "Trigger", "ask")]
        assert row.flow_address == FROM and row.status == "active"
    bodies = sorted(o.effect["body"] for o in store.outbox())
    assert bodies == [f"Hi P{i}, how was your visit?" for i in range(5)]
    listed = client.get("/api/flows/survey/campaigns").json["campaigns"]
    assert [x["id"] for x in listed] == [body["id"]]


def test_the_runner_paces_contacts_at_the_rate(client, runner, app):
    post(client, rate=4, contacts=contacts(9))
    clock = runtime(app).service.clock
    begin = clock()
    drain(runner)
    store = runtime(app).service.store
    started = sorted(r.created_at.replace(tzinfo=None) for r in store.executions(flow_id="survey"))
    gaps = [(b - a).total_seconds() for a, b in zip(started, started[1:])]
    assert gaps == [0.25] * 8          # 4 per second, never faster, in batches or across them
    assert started[0] == begin.replace(tzinfo=None)


def test_csv_columns_become_flow_data_and_bad_rows_are_listed(client, app, runner):
    csv = ("to,name,day\n+1 (555) 555-0201,Ada,Monday\nnot a number,Bob,x\n5555550203,Cy,y\n"
           "whatsapp:+15555550204,Di,z\n\n").encode()
    answer = client.post("/api/flows/notice/campaigns", data={"from": FROM, "rate": "50",
                                                             "file": (io.BytesIO(csv), "list.csv")})
    assert answer.status_code == 201, answer.json
    assert answer.json["total"] == 1
    assert answer.json["invalid"] == [
        {"row": 3, "error": "to 'not a number' is not a phone number like +15555550142 or whatsapp:+15555550142"},
        {"row": 4, "error": "to '5555550203' needs + and the country code in front (+1 for the US and Canada), "
                            "like +15555550142"},
        {"row": 5, "error": "to whatsapp:+15555550204 is a WhatsApp address but the list is sent from +15555550100: "
                            "Twilio sends a message only within one channel"}]
    drain(runner)
    store = runtime(app).service.store
    sent = {o.effect["to"]: o.effect["body"] for o in store.outbox()}
    assert sent == {"+15555550201": "Clinic closed on Monday"}
    rows = client.get(f"/api/flows/notice/campaigns/{answer.json['id']}/contacts").json["contacts"]
    assert [(r["row"], r["to"], r["status"]) for r in rows] == [(2, "+15555550201", "started")]
    assert rows[0]["parameters"] == {"name": "Ada", "day": "Monday"}


def test_repeats_opt_outs_and_active_executions_are_skipped_and_counted(client, app, runner):
    service = runtime(app).service
    service.start_request("survey", "+15555550302", FROM, {})          # already in the flow
    hook = {"MessageSid": "SM" + "1" * 32, "From": "+15555550303", "To": FROM, "Body": " stop "}
    assert client.post("/webhooks/survey", data=hook).status_code == 200  # opted out
    listed = client.get("/api/optouts").json["optouts"]
    assert [(o["address"], o["keyword"], o["flow_id"]) for o in listed] == [("+15555550303", "STOP", "survey")]
    numbers = "+15555550301\n+15555550302, +15555550303; +15555550301\n+15555550304"
    preview = client.post("/api/flows/survey/campaigns", json={"from": FROM, "numbers": numbers, "dry_run": True})
    assert preview.status_code == 200
    assert [(s["row"], s["to"]) for s in preview.json["skipped"]] == [
        (2, "+15555550302"), (3, "+15555550303"), (4, "+15555550301")]
    assert (preview.json["valid"], preview.json["to_send"]) == (5, 2)
    assert client.get("/api/flows/survey/campaigns").json["campaigns"] == []   # a preview records nothing
    answer = post(client, numbers=numbers)
    drain(runner)
    shown = client.get(f"/api/flows/survey/campaigns/{answer.json['id']}").json
    assert (shown["total"], shown["started"], shown["skipped"], shown["pending"]) == (5, 2, 3, 0)
    reasons = {r["row"]: r["reason"] for r in
               client.get(f"/api/flows/survey/campaigns/{answer.json['id']}/contacts?status=skipped").json["contacts"]}
    assert reasons == {2: "already in an active execution of this flow", 3: "opted out (texted STOP)",
                       4: "the same number as row 1"}


def test_start_undoes_an_opt_out(client):
    for sid, word in (("1", "STOP"), ("2", "start")):
        hook = {"MessageSid": "SM" + sid * 32, "From": "+15555550305", "To": FROM, "Body": word}
        client.post("/webhooks/survey", data=hook)
    assert client.get("/api/optouts").json["optouts"] == []
    hook = {"MessageSid": "SM" + "3" * 32, "From": "+15555550305", "To": FROM, "Body": "please stop texting"}
    client.post("/webhooks/survey", data=hook)
    assert client.get("/api/optouts").json["optouts"] == []   # only the word alone counts, as at Twilio


def test_pause_resume_cancel(client, app, runner):
    cid = post(client, rate=2, contacts=contacts(6)).json["id"]
    url = f"/api/flows/survey/campaigns/{cid}"
    assert runner.run_once() == 1          # one contact per half-second window at 2/s
    assert client.post(url + "/pause").json["status"] == "paused"
    assert runner.run_once() == 0
    assert client.post(url + "/pause").status_code == 409
    assert client.get(url).json["started"] == 1
    assert client.post(url + "/resume").json["status"] == "running"
    assert runner.run_once() == 1
    assert client.post(url + "/cancel").json["status"] == "cancelled"
    drain(runner)
    shown = client.get(url).json
    assert (shown["status"], shown["started"], shown["pending"]) == ("cancelled", 2, 4)
    assert client.post(url + "/resume").status_code == 409


def test_pausing_mid_batch_gives_the_rest_back(client, app, runner):
    cid = post(client, rate=10, contacts=contacts(5)).json["id"]
    url = f"/api/flows/survey/campaigns/{cid}"
    real_start = runner.start_contact
    calls = []

    def start_then_pause(campaign, contact):
        outcome = real_start(campaign, contact)
        calls.append(contact.row)
        if len(calls) == 2:
            client.post(url + "/pause")
        return outcome

    runner.start_contact = start_then_pause
    assert runner.run_once() == 2
    shown = client.get(url).json
    assert (shown["status"], shown["started"], shown["pending"]) == ("paused", 2, 3)
    statuses = [r["status"] for r in client.get(url + "/contacts").json["contacts"]]
    assert statuses == ["started", "started", "pending", "pending", "pending"]
    client.post(url + "/resume")
    drain(runner)
    assert client.get(url).json["started"] == 5


def test_a_scheduled_campaign_waits_for_its_start_time(client, app, runner):
    clock = runtime(app).service.clock
    when = (clock() + timedelta(hours=2)).isoformat()
    answer = post(client, contacts=contacts(2), start_at=when)
    assert answer.json["status"] == "scheduled"
    assert runner.run_once() == 0
    clock.advance(2 * 3600)
    drain(runner)
    assert client.get(f"/api/flows/survey/campaigns/{answer.json['id']}").json["started"] == 2


def test_a_contact_claimed_again_after_its_process_died_is_not_started_twice(client, app, runner):
    """The first start committed, then the process died before recording it: the
    claim runs out, another process claims the contact and gets the stored start."""
    cid = post(client, flow="notice", rate=10, contacts=contacts(3)).json["id"]
    store = runner.store
    clock = runtime(app).service.clock
    claim = store.claim(clock(), runner.LOOKAHEAD, runner.WINDOW, runner.LEASE)
    first = claim.contacts[0]
    service = runtime(app).service
    service.start_request("notice", first.address, FROM, dict(first.parameters), key=f"campaign:{cid}:{first.row}")
    # ... and the process died: nothing recorded, the rows stay claimed.
    assert runner.run_once() == 0            # claims still hold
    clock.advance(runner.LEASE.total_seconds() + 1)
    drain(runner)
    shown = client.get(f"/api/flows/notice/campaigns/{cid}").json
    assert (shown["status"], shown["started"], shown["pending"]) == ("done", 3, 0)
    executions = service.store.executions(flow_id="notice")
    assert sorted(r.contact for r in executions) == sorted(x["to"] for x in contacts(3))
    assert len(service.store.outbox()) == 3
    rows = client.get(f"/api/flows/notice/campaigns/{cid}/contacts").json["contacts"]
    assert {r["execution_id"] for r in rows} == {r.id for r in executions}


def test_a_flow_that_cannot_run_fails_its_contacts_and_the_campaign_goes_on(client, app, runner):
    cid = post(client, flow="notice", contacts=contacts(2)).json["id"]
    folder = runtime(app).settings.flows_dir
    (folder / "notice.yaml").write_text("spec_version: 1\nname: notice\nwidgets: [}\n")
    drain(runner)
    shown = client.get(f"/api/flows/notice/campaigns/{cid}").json
    assert (shown["status"], shown["failed"], shown["started"]) == ("done", 2, 0)


def test_a_campaign_at_the_slowest_rate_does_not_hold_up_the_others(client, app, runner):
    """Before, a rate of 1e-300 was taken: its next slot overflowed the claim, every
    round failed on it, and the campaigns due after it were never sent."""
    slow = post(client, rate=cm.MIN_RATE, contacts=contacts(2)).json["id"]
    fast = post(client, flow="notice", rate=1, contacts=contacts(2, start=2000)).json["id"]
    drain(runner)
    shown = client.get(f"/api/flows/notice/campaigns/{fast}").json
    assert (shown["status"], shown["started"]) == ("done", 2)
    shown = client.get(f"/api/flows/survey/campaigns/{slow}").json
    assert (shown["status"], shown["started"], shown["pending"]) == ("running", 1, 1)   # the next one a day later


def test_every_contact_of_a_large_campaign_is_listed_page_by_page(client):
    """Before: the first 1,000 rows, and nothing said that there were more."""
    numbers = "\n".join(f"+1555556{i:04d}" for i in range(2500))
    cid = post(client, numbers=numbers).json["id"]
    url = f"/api/flows/survey/campaigns/{cid}/contacts"
    seen, after, pages = [], None, 0
    while True:
        page = client.get(url, query_string={"after": after} if after is not None else {}).json
        seen += [r["row"] for r in page["contacts"]]
        after, pages = page["next_after"], pages + 1
        if after is None:
            break
    assert seen == list(range(1, 2501)) and pages == 3
    for bad in ("x", "-1", "1e3", "9" * 30):
        answer = client.get(url, query_string={"after": bad})
        assert answer.status_code == 400 and answer.json["error"]["field"] == "after", bad


def test_opt_out_times_name_their_zone(client, app):
    """Before: `2026-01-05T10:00:00` on SQLite (a browser reads that as its own local
    time), `...+00:00` on PostgreSQL."""
    hook = {"MessageSid": "SM" + "4" * 32, "From": "+15555550306", "To": FROM, "Body": "STOP"}
    client.post("/webhooks/survey", data=hook)
    [listed] = client.get("/api/optouts").json["optouts"]
    assert listed["created_at"] == runtime(app).service.clock().isoformat()
    assert listed["created_at"].endswith("+00:00")


def test_the_opt_out_list_says_how_many_there_are_when_it_stops_short(client, app, clock, monkeypatch):
    """Before: the newest 1,000 were listed, and the editor's "Opted out (1000)" hid the rest."""
    from flowstudio.web import campaigns_api

    for n, number in enumerate(("+15555550311", "+15555550312", "+15555550313")):
        hook = {"MessageSid": f"SM{n:032d}", "From": number, "To": FROM, "Body": "STOP"}
        assert client.post("/webhooks/survey", data=hook).status_code == 200
        clock.advance(1)
    monkeypatch.setattr(campaigns_api, "OPT_OUTS_LISTED", 2)
    answer = client.get("/api/optouts").json
    assert answer["total"] == 3
    assert [o["address"] for o in answer["optouts"]] == ["+15555550313", "+15555550312"]   # the newest


def test_an_opt_out_is_taken_off_however_its_number_is_written(client):
    """Before: 404 "has not opted out" for `+1 (555) 555-0307`, written as people do."""
    hook = {"MessageSid": "SM" + "5" * 32, "From": "+15555550307", "To": FROM, "Body": "STOP"}
    client.post("/webhooks/survey", data=hook)
    answer = client.delete("/api/optouts/+1 (555) 555-0307")
    assert answer.status_code == 200, answer.json
    assert answer.json == {"address": "+15555550307", "opted_out": False}
    assert client.get("/api/optouts").json["optouts"] == []


def test_a_campaign_follows_its_flow_when_it_is_renamed(client, app, runner):
    """Before: the campaign stayed under the old id: the contacts not yet sent all
    failed ("no flow"), and the new id listed no campaign."""
    cid = post(client, flow="notice", rate=1, contacts=contacts(3)).json["id"]
    assert runner.run_once() == 1
    assert client.post("/api/flows/notice/rename", json={"id": "closure"}).status_code == 200
    drain(runner)
    shown = client.get(f"/api/flows/closure/campaigns/{cid}").json
    assert (shown["status"], shown["started"], shown["failed"]) == ("done", 3, 0)
    assert client.get("/api/flows/notice/campaigns").json["campaigns"] == []


def test_deleting_a_flow_stops_its_campaign_sending(client, app, runner):
    """Before: the running campaign of a deleted flow went on at its rate, failing each
    contact not yet sent ("no flow") one by one; now the delete cancels it."""
    cid = post(client, flow="notice", rate=1, contacts=contacts(3)).json["id"]
    assert runner.run_once() == 1
    assert client.delete("/api/flows/notice").status_code == 204
    drain(runner)
    store = CampaignStore(runtime(app).service.store)
    assert store.get(cid).status == "cancelled"
    assert store.counts(cid) == {"started": 1, "pending": 2}


def test_a_deleted_flows_campaign_never_runs_a_new_flow_of_the_same_id(client, app, runner):
    """Before: a campaign scheduled for a flow that was then deleted started, at its
    time, whatever new flow had been given that id."""
    clock = runtime(app).service.clock
    cid = post(client, flow="notice", contacts=contacts(2), start_at=(clock() + timedelta(hours=1)).isoformat()).json["id"]
    assert client.delete("/api/flows/notice").status_code == 204
    assert client.post("/api/flows", json={"id": "notice"}).status_code == 201
    clock.advance(2 * 3600)
    drain(runner)
    assert runtime(app).service.store.executions(flow_id="notice") == []
    assert client.get("/api/flows/notice/campaigns").json["campaigns"] == []
    assert client.get(f"/api/flows/notice/campaigns/{cid}").status_code == 404
