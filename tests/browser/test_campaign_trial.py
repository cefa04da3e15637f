"""Send to a list, tried first with test numbers in the test console (issue 19), in
headless Chromium on a real `flowstudio serve` (conftest.py): a CSV uploaded, two test
numbers picked from its first rows (one edited), each one's first message seen with its
row's columns, a reply as one of them lighting the canvas up, and nothing sent: no
campaign recorded, every execution a console one."""
import os
import re

from playwright.sync_api import Page, expect

from .conftest import REPO
from .editor import node, open_flow

SHOTS = REPO / "docs" / "screenshots"
FROM = "+15555550100"
CURRENT = "rgb(245, 158, 11)"   # --run-current in console.css
CSV = (b"to,first_name,date,time\n+1 555 555 1001,Ana,May 2,9:00\n+15555551002,Bo,May 3,10:30\n"
       b"+15555551003,Cy,May 4,11:00\nnot-a-number,Nobody,May 5,12:00\n")


def shot(page: Page, name: str, tmp_path, docs: bool = True) -> None:
    """A screenshot to look at (in tmp_path); docs/screenshots/ (the README's) is
    refreshed only when asked (FLOWSTUDIO_SCREENSHOTS=1), so a test run never leaves the
    tree changed."""
    page.screenshot(path=str(tmp_path / f"{name}.png"))
    if docs and os.environ.get("FLOWSTUDIO_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"))


def phone_messages(page: Page):
    return page.get_by_test_id("transcript").locator(".bubble.flow")


def test_try_a_csv_with_two_test_numbers_reply_as_one_and_nothing_is_sent(page, server, tmp_path):
    flow_id = server.new_flow("trial", example="appointment-confirmation")
    open_flow(page, flow_id)
    page.get_by_role("button", name="Send to a list").click()
    page.locator('input[name="file"]').set_input_files({"name": "patients.csv", "mimeType": "text/csv", "buffer": CSV})
    page.locator('input[name="from"]').fill(FROM)
    page.get_by_role("button", name="Try with test numbers").click()

    picker = page.get_by_test_id("try-picker")
    expect(picker).to_contain_text("nothing is sent")
    expect(page.get_by_label("Test number 1", exact=True)).to_have_value("+15555551001")
    expect(page.get_by_label("Test number 2", exact=True)).to_have_value("+15555551002")
    expect(picker).to_contain_text("Row 2: first_name: Ana · date: May 2 · time: 9:00")
    page.get_by_label("Test number 2", exact=True).fill("+1 555 555 0199")   # my own phone, with Bo's row
    shot(page, "campaign-try-pick", tmp_path, docs=False)
    page.get_by_role("button", name="Try in the test console").click()

    expect(page.get_by_test_id("trial-bar")).to_contain_text("Trying “Send to a list”: nothing is sent.")
    expect(phone_messages(page)).to_have_text(["Hi Ana, this is Bright Smile Dental. Please confirm your appointment "
                                               "on May 2 at 9:00. Reply YES to confirm or NO to cancel."])
    expect(page.get_by_test_id("trial-you")).to_contain_text("You are +15555551001")
    expect(page.get_by_test_id("run-highlight")).to_have_attribute("data-current", "ask_confirmation")

    page.get_by_test_id("trial-contact-t2").click()
    expect(page.get_by_test_id("trial-contact-t2")).to_contain_text("+15555550199 (row 3)")
    expect(phone_messages(page)).to_have_text([re.compile(r"^Hi Bo, .* on May 3 at 10:30\.")])
    page.get_by_label("Your message").fill("yes")
    page.locator(".sms-area button[type=submit]").click()
    expect(phone_messages(page).nth(1)).to_have_text(
        "Thank you! Your appointment on May 3 at 10:30 is confirmed. Please arrive 10 minutes early. See you soon!")
    expect(page.get_by_test_id("console-status")).to_have_text("Ended")
    expect(page.get_by_test_id("trial-contact-t2")).to_contain_text("ended")
    expect(node(page, "confirmed_message").locator(".wnode")).to_have_css("box-shadow", re.compile(re.escape(CURRENT)))
    shot(page, "campaign-try", tmp_path)

    # Ana has not replied: her phone still waits, and the canvas shows where she is.
    page.get_by_test_id("trial-contact-t1").click()
    expect(phone_messages(page)).to_have_count(1)
    expect(page.get_by_test_id("console-status")).to_have_text("Waiting at ask_confirmation for a reply")
    expect(page.get_by_test_id("run-highlight")).to_have_attribute("data-current", "ask_confirmation")

    # Back to the list: everything as it was left, ready to preview and send for real.
    page.get_by_role("button", name="Back to Send to a list").click()
    expect(page.get_by_label("Test number 2", exact=True)).to_have_value("+1 555 555 0199")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_test_id("campaign-preview")).to_contain_text("3 contacts will get the flow")

    # Nothing was sent: no campaign, and every execution of the flow is a console one.
    assert server.api("GET", f"/api/flows/{flow_id}/campaigns").json()["campaigns"] == []
    executions = server.api("GET", f"/api/flows/{flow_id}/executions?limit=50").json()["executions"]
    assert sorted(e["contact"] for e in executions) == ["+15555550199", "+15555551001"]
    assert {e["source"] for e in executions} == {"console"}


def test_a_bad_test_number_is_named_and_unpublished_changes_are_not_in_the_try(page, server, tmp_path):
    flow_id = server.new_flow("trial-bad", example="appointment-confirmation")
    flow = server.api("GET", f"/api/flows/{flow_id}").json()
    doc = flow["document"]
    for w in doc["widgets"]:
        if w["name"] == "ask_confirmation":
            w["properties"]["body"] = "A draft question"
    r = server.api("PUT", f"/api/flows/{flow_id}/draft", json={"document": doc, "version": 0,
                                                               "base_revision": flow["published"]["id"]})
    assert r.status_code == 200, r.text
    open_flow(page, flow_id)
    page.get_by_role("button", name="Send to a list").click()
    page.locator('textarea[name="numbers"]').fill("+15555551001\n+15555551002")
    page.get_by_role("button", name="Try with test numbers").click()
    expect(page.get_by_test_id("try-picker")).to_contain_text("Row 2: no columns")
    page.get_by_label("Test number 2", exact=True).fill("call me")
    page.get_by_role("button", name="Try in the test console").click()
    expect(page.get_by_test_id("console-error")).to_contain_text("test number 2: to 'call me' is not a phone number")
    page.screenshot(path=str(tmp_path / "campaign-try-error.png"))

    expect(page.get_by_test_id("trial-bar")).to_contain_text("The try did not start; nothing was sent.")
    page.get_by_role("button", name="Back to Send to a list").click()
    page.get_by_label("Test number 2", exact=True).fill("+15555551002")
    page.get_by_role("button", name="Try in the test console").click()
    expect(page.get_by_test_id("trial-draft-note")).to_contain_text("Your unpublished changes are not in this try")
    expect(phone_messages(page)).to_have_text([re.compile(r"^Hi, this is Bright Smile Dental")])
