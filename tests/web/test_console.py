"""The test-run console over socket.io (web/live.py, console.py), with Flask-SocketIO's
test client: the same store and engine as webhooks, the draft, per-tab isolation, time
that passes only when asked, mocked HTTP, access rules, the live view, flow tests."""
import json
import os
import shutil
import time
import uuid

import pytest
import yaml

from flowstudio.adapters import schema as t
from flowstudio.flowtests import run_file
from flowstudio.web.app import create_app, runtime

from .conftest import REPO

APPT = "appointment-confirmation"
ASK = "Hi, this is Bright Smile Dental. Please confirm your appointment. Reply YES to confirm or NO to cancel."
CONFIRMED = "Thank you! Your appointment is confirmed. Please arrive 10 minutes early. See you soon!"


def socket(app, **kw):
    return app.extensions["flowstudio.live"].socketio.test_client(app, **kw)


def ask(client, event, data=None):
    """Emit an event and return its acknowledgement."""
    return client.emit(event, data or {}, callback=True)


def console(app, flow=APPT, **kw):
    client = socket(app)
    assert ask(client, "console:open", {"flow": flow, **kw})["ok"]
    return client


def act(client, action, arg=None):
    answer = ask(client, "console:act", {"action": action, "arg": arg})
    assert "error" not in answer, answer
    return answer


def texts(answer, kind="message"):
    return [i.get("body", i.get("text")) for i in answer["transcript"] if i["kind"] == kind]


def test_reply_yes_confirms_and_every_step_carries_its_context(app):
    tab = console(app)
    first = act(tab, "send", "hi")
    assert texts(first) == [ASK]
    assert first["status"] == "active" and first["state"]["waiting"]["widget"] == "ask_confirmation"
    assert [(s["from"], s["event"], s["to"]) for s in first["steps"]] == [("Trigger", "incomingMessage",
                                                                          "ask_confirmation")]
    assert first["steps"][0]["context"]["trigger"]["message"]["Body"] == "hi"
    done = act(tab, "send", "yes")
    assert texts(done) == [CONFIRMED] and done["status"] == "ended"
    assert done["steps"][-1]["context"]["flow"]["variables"]["reply"] == "yes"
    row = runtime(app).service.store.execution(done["execution_id"])
    assert row.status == "ended" and row.session_key.startswith("console:")


def test_time_passes_only_when_asked_and_only_for_this_console(app, clock):
    tab = console(app)
    act(tab, "send", "hi")
    service = runtime(app).service
    clock.advance(3 * 3600)   # the real clock moves on: the webhooks' scheduler leaves console timers alone
    assert service.fire_due() == []
    reminder = act(tab, "wait")
    assert reminder["arg"] == 3600 and texts(reminder)[0].startswith("Reminder from Bright Smile Dental")
    notice = act(tab, "wait", 120)
    assert notice["transcript"] == [] and notice["status"] == "active"
    notice = act(tab, "wait")
    assert texts(notice)[0].startswith("We haven't heard back") and notice["status"] == "ended"
    assert ask(tab, "console:act", {"action": "wait"})["error"].startswith("nothing is waiting")


def test_letting_hours_pass_fires_every_timer_in_order_each_at_its_own_time(app):
    """Issue 16, item 3: 3 h after "hi", the reminder went out at 1 h and the no-reply
    notice 1 h after the reminder; the flow has ended."""
    tab = console(app)
    first = act(tab, "send", "hi")
    start = first["state"]["now"]
    later = act(tab, "wait", "10800")
    said = texts(later)
    assert len(said) == 2 and said[0].startswith("Reminder from Bright Smile Dental"), said
    assert said[1].startswith("We haven't heard back") and later["status"] == "ended"
    from datetime import datetime
    times = [datetime.fromisoformat(s["at"]) for s in later["steps"] if s["event"] == "timeout"]
    t0 = datetime.fromisoformat(start)
    assert [(t - t0).total_seconds() for t in times] == [3600, 7200]
    assert (datetime.fromisoformat(later["state"]["now"]) - t0).total_seconds() == 10800


