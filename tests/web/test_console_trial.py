"""Trying "Send to a list" in the test console (console_trial.py, web/live.py): test
numbers started as the campaign would start them (incomingRequest, the row's columns as
flow.data, the published version), replies as any of them, nothing sent, nothing counted;
bad input answered in words."""
from pathlib import Path

import pytest

from flowstudio.adapters.campaignstore import CampaignStore
from flowstudio.console import ConsoleError
from flowstudio.console_trial import sample_rows, trial_contacts
from flowstudio.flowtests import run_file
from flowstudio.service import LocalChannel
from flowstudio.web.app import runtime

from .test_console import APPT, ask, console, socket, texts

FROM = "+15555550100"
ROWS = [{"row": 2, "to": "+15555551001", "parameters": {"first_name": "Ana", "date": "May 2", "time": "9:00"}},
        {"row": 3, "to": "+15555551002", "parameters": {"first_name": "Bo", "date": "May 3", "time": "10:30"}}]


class SpyChannel(LocalChannel):
    """The app's real channel (Twilio's, in production): records whatever reaches it."""

    def __init__(self):
        self.sent = []

    def send_message(self, message, execution=None):
        self.sent.append(message)
        return super().send_message(message, execution)

    def place_call(self, call, execution):
        self.sent.append(call)
        return super().place_call(call, execution)


def trial(client, contacts=ROWS, flow=APPT, **extra):
    return ask(client, "console:trial", {"flow": flow, "from": FROM, "contacts": contacts, **extra})


def started(client, **kw):
    answer = trial(client, **kw)
    assert "error" not in answer, answer
    return {c["id"]: c for c in answer["contacts"]}


def test_each_test_number_is_started_as_the_campaign_would_with_its_row_as_flow_data(app):
    tab = socket(app)
    contacts = started(tab)
    assert list(contacts) == ["t1", "t2"]
    ana, bo = contacts["t1"], contacts["t2"]
    assert (ana["to"], ana["row"], bo["to"], bo["row"]) == ("+15555551001", 2, "+15555551002", 3)
    assert texts(ana["report"]) == ["Hi Ana, this is Bright Smile Dental. Please confirm your appointment on May 2 at "
                                    "9:00. Reply YES to confirm or NO to cancel."]
    assert "Hi Bo," in texts(bo["report"])[0]
    step = ana["report"]["steps"][0]
    assert (step["from"], step["event"], step["to"]) == ("Trigger", "incomingRequest", "ask_confirmation")
    assert step["context"]["flow"]["data"] == ROWS[0]["parameters"]
    assert step["context"]["trigger"]["request"]["to"] == "+15555551001"
    assert step["context"]["trigger"]["request"]["from"] == FROM
    state = ana["report"]["state"]
    assert state["published"] is True and state["contact"] == "+15555551001" and state["number"] == FROM

    # Reply as Bo: only Bo's conversation moves on; Ana still waits.
    done = ask(tab, "console:act", {"contact": "t2", "action": "send", "arg": "yes"})
    assert texts(done) == ["Thank you! Your appointment on May 3 at 10:30 is confirmed. Please arrive 10 minutes "
                           "early. See you soon!"] and done["status"] == "ended"
    store = runtime(app).service.store
    assert store.execution(ana["report"]["execution_id"]).status == "active"
    again = ask(tab, "console:act", {"contact": "t1", "action": "send", "arg": "no"})
    assert again["status"] == "ended" and again["execution_id"] == ana["report"]["execution_id"]


def test_a_try_sends_nothing_records_no_campaign_and_blocks_no_real_contact(app):
    service = runtime(app).service
    spy = service.channel = SpyChannel()
    tab = socket(app)
    contacts = started(tab)
    ask(tab, "console:act", {"contact": "t1", "action": "send", "arg": "yes"})
    assert spy.sent == [], "a try never reaches the real channel"
    assert CampaignStore(service.store).of_flow(APPT) == []
    rows = [service.store.execution(c["report"]["execution_id"]) for c in contacts.values()]
    assert all(r.session_key.startswith("console:") for r in rows)
    assert CampaignStore(service.store).active_contacts(APPT, [c["to"] for c in ROWS]) == set(), \
        "a real send would not skip the test numbers as already in an execution"
    # The same number through the real REST path starts its own execution, sent for real.
    real = service.start_request(APPT, ROWS[1]["to"], FROM, {"first_name": "Bo"})
    assert real.status == "active" and len(spy.sent) == 1


