"""The test-run console in headless Chromium, on a real `flowstudio serve` (conftest.py):
the appointment and IVR examples played fully in the browser, the canvas highlight and
the context at each step, time passing, two tabs apart, the executions view with a real
webhook arriving live, and a conversation saved as a flow test that `flowstudio test` passes."""
import os
import re
import subprocess
from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import REPO
from .editor import node, open_flow

SHOTS = REPO / "docs" / "screenshots"
ASK = "Hi, this is Bright Smile Dental. Please confirm your appointment. Reply YES to confirm or NO to cancel."
CURRENT = "rgb(245, 158, 11)"   # --run-current in console.css


def start_console(page: Page, flow_id: str) -> None:
    open_flow(page, flow_id)
    page.get_by_test_id("test-button").click()
    expect(page.get_by_test_id("console-status")).to_have_text(re.compile("Ready"))


def text(page: Page, message: str) -> None:
    page.get_by_label("Your message").fill(message)
    page.locator(".sms-area button[type=submit]").click()


def flow_bubbles(page: Page):
    return page.get_by_test_id("transcript").locator(".bubble.flow")


def expect_current(page: Page, widget: str) -> None:
    """The canvas lights `widget` up as the current one (and only it)."""
    expect(page.get_by_test_id("run-highlight")).to_have_attribute("data-current", widget)
    expect(node(page, widget).locator(".wnode")).to_have_css("box-shadow", re.compile(re.escape(CURRENT)))