def test_the_ivr_by_keys_speech_and_silence(app):
    tab = console(app, "ivr-menu")
    call = act(tab, "call")
    assert texts(call, "say")[0].startswith("Thanks for calling Acme Home Services")
    assert [i["kind"] for i in call["transcript"]][-1] == "gather"
    assert call["state"]["in_call"] and call["state"]["waiting"]["kind"] == "call"
    wrong = act(tab, "press", "7")
    assert texts(wrong, "say")[-1].startswith("Thanks for calling")   # the menu again
    support = act(tab, "speak", "I need support please")
    assert support["state"]["waiting"]["widget"] != "main_menu"
    act(tab, "hang_up")
    assert act(tab, "call")["state"]["waiting"]["widget"] == "main_menu"
    silent = act(tab, "no_input")
    assert silent["steps"][0]["event"] == "timeout"


def test_two_tabs_with_the_same_number_never_meet(app):
    one, two = console(app), console(app)
    a, b = act(one, "send", "hi"), act(two, "send", "hi")
    assert a["execution_id"] != b["execution_id"]
    assert act(two, "send", "yes")["status"] == "ended"
    assert act(one, "send", "what?")["state"]["waiting"]["widget"] == "ask_confirmation"
    assert [e for e in one.get_received() if e["name"] != "run:turn"] == []


def test_a_phone_with_the_same_number_does_not_meet_the_console(app, phone):
    tab = console(app)
    act(tab, "send", "hi")
    r = phone.post(f"/webhooks/{APPT}", {"MessageSid": "SM" + "1" * 32, "From": "+15555550142",
                                         "To": "+15555550100", "Body": "yes"})
    assert "Hi, this is Bright Smile Dental" in r.get_data(as_text=True)   # a new execution for the phone
    assert act(tab, "send", "yes")["status"] == "ended"


def test_the_console_runs_the_draft_and_publishes_nothing(app, phone):
    client = app.test_client()
    flow = client.get(f"/api/flows/{APPT}").json
    doc = flow["document"]
    doc["widgets"] = [dict(w) for w in doc["widgets"]]
    for w in doc["widgets"]:
        if w["name"] == "confirmed_message":
            w["properties"] = {**w["properties"], "body": "Draft says: confirmed."}
    r = client.put(f"/api/flows/{APPT}/draft", json={"document": doc, "version": 0,
                                                     "base_revision": flow["published"]["id"]})
    assert r.status_code == 200, r.json
    store = runtime(app).service.store
    with store.engine.connect() as conn:
        revisions = conn.execute(t.revisions.select()).all()
    tab = console(app)
    act(tab, "send", "hi")
    done = act(tab, "send", "yes")
    assert texts(done) == ["Draft says: confirmed."]
    row = store.execution(done["execution_id"])
    assert row.revision_id.startswith(f"{APPT}~") and len(row.revision_id) == len(APPT) + 13
    with store.engine.connect() as conn:
        assert conn.execute(t.revisions.select()).all() == revisions, "a test run never publishes"
    phone.post(f"/webhooks/{APPT}", {"MessageSid": "SM" + "2" * 32, "From": "+15555550199",
                                     "To": "+15555550100", "Body": "hi"})
    r = phone.post(f"/webhooks/{APPT}", {"MessageSid": "SM" + "3" * 32, "From": "+15555550199",
                                         "To": "+15555550100", "Body": "yes"})
    assert CONFIRMED in r.get_data(as_text=True), "phones still get the published version"