def test_the_try_runs_the_published_version_not_the_draft(app):
    client = app.test_client()
    flow = client.get(f"/api/flows/{APPT}").json
    doc = flow["document"]
    doc["widgets"] = [dict(w) for w in doc["widgets"]]
    for w in doc["widgets"]:
        if w["name"] == "ask_confirmation":
            w["properties"] = {**w["properties"], "body": "Draft question"}
    r = client.put(f"/api/flows/{APPT}/draft", json={"document": doc, "version": 0,
                                                     "base_revision": flow["published"]["id"]})
    assert r.status_code == 200, r.json
    ana = started(socket(app))["t1"]
    assert texts(ana["report"])[0].startswith("Hi Ana, this is Bright Smile Dental")
    assert ana["report"]["state"]["draft_differs"] is True
    assert runtime(app).service.store.execution(ana["report"]["execution_id"]).revision_id == flow["published"]["id"]
    # the ordinary console still runs the draft
    assert texts(ask(console(app), "console:act", {"action": "send", "arg": "hi"})) == ["Draft question"]


def test_a_number_that_opted_out_is_tried_with_a_note_that_a_real_send_skips_it(app, clock):
    CampaignStore(runtime(app).service.store).opt_out(ROWS[0]["to"], APPT, "STOP", clock())
    contacts = started(socket(app))
    assert contacts["t1"]["skip"] == "opted out (texted STOP)" and contacts["t2"]["skip"] is None
    assert texts(contacts["t1"]["report"]), "still tried: it is a test"


def test_starting_a_new_try_or_closing_the_tab_ends_the_test_executions(app):
    store = runtime(app).service.store
    tab = socket(app)
    first = [c["report"]["execution_id"] for c in started(tab).values()]
    second = [c["report"]["execution_id"] for c in started(tab).values()]
    assert {store.execution(x).status for x in first} == {"ended"}
    assert {store.execution(x).status for x in second} == {"active"}
    tab.disconnect()
    assert {store.execution(x).status for x in second} == {"ended"}


def test_the_first_rows_of_a_csv_or_of_pasted_numbers_prefill_the_test_numbers(app):
    tab = socket(app)
    csv = "to,first_name,date\n+1 555 555 1001,Ana,May 2\nnope,Nobody,x\n" + "".join(
        f"+1555555200{i},Guest {i},May {i}\n" for i in range(8))
    rows = ask(tab, "console:trial_rows", {"csv": csv, "partial": True})
    assert [r["to"] for r in rows["rows"]] == ["+15555551001"] + [f"+1555555200{i}" for i in range(4)]
    assert rows["rows"][0] == {"row": 2, "to": "+15555551001", "parameters": {"first_name": "Ana", "date": "May 2"}}
    assert rows["columns"] == ["first_name", "date"] and rows["max"] == 5
    assert rows["invalid_count"] == 1 and rows["invalid"][0]["row"] == 3
    # The beginning of a big file may end inside a quoted value that spans lines: the
    # sample is read up to its last whole row.
    cut = 'to,note\n+15555551001,"two\nlines"\n+15555551002,"one ""quoted"" word"\n+15555551003,"cut\nhere\n'
    rows = ask(tab, "console:trial_rows", {"csv": cut, "partial": True})
    assert [(r["to"], r["parameters"]["note"]) for r in rows["rows"]] == [
        ("+15555551001", "two\nlines"), ("+15555551002", 'one "quoted" word')]
    assert "not valid CSV" in ask(tab, "console:trial_rows", {"csv": cut})["error"], "a whole file is read as it is"
    numbers = ask(tab, "console:trial_rows", {"numbers": "+15555551001, +15555551002"})
    assert [r["parameters"] for r in numbers["rows"]] == [{}, {}]