def shot(page: Page, name: str) -> None:
    """Refresh docs/screenshots/console-*.png only when asked (FLOWSTUDIO_SCREENSHOTS=1),
    so a test run never leaves the working tree changed."""
    if os.environ.get("FLOWSTUDIO_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"console-{name}.png"))


def test_appointment_reply_yes_else_and_timeout_then_saved_as_a_flow_test(page, server):
    flow = server.new_flow("console-appt", "appointment-confirmation")
    start_console(page, flow)
    text(page, "hi")
    expect(flow_bubbles(page)).to_have_text([ASK])
    expect_current(page, "ask_confirmation")
    expect(page.get_by_test_id("console-status")).to_have_text("Waiting at ask_confirmation for a reply")

    text(page, "what time is it?")
    expect(flow_bubbles(page)).to_have_count(3)
    expect(flow_bubbles(page).nth(1)).to_have_text("Sorry, we didn't understand your reply.")
    expect_current(page, "ask_confirmation")
    expect(page.get_by_test_id("run-highlight")).to_have_attribute("data-visited", re.compile(r"\bnot_understood\b"))

    page.get_by_test_id("skip-timeout").click()
    expect(page.get_by_test_id("transcript").locator(".line-time")).to_have_text("1 hour passed")
    expect(flow_bubbles(page).last).to_have_text(re.compile("^Reminder from Bright Smile Dental"))
    expect_current(page, "send_reminder")
    shot(page, "sms-mid-conversation")

    text(page, "Yes")
    expect(flow_bubbles(page).last).to_have_text(re.compile("^Thank you! Your appointment is confirmed"))
    expect(page.get_by_test_id("console-status")).to_have_text("Ended")

    # The step log, and the context at the step where the reply came in.
    page.locator(".console-tabs button", has_text="Steps").click()
    log = page.get_by_test_id("step-log")
    expect(log.locator('[data-kind="step"]').first).to_contain_text("Trigger")
    reply = log.locator('[data-kind="step"][data-widget="send_reminder"]').first
    reply.locator("button").click()
    context = page.get_by_test_id("context-view")
    expect(context).to_contain_text('Body: "Yes"')
    expect(context).to_contain_text("flow")
    expect_current(page, "save_reminder_reply")
    shot(page, "step-log-context")

    page.get_by_role("button", name="Save as flow test").click()
    page.get_by_label("Test name").fill("reminded once, then confirms")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_test_id("saved-test")).to_contain_text(f"{flow}.test.yaml")
    test_file = server.flows / f"{flow}.test.yaml"
    assert "reminded once, then confirms" in test_file.read_text()
    run = subprocess.run([str(REPO / ".venv" / "bin" / "flowstudio"), "test", str(test_file)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


def test_appointment_no_reply_at_all_ends_after_two_timeouts(page, server):
    flow = server.new_flow("console-timeout", "appointment-confirmation")
    start_console(page, flow)
    text(page, "hello")
    expect(flow_bubbles(page)).to_have_text([ASK])
    page.get_by_test_id("skip-timeout").click()
    expect_current(page, "send_reminder")
    page.get_by_test_id("skip-timeout").click()
    expect(flow_bubbles(page).last).to_have_text(re.compile("^We haven't heard back from you"))
    expect(page.get_by_test_id("console-status")).to_have_text("Ended")
    expect(page.get_by_test_id("skip-timeout")).to_have_count(0)


def test_ivr_keys_speech_and_silence(page, server):
    flow = server.new_flow("console-ivr", "ivr-menu")
    start_console(page, flow)
    page.get_by_role("button", name="Call", exact=True).click()
    says = page.get_by_test_id("transcript").locator('[data-kind="say"]')
    expect(says.first).to_contain_text("Thanks for calling Acme Home Services")
    expect(page.get_by_test_id("transcript").locator('[data-kind="gather"]')).to_have_count(1)
    expect_current(page, "main_menu")

    page.get_by_label("key 7").click()   # the menu takes one key: it goes at once, as on a phone
    expect(says).to_have_count(3)
    expect(says.nth(1)).to_have_text(re.compile("Sorry, I didn't catch that"))
    expect_current(page, "main_menu")

    page.get_by_role("button", name="Stay silent").click()
    expect(says).to_have_count(4)
    expect_current(page, "main_menu")

    page.get_by_label("What you say").fill("I need support please")
    page.locator(".call-controls button[type=submit]", has_text="Say").click()
    expect(says.last).to_contain_text("Please hold while we connect you to customer support")
    expect_current(page, "connect_support")
    shot(page, "call-mid-conversation")

    page.get_by_role("button", name="No answer").click()
    expect(says.last).to_contain_text("Sorry, we can't take your call right now")
    expect_current(page, "record_voicemail")
    page.get_by_role("button", name="Say nothing").click()
    expect(says.last).to_contain_text("We didn't hear a message")
    expect(page.get_by_test_id("console-status")).to_have_text("Ended")

    page.locator(".console-tabs button", has_text="Steps").click()
    row = page.get_by_test_id("step-log").locator('[data-kind="step"][data-widget="main_menu"]').last
    row.locator("button").click()
    expect(page.get_by_test_id("context-view")).to_contain_text('SpeechResult: "I need support please"')


def test_two_tabs_on_one_flow_have_their_own_console(page, server):
    flow = server.new_flow("console-tabs", "appointment-confirmation")
    other = page.context.new_page()
    start_console(page, flow)
    start_console(other, flow)
    text(page, "hi")
    text(other, "hi")
    expect(flow_bubbles(page)).to_have_count(1)
    expect(flow_bubbles(other)).to_have_count(1)
    text(page, "yes")
    expect(page.get_by_test_id("console-status")).to_have_text("Ended")
    expect(other.get_by_test_id("console-status")).to_have_text("Waiting at ask_confirmation for a reply")
    expect(flow_bubbles(other)).to_have_count(1)
    expect_current(other, "ask_confirmation")


def test_executions_view_live_replay_and_end(page, server):
    flow = server.new_flow("console-exec", "appointment-confirmation")
    start_console(page, flow)
    text(page, "hi")
    expect(flow_bubbles(page)).to_have_count(1)
    page.locator(".console-tabs button", has_text="Executions").click()
    runs = page.get_by_test_id("executions").locator(".exec")
    expect(runs).to_have_count(1)
    expect(runs.first).to_have_attribute("data-source", "console")

    # A real phone texts the flow (unsigned webhooks are accepted on loopback): it shows up live.
    r = server.api("POST", f"/webhooks/{flow}", data={"MessageSid": "SM" + "9" * 32, "From": "+15555550177",
                                                       "To": "+15555550100", "Body": "hi"})
    assert r.status_code == 200, r.text
    expect(runs).to_have_count(2)
    phone = page.get_by_test_id("executions").locator('.exec[data-source="phone"]')
    expect(phone).to_contain_text("+15555550177")
    expect(phone).to_contain_text("waiting at ask_confirmation")

    phone.get_by_role("button", name="Replay").click()
    expect(page.get_by_test_id("replay-position")).to_have_text("Step 1 of 1")
    expect_current(page, "ask_confirmation")
    expect(page.get_by_test_id("replay")).to_contain_text('From: "+15555550177"')
    shot(page, "executions-replay")

    phone.get_by_role("button", name="End").click()
    expect(phone).to_have_attribute("data-status", "ended")


ORDER = """\
spec_version: 1
name: {name}
widgets:
  - name: Trigger
    type: trigger
    transitions: {{incomingMessage: make_order}}
  - name: make_order
    type: make-http-request
    properties: {{method: POST, url: "http://127.0.0.1:9/orders", content_type: "application/json;charset=utf-8", body: "{{}}"}}
    transitions: {{success: thanks, failed: null}}
  - name: thanks
    type: send-message
    properties: {{body: "Order placed"}}
ui:
  Trigger: {{x: 0, y: 0}}
  make_order: {{x: 0, y: 250}}
  thanks: {{x: 0, y: 500}}
"""


def test_a_failed_http_widget_is_visible_on_the_phone_the_canvas_the_steps_and_the_executions(page, server, tmp_path):
    """Issue 16, item 8: the phone names the failure, the canvas marks the widget red,
    the Steps badge sits inside its tab, the Executions list gives the reason."""
    flow = f"order-{os.getpid()}-{len(list(server.flows.iterdir()))}"
    (server.flows / f"{flow}.yaml").write_text(ORDER.format(name=flow))
    start_console(page, flow)
    text(page, "pizza")
    note = page.get_by_test_id("transcript").locator("[data-kind=note]").last
    expect(note).to_contain_text("The conversation ended: 'make_order' failed", timeout=15000)
    expect(page.get_by_test_id("run-highlight")).to_have_attribute("data-failed", "make_order")
    expect(node(page, "make_order").locator(".wnode")).to_have_css("box-shadow", re.compile(r"rgb\(214, 31, 31\)"))
    tab = page.locator(".console-tabs button", has_text="Steps")
    badge = tab.locator(".badge-error")
    expect(badge).to_be_visible()
    t, b = tab.bounding_box(), badge.bounding_box()
    assert t["x"] <= b["x"] and b["x"] + b["width"] <= t["x"] + t["width"] + 1, (t, b)
    assert t["y"] <= b["y"] and b["y"] + b["height"] <= t["y"] + t["height"] + 1, (t, b)
    page.screenshot(path=str(tmp_path / "failed-http.png"))
    page.locator(".console-tabs button", has_text="Executions").click()
    run = page.get_by_test_id("executions").locator(".exec").first
    expect(run).to_contain_text("'make_order' failed")
    expect(run).not_to_contain_text("the flow reached an end")