def test_a_draft_with_errors_is_refused_in_plain_words(app):
    client = app.test_client()
    flow = client.get(f"/api/flows/{APPT}").json
    doc = flow["document"]
    doc["widgets"] = [dict(w) for w in doc["widgets"]]
    doc["widgets"][0] = {**doc["widgets"][0], "transitions": {"incomingMessage": "nowhere"}}
    client.put(f"/api/flows/{APPT}/draft", json={"document": doc, "version": 0,
                                                 "base_revision": flow["published"]["id"]})
    tab = console(app)
    answer = ask(tab, "console:act", {"action": "send", "arg": "hi"})
    assert answer["error"].startswith("the flow has problems to fix before it can run")


def test_http_widgets_get_the_typed_answer(app):
    tab = console(app)
    assert ask(tab, "console:mock", {"widget": "cancel_appointment",
                                     "answer": {"status": "500", "body": "down"}})["mocks"] == {
        "cancel_appointment": {"status": 500, "body": "down"}}
    act(tab, "send", "hi")
    answer = act(tab, "send", "no")
    assert texts(answer)[0].startswith("Thanks for letting us know. We couldn't update our calendar")
    assert any(e["type"] == "error" or "failed" in str(e) for e in answer["log"])


@pytest.mark.parametrize("status", [10**30, 99, 600, -1, "1e999", 1e308])
def test_a_typed_status_no_http_answer_carries_is_refused(app, status):
    tab = console(app)
    answer = ask(tab, "console:mock", {"widget": "cancel_appointment", "answer": {"status": status, "body": "x"}})
    assert "status code must be" in answer.get("error", ""), answer


@pytest.mark.parametrize("body", ["[" * 5000 + "]" * 5000, '{"a": ' + "[" * 5000 + "]" * 5000 + "}"],
                         ids=["list", "object"])
def test_a_typed_body_nested_thousands_deep_is_kept_as_text(app, body):
    tab = console(app)
    answer = ask(tab, "console:mock", {"widget": "cancel_appointment", "answer": {"status": 200, "body": body}})
    assert answer["mocks"]["cancel_appointment"]["body"] == body, answer


def test_an_answer_typed_after_the_console_opened_is_used_and_saved_as_used(app):
    """Issue 16, item 2: "Use this answer" once the panel is open (the session exists)
    answers the widget, before and after Start over; the saved test replays it."""
    tab = console(app)
    act(tab, "send", "hi")   # the session has started before the answer is typed
    ask(tab, "console:mock", {"widget": "cancel_appointment", "answer": {"status": 200, "body": '{"cancelled": true}'}})
    answer = act(tab, "send", "no")
    assert texts(answer) == ["Your appointment has been cancelled. To book a new time, call us at (555) 555-0100 or "
                             "visit example.com/book."], answer["log"]
    ask(tab, "console:restart")
    act(tab, "send", "hi")
    assert texts(act(tab, "send", "no"))[0].startswith("Your appointment has been cancelled")
    saved = ask(tab, "console:save_test", {"name": "cancelled with a mocked answer"})
    assert saved["test"]["http"] == {"cancel_appointment": {"status": 200, "body": {"cancelled": True}}}
    path = runtime(app).service.flows.directory / saved["file"]
    results = {r.name: r for r in run_file(path)}
    assert results["cancelled with a mocked answer"].passed, results["cancelled with a mocked answer"].failures


def test_a_saved_test_has_only_the_answers_the_conversation_used(app):
    tab = console(app)
    act(tab, "send", "hi")
    act(tab, "send", "no")    # the real address (here: the app's unmocked HTTP, which fails)
    ask(tab, "console:mock", {"widget": "cancel_appointment", "answer": {"status": 200, "body": "{}"}})
    saved = ask(tab, "console:save_test", {"name": "failed for real"})
    assert "http" not in saved["test"]


def test_mistakes_are_answered_in_words(app):
    tab = console(app)
    assert ask(tab, "console:act", {"action": "press", "arg": "1"})["error"] == \
        "you cannot press keys now: nothing is running"
    act(tab, "send", "hi")
    assert ask(tab, "console:act", {"action": "press", "arg": "1"})["error"] == \
        "you cannot press keys now: the flow waits for a text message"
    assert ask(socket(app), "console:act", {"action": "send", "arg": "x"})["error"] == "open the console first"
    assert ask(tab, "console:open", {"flow": "nope"})["error"] == "there is no flow 'nope'"