@pytest.mark.parametrize("data, words", [
    ({"contacts": [{"to": "not-a-number"}]}, "test number 1: to 'not-a-number' is not a phone number"),
    ({"contacts": [{"to": "+15555551001"}, {"to": "5551002"}]}, "test number 2: to '5551002' needs + and the country code"),
    ({"contacts": [{"to": f"+1555555100{i}"} for i in range(6)]}, "6 test numbers: try with at most 5"),
    ({"contacts": []}, "add at least one test number"),
    ({"contacts": "+15555551001"}, "add at least one test number"),
    ({"contacts": [{"to": "+15555551001"}, {"to": "+15555551002", "parameters": {"note": "x" * 100_000}}]},
     "test number 2: its columns are too large for a try (97 KB; at most 32 KB)"),
    ({"contacts": [{"to": "+15555551001", "parameters": ["x"]}]}, "test number 1: parameters must be an object"),
    ({"contacts": [{"to": "+15555551001"}, {"to": "+1 555 555 1001"}]},
     "test number 2 is the same as test number 1 (+15555551001)"),
    ({"contacts": ROWS, "from": "the shop"}, "Send from: 'the shop' is not a phone number"),
    ({"contacts": ROWS, "flow": "no-such-flow"}, "there is no flow 'no-such-flow'"),
    ({"contacts": ROWS, "flow": None}, "say which flow"),
    ({"contacts": [1]}, "test number 1: must be an object with to and parameters"),
    ({"contacts": [{"to": None}]}, "test number 1: to is empty"),
    ({"contacts": [{"to": ["+15555551001"]}]}, "test number 1: to must be a phone number in text"),
    ({"contacts": ROWS, "from": 42}, "Send from: must be a phone number in text"),
])
def test_bad_try_input_is_answered_in_words_naming_what(app, data, words):
    tab = socket(app)
    payload = {"flow": APPT, "from": FROM, **data}
    answer = ask(tab, "console:trial", payload)
    assert words in answer.get("error", ""), answer
    assert app.extensions["flowstudio.live"].trials == {}, "nothing started"


@pytest.mark.parametrize("data, words", [
    ({}, "choose a CSV file or paste numbers first"),
    ({"csv": "name\nAna\n"}, "the CSV file: the header line has no 'to' column"),
    ({"csv": "to\n" + "+15555551001\n" * 30_000}, "the CSV file: send at most the first 256 KB"),
    ({"csv": 'to,name\n+15555551001,"Ana\n'}, "the CSV file: line"),
    ("not a dict", "choose a CSV file or paste numbers first"),
])
def test_bad_list_samples_are_answered_in_words(app, data, words):
    answer = ask(socket(app), "console:trial_rows", data)
    assert words in answer.get("error", ""), answer


@pytest.mark.parametrize("payload", ["nonsense", ["x"], None, 7])
def test_a_try_that_is_not_an_object_is_answered_in_words(app, payload):
    answer = ask(socket(app), "console:trial", payload)
    assert answer == {"error": "say which flow"}


def test_nul_characters_never_reach_a_try_and_are_named_where_they_are(app):
    """Over the socket a NUL makes the packet a bad one, dropped before any handler
    (jsonbody.SocketJSON, as every console packet); the editor checks the file and the
    numbers before sending. The functions name it too, whoever calls them."""
    tab = socket(app)
    with pytest.raises(ValueError, match="NUL"):
        tab.emit("console:trial", {"flow": APPT, "contacts": [{"to": "+1555555\x001001"}]}, callback=True)
    with pytest.raises(ValueError, match="NUL"):
        tab.emit("console:trial_rows", {"csv": "to\n+15555551001\x00\n"}, callback=True)
    assert app.extensions["flowstudio.live"].trials == {}
    assert started(tab)["t1"]["report"]["status"] == "active"   # the tab still works
    cases = [(lambda: trial_contacts({"contacts": [{"to": "+1555555\x001001"}]}), "test number 1: to"),
             (lambda: trial_contacts({"contacts": [{"to": "+15555551001", "parameters": {"na\x00me": "x"}}]}),
              "test number 1: the column 'name' contains a NUL"),
             (lambda: trial_contacts({"contacts": [{"to": "+15555551001", "parameters": {"name": "x\x00"}}]}),
              "test number 1: the column 'name' contains a NUL"),
             (lambda: sample_rows({"csv": "to,name\n+15555551001,A\x00na\n"}), "the CSV file: it holds NUL characters"),
             (lambda: sample_rows({"numbers": "+15555551001\x00"}), "the pasted numbers: it holds NUL characters")]
    for call, words in cases:
        with pytest.raises(ConsoleError, match=words):
            call()


def test_acting_on_a_test_number_outside_the_try_is_refused_in_words(app):
    tab = socket(app)
    started(tab)
    assert "not part of this try" in ask(tab, "console:act", {"contact": "t9", "action": "send", "arg": "x"})["error"]
    assert "not part of this try" in ask(tab, "console:act", {"action": "send", "arg": "x"})["error"]
    assert "start the try again" in ask(tab, "console:restart", {})["error"]
    # the ordinary console comes back with console:open, and the try's executions end
    plain = ask(tab, "console:open", {"flow": APPT})
    assert plain["ok"] and plain["published"] is False
    assert texts(ask(tab, "console:act", {"action": "send", "arg": "hi"}))


def test_a_typed_http_answer_holds_for_every_test_number(app):
    tab = socket(app)
    started(tab)
    answer = ask(tab, "console:mock", {"contact": "t1", "widget": "cancel_booking", "answer": {"status": 500, "body": ""}})
    assert answer["mocks"] == {"cancel_booking": {"status": 500, "body": ""}}
    trial_ = app.extensions["flowstudio.live"].trials
    (only,) = trial_.values()
    assert all(s.mocks == {"cancel_booking": {"status": 500, "body": ""}} for s in only.sessions.values())


def test_a_test_numbers_conversation_saves_as_a_flow_test_that_starts_the_same_way(app):
    tab = socket(app)
    started(tab)
    ask(tab, "console:act", {"contact": "t2", "action": "send", "arg": "yes"})
    saved = ask(tab, "console:save_test", {"contact": "t2", "name": "Bo confirms"})
    steps = saved["test"]["steps"]
    assert steps[0]["start"] == ROWS[1]["parameters"] and saved["test"]["contact"] == ROWS[1]["to"]
    assert steps[1]["send"] == "yes"
    assert saved["draft"] is False, "a try runs the published version: the test checks the live flow"
    results = run_file(Path(saved["path"]))
    mine = [r for r in results if r.name == "Bo confirms"]
    assert len(mine) == 1 and mine[0].passed, mine[0].failures


def test_results_do_not_count_console_runs_or_a_trys_conversations(app, clock):
    """Results (stats.py) are about the people a flow is for: the author's console runs
    and tries are never counted, summarised, listed behind a count or exported, whether
    active, finished and summarised in the background, or not summarised yet."""
    from datetime import timedelta

    from flowstudio.stats import executions_csv, executions_of, flow_stats, summarize, summarize_active

    tab = socket(app)
    started(tab)
    ask(tab, "console:act", {"contact": "t2", "action": "send", "arg": "yes"})   # t2's try ends, t1 waits
    store = runtime(app).service.store
    assert {r.status for r in store.executions(flow_id=APPT)} == {"active", "ended"}
    now = clock()
    lo, hi = now - timedelta(days=1), now + timedelta(days=1)

    def nothing_counted():
        counts = flow_stats(store, APPT, lo, hi)
        assert counts["executions"] == {"started": 0, "ended": 0, "failed": 0, "active": 0, "expired": 0}
        assert counts["transitions"] == [] and counts["widgets"] == []
        assert executions_of(store, APPT, lo, hi, widget="ask_confirmation") == []
        assert executions_csv(store, APPT, lo, hi).count("\n") == 1   # the header only

    nothing_counted()
    summarize(store)
    summarize_active(store)
    nothing_counted()