def test_start_over_ends_the_execution_and_closing_the_tab_too(app):
    tab = console(app)
    first = act(tab, "send", "hi")["execution_id"]
    state = ask(tab, "console:restart", {"contact": "+15555550111"})
    assert state["contact"] == "+15555550111" and state["status"] == "idle"
    store = runtime(app).service.store
    assert store.execution(first).status == "ended"
    second = act(tab, "send", "hi")["execution_id"]
    assert store.execution(second).contact == "+15555550111"
    tab.disconnect()
    assert store.execution(second).status == "ended"


def test_watchers_see_phone_and_console_turns_live(app, phone):
    watcher = socket(app)
    assert ask(watcher, "watch", {"flow": APPT})["ok"]
    other = socket(app)
    ask(other, "watch", {"flow": "ivr-menu"})
    phone.post(f"/webhooks/{APPT}", {"MessageSid": "SM" + "4" * 32, "From": "+15555550123",
                                     "To": "+15555550100", "Body": "hi"})
    act(console(app), "send", "hi")
    got = [e["args"][0] for e in watcher.get_received() if e["name"] == "run:turn"]
    assert [(g["source"], g["steps"][0]["to"]) for g in got] == [("phone", "ask_confirmation"),
                                                                ("console", "ask_confirmation")]
    assert "context" not in got[0]["steps"][0]
    assert other.get_received() == []
    listed = app.test_client().get(f"/api/flows/{APPT}/executions").json["executions"]
    assert sorted(e["source"] for e in listed) == ["console", "phone"]


def test_save_as_flow_test_writes_a_test_that_passes(app):
    tab = console(app)
    act(tab, "send", "hi")
    act(tab, "send", "what?")
    act(tab, "wait")
    act(tab, "send", "yes")
    saved = ask(tab, "console:save_test", {"name": "reminded, then confirms"})
    assert saved["ok"] and saved["file"] == f"{APPT}.test.yaml"
    assert [next(iter(s)) for s in saved["test"]["steps"]] == ["send", "send", "wait", "send"]
    results = run_file(__import__("pathlib").Path(saved["path"]))
    mine = [r for r in results if r.name == "reminded, then confirms"]
    assert mine and mine[0].passed, mine[0].failures
    assert all(r.passed for r in results), "the tests already there still pass"


HOSTILE_TESTS = {"syntax": "tests:\n  - name: x\n    steps: [\n", "a list": "- a\n- b\n",
                 "tests not a list": "tests: {a: 1}\n", "not UTF-8": b"tests: [\xff]\n",
                 "too deep": "tests: " + "[" * 5000 + "]" * 5000 + "\n",
                 "huge number": "tests:\n  - name: " + "9" * 5000 + "\n"}


@pytest.mark.parametrize("text", HOSTILE_TESTS.values(), ids=HOSTILE_TESTS.keys())
def test_saving_into_a_test_file_that_cannot_be_read_says_so_and_leaves_it(app, text):
    path = runtime(app).service.flows.directory / f"{APPT}.test.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    tab = console(app)
    act(tab, "send", "hi")
    answer = ask(tab, "console:save_test", {"name": "kept out"})
    assert answer.get("error", "").startswith(f"{APPT}.test.yaml"), answer
    assert path.read_bytes() == (text if isinstance(text, bytes) else text.encode())


def test_saving_a_test_keeps_the_files_other_keys_and_oddly_named_tests(app):
    path = runtime(app).service.flows.directory / f"{APPT}.test.yaml"
    path.write_text("flow: appointment-confirmation\ntests:\n  - name: [a, list]\n    steps: []\n")
    tab = console(app)
    act(tab, "send", "hi")
    assert ask(tab, "console:save_test", {"name": "added"})["ok"]
    saved = yaml.safe_load(path.read_text())
    assert saved["flow"] == APPT and [t["name"] for t in saved["tests"]] == [["a", "list"], "added"]


def test_a_call_saved_as_flow_test_passes(app):
    tab = console(app, "ivr-menu")
    act(tab, "call")
    act(tab, "press", "7")
    act(tab, "no_input")
    saved = ask(tab, "console:save_test", {"name": "console call"})
    result = [r for r in run_file(__import__("pathlib").Path(saved["path"])) if r.name == "console call"][0]
    assert result.passed, result.failures


# ---------------------------------------------------------------- access


@pytest.fixture
def guarded(tmp_path):
    flows = tmp_path / "flows"
    shutil.copytree(REPO / "flows", flows)
    app = create_app({"FLOWS_DIR": str(flows), "DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": None,
                      "SCHEDULER": False, "LISTEN_HOST": "0.0.0.0", "PASSWORD": "sesame", "API_TOKEN": "tok-123",
                      "TWILIO_AUTH_TOKEN": "x"})
    yield app
    runtime(app).service.store.close()


def test_off_loopback_a_socket_needs_the_login(guarded):
    assert not socket(guarded).is_connected()
    http = guarded.test_client()
    assert http.post("/api/login", json={"password": "sesame"}).status_code == 200
    logged_in = socket(guarded, flask_test_client=http)
    assert logged_in.is_connected()
    assert ask(logged_in, "console:open", {"flow": APPT})["ok"]
    assert socket(guarded, auth={"token": "tok-123"}).is_connected()
    assert not socket(guarded, auth={"token": "wrong"}).is_connected()


def test_a_socket_whose_login_ended_is_refused_and_leaves_its_flow_room(guarded):
    """Logging out ends the session everywhere (auth.py): an open tab's socket too,
    at its next event, rather than watching and running flows until it reconnects."""
    http = guarded.test_client()
    csrf = http.post("/api/login", json={"password": "sesame"}).json["csrf"]
    tab = socket(guarded, flask_test_client=http)
    assert ask(tab, "watch", {"flow": APPT})["ok"] and ask(tab, "console:open", {"flow": APPT})["ok"]
    assert http.post("/api/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    answer = ask(tab, "console:act", {"action": "send", "arg": "hi"})
    assert "log in" in answer.get("error", ""), answer
    assert not tab.is_connected()
    rooms = guarded.extensions["flowstudio.live"].socketio.server.manager.rooms.get("/", {})
    assert not rooms.get(f"flow:{APPT}")
    assert socket(guarded, auth={"token": "tok-123"}).is_connected()   # a token's socket has no session to end


def test_a_page_of_another_site_cannot_connect(app):
    assert not socket(app, headers={"Origin": "https://evil.example"}).is_connected()
    assert socket(app, headers={"Origin": "http://localhost"}).is_connected()


# ---------------------------------------------------------------- several processes


def test_with_redis_a_turn_is_published_for_the_other_processes(tmp_path):
    """With FLOWSTUDIO_REDIS_URL, a webhook handled by this process publishes its live event
    on Redis, where every other process's socket.io server picks it up. (Flask-SocketIO's
    test client refuses a message queue, so this listens on Redis directly.)"""
    url = os.environ.get("FLOWSTUDIO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        import redis
        r = redis.Redis.from_url(url, socket_connect_timeout=1)
        r.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means no Redis here
        pytest.skip(f"no Redis at {url}: {exc}")
    flows = tmp_path / "flows"
    shutil.copytree(REPO / "flows", flows)
    channel = f"flowstudio-test-{uuid.uuid4().hex[:8]}"   # not the channel of a server running here
    app = create_app({"FLOWS_DIR": str(flows), "DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": None,
                      "SCHEDULER": False, "LISTEN_HOST": "127.0.0.1", "REDIS_URL": url, "REDIS_CHANNEL": channel})
    manager = app.extensions["flowstudio.live"].socketio.server.manager
    assert manager.channel == channel
    sub = r.pubsub()
    sub.subscribe(manager.channel)
    sub.get_message(timeout=1)   # the subscription's confirmation
    try:
        app.test_client().post(f"/webhooks/{APPT}", data={"MessageSid": "SM" + "5" * 32, "From": "+15555550177",
                                                           "To": "+15555550100", "Body": "hi"})
        message = None
        deadline = time.monotonic() + 5
        while message is None and time.monotonic() < deadline:
            message = sub.get_message(timeout=0.5)
        assert message is not None and b"run:turn" in message["data"] and b"flow:" + APPT.encode() in message["data"]
    finally:
        sub.close()
        runtime(app).service.store.close()


def test_a_socket_packet_with_a_nul_or_deep_nesting_never_reaches_the_console(app):
    """The console's packets are read like the API's bodies: a NUL (which SQLite would
    store and PostgreSQL refuse) or nesting past the limit makes the packet a bad one,
    dropped by python-socketio before any handler runs."""
    tab = console(app)
    with pytest.raises(ValueError, match="NUL"):
        tab.emit("console:act", {"action": "send", "arg": "hi\x00"}, callback=True)
    with pytest.raises(ValueError, match="nests too deeply"):
        tab.emit("console:act", {"action": "send", "arg": json.loads("[" * 90 + "]" * 90)}, callback=True)
    assert texts(act(tab, "send", "hi")) == [ASK]   # the tab still works
    rows = runtime(app).service.store.executions(flow_id=APPT)
    assert all("\x00" not in str(r.state) for r in rows)


ORDER = """\
spec_version: 1
name: order
widgets:
  - name: Trigger
    type: trigger
    transitions: {incomingMessage: make_order}
  - name: make_order
    type: make-http-request
    properties: {method: POST, url: "https://httpbin.org/post", content_type: "application/json;charset=utf-8", body: "{}"}
    transitions: {success: thanks, failed: null}
  - name: thanks
    type: send-message
    properties: {body: "Order placed"}
"""


def test_an_http_failure_that_ends_the_flow_says_so_everywhere(app):
    """Issue 16, item 8: the end reason names the widget and the error (the phone, the
    Executions list), and the trace marks the widget as failed (the canvas)."""
    (runtime(app).service.flows.directory / "order.yaml").write_text(ORDER)
    tab = console(app, "order")
    report = act(tab, "send", "pizza")
    assert report["status"] == "ended"
    assert report["ended_reason"].startswith("'make_order' failed (no mocked answer for 'make_order'")
    assert 'its "Fail" output is not connected' in report["ended_reason"]
    assert [e["widget"] for e in report["log"] if e["type"] == "error"] == ["make_order"]
    [listed] = app.test_client().get("/api/flows/order/executions").json["executions"]
    assert listed["ended_reason"] == report["ended_reason"]


def test_a_saved_test_never_writes_status_idle(app):
    """Issue 16, item 15: a wait that fires nothing used to be saved as `status: idle`,
    which the test format does not know; the execution is still active."""
    tab = console(app)
    act(tab, "send", "hi")
    act(tab, "wait", 120)
    saved = ask(tab, "console:save_test", {"name": "waits a little"})
    assert [s.get("status") for s in saved["test"]["steps"]] == ["active", "active"]
    path = runtime(app).service.flows.directory / saved["file"]
    assert {r.name: r.passed for r in run_file(path)}["waits a little"]


def test_a_problem_that_stops_a_test_run_names_the_field(app):
    """Found trying it as a new user: "make_order: must be one of: ..." did not say of what."""
    (runtime(app).service.flows.directory / "order.yaml").write_text(
        ORDER.replace('"application/json;charset=utf-8"', "text/plain"))
    tab = console(app, "order")
    answer = ask(tab, "console:act", {"action": "send", "arg": "pizza"})
    assert answer["error"].startswith("the flow has problems to fix before it can run: make_order, Content type: "
                                      "must be one of"), answer
