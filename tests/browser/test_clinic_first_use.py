"""A clinic's office manager, new to Studio, sends appointment reminders to a list and
reads the results, in headless Chromium on a real `flowstudio serve` (conftest.py), in
the small windows such a person has (1280x800, 1024x768): every button of the form on
screen, errors in plain words next to what caused them, the replay of a result with
room for the canvas."""
import csv
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from .editor import open_flow

FROM = "+15555550100"
# As people type them: with spaces, dashes, brackets; some without the country code.
PATIENTS = b"""to,first_name,appointment
+1 (555) 555-0142,Maria,Tue 9 Dec 10:30am
(555) 555-0143,James,Tue 9 Dec 11:00am
+1 555 555 0144,Linda,Wed 10 Dec 2:15pm
,Michael,Thu 11 Dec 9:30am
call mom,David,Fri 12 Dec 4:00pm
"""


def window(page: Page, width: int, height: int) -> None:
    page.set_viewport_size({"width": width, "height": height})


def inside(inner: dict, outer: dict) -> bool:
    return (inner["x"] >= outer["x"] - 0.5 and inner["y"] >= outer["y"] - 0.5
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5)


def upload(page: Page, flow_id: str) -> None:
    open_flow(page, flow_id)
    page.get_by_role("button", name="Send to a list").click()
    page.locator('input[name="file"]').set_input_files(
        {"name": "patients.csv", "mimeType": "text/csv", "buffer": PATIENTS})


def paste(page: Page, server, numbers: list[str]) -> None:
    """A new clinic flow open, its Send to a list panel with these numbers pasted and
    the sending number filled in."""
    open_flow(page, server.new_flow("clinic", example="appointment-confirmation"))
    page.get_by_role("button", name="Send to a list").click()
    page.locator('textarea[name="numbers"]').fill("\n".join(numbers))
    page.locator('input[name="from"]').fill(FROM)


def test_every_button_and_field_of_the_preview_fits_the_panel(page, server):
    flow_id = server.new_flow("clinic", example="appointment-confirmation")
    window(page, 1280, 800)
    upload(page, flow_id)
    page.locator('input[name="from"]').fill(FROM)
    page.locator('input[name="start_at"]').fill("2026-12-04T09:00")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_test_id("campaign-preview")
    expect(preview).to_contain_text("2 contacts will get the flow")
    panel = page.locator("section.send-to-list").bounding_box()
    for name in ("Change", "Send to 2 contacts", "Try with test numbers"):
        button = page.get_by_role("button", name=name)
        button.scroll_into_view_if_needed()
        assert inside(button.bounding_box(), panel), f"{name!r} sticks out of the panel"
    # The start time is read whole (its box is as wide as the panel, not half of it).
    start = page.locator('input[name="start_at"]').bounding_box()
    assert start["width"] >= panel["width"] * 0.6, start
    # The preview comes into view: clicking Preview at the bottom of the form shows it.
    page.locator("section.send-to-list .scroll").evaluate("el => el.scrollTop = 0")
    page.get_by_role("button", name="Change").click()
    page.get_by_role("button", name="Preview").click()
    expect(preview).to_be_in_viewport(ratio=0.95)
    expect(page.get_by_role("button", name="Send to 2 contacts")).to_be_in_viewport()


def test_errors_name_the_field_in_plain_words_next_to_it(page, server):
    flow_id = server.new_flow("clinic", example="appointment-confirmation")
    window(page, 1024, 768)
    upload(page, flow_id)
    # The messages for numbers without + when no country is picked (the browser's, en-US
    # here, is picked first; test_send_country.py reads the numbers as US ones).
    page.get_by_label("Numbers without + are in").select_option("")
    sender = page.locator('input[name="from"]')
    sender.fill("(555) 555-0100")
    page.get_by_role("button", name="Preview").click()
    mistake = page.locator("#send-from-error")
    expect(mistake).to_be_visible()
    expect(sender).to_have_attribute("aria-invalid", "true")
    expect(sender).to_have_attribute("aria-describedby", "send-from-error")
    text = mistake.inner_text()
    assert "E.164" not in text and not text.startswith("from "), text
    assert "country code" in text and "+1" in text, text
    # Right under the box, not at the bottom of the form.
    box, said = sender.bounding_box(), mistake.bounding_box()
    assert 0 <= said["y"] - (box["y"] + box["height"]) < 40, (box, said)
    sender.fill(FROM)
    expect(mistake).to_have_count(0)
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_test_id("campaign-preview")
    expect(preview).to_contain_text("Row 3: '(555) 555-0143' needs + and the country code in front (+1 for the US")
    expect(preview).to_contain_text("Row 6: 'call mom' is not a phone number")
    expect(preview).to_contain_text("Row 5: the phone number is empty")
    assert "E.164" not in preview.inner_text()


def test_the_intro_speaks_without_programming_words(page, server):
    flow_id = server.new_flow("clinic", example="appointment-confirmation")
    upload(page, flow_id)
    text = page.locator("section.send-to-list").inner_text()
    for word in ("REST API", "flow.data", "long-code", "short code"):
        assert word not in text, f"{word!r} in: {text}"


def test_a_finished_send_stays_on_screen_until_another_list(page, server):
    paste(page, server, ["+15555550171", "+15555550172"])
    page.locator('input[name="rate"]').fill("10")
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Send to 2 contacts").click()
    progress = page.get_by_test_id("campaign-progress")
    expect(progress).to_have_attribute("data-status", "done", timeout=10000)
    expect(progress).to_be_visible()
    expect(progress).to_contain_text("Finished")
    expect(page.get_by_test_id("count-started")).to_have_text("2")
    page.get_by_role("button", name="Send to another list").click()
    expect(page.get_by_role("button", name="Preview")).to_be_visible()
    expect(page.locator(".past-campaigns summary")).to_have_text("Earlier sends (1)")


def test_a_count_clicked_on_the_canvas_lists_them_in_view(page, server):
    flow_id = server.new_flow("clinic", example="appointment-confirmation")
    # Enough paths taken for the table of widgets to fill the panel.
    talks = [("+15555550143", "hi"), ("+15555550143", "YES"), ("+15555550144", "hi"), ("+15555550144", "no"),
             ("+15555550145", "hi"), ("+15555550145", "maybe"), ("+15555550146", "hi")]
    for n, (contact, body) in enumerate(talks):
        server.sms(flow_id, contact, body, n)
    window(page, 1024, 768)
    open_flow(page, flow_id)
    page.get_by_role("button", name="Results").click()
    page.get_by_test_id("results-ask_confirmation").get_by_role("button", name="4 in").click()
    listing = page.get_by_test_id("results-listing")
    expect(listing.get_by_role("button")).to_have_count(4 + 1)   # and its Close
    expect(listing).to_be_in_viewport(ratio=0.95)


def test_a_result_replayed_leaves_room_for_the_canvas_and_a_way_back(page, server):
    flow_id = server.new_flow("clinic", example="appointment-confirmation")
    for n, body in enumerate(["hi", "YES"]):
        server.sms(flow_id, "+15555550142", body, n)
    window(page, 1024, 768)
    open_flow(page, flow_id)
    page.get_by_role("button", name="Results").click()
    page.get_by_test_id("results-confirmed_message").get_by_role("button", name="1 in").click()
    listing = page.get_by_test_id("results-listing")
    expect(listing).to_contain_text("finished")    # not Studio's "ended"
    page.get_by_role("tab", name="Custom").click()
    page.locator('section.results input[name="from"]').fill("2020-01-01")
    listing.get_by_role("button", name="+15555550142").click()
    expect(page.get_by_text("Replaying a conversation with +15555550142")).to_be_visible()
    canvas = page.locator(".react-flow").bounding_box()
    assert canvas["width"] >= 300, f"the canvas is {canvas['width']:.0f} px wide beside the replay"
    # Back to the results as they were left (the range, the list).
    page.get_by_role("button", name="Results").click()
    expect(page.locator("section.results")).to_be_visible()
    expect(page.locator('section.results input[name="from"]')).to_have_value("2020-01-01")
    expect(page.get_by_test_id("results-listing")).to_contain_text("+15555550142")


def test_the_range_picked_stays_readable_under_the_pointer(page, server):
    flow_id = server.new_flow("clinic", example="appointment-confirmation")
    open_flow(page, flow_id)
    page.get_by_role("button", name="Results").click()
    tab = page.get_by_role("tab", name="Custom")
    tab.click()   # the pointer stays on it, as a hand on a mouse does
    expect(tab).to_have_attribute("aria-selected", "true")
    colours = tab.evaluate("el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]")
    # White text on the dark blue of the picked range, not on the pale grey of a hovered button.
    assert colours == ["rgb(31, 59, 99)", "rgb(255, 255, 255)"], colours


def test_the_csv_has_times_as_the_clinic_clock_shows_them(browser, server, tmp_path):
    flow_id = server.new_flow("clinic", example="appointment-confirmation")
    server.sms(flow_id, "+15555550147", "hi", 0)
    [execution] = server.api("GET", f"/api/flows/{flow_id}/executions?limit=5").json()["executions"]
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=server.base,
                                  timezone_id="America/New_York", accept_downloads=True)
    try:
        page = context.new_page()
        open_flow(page, flow_id)
        page.get_by_role("button", name="Results").click()
        with page.expect_download() as download:
            page.get_by_test_id("download-csv").click()
        [row] = list(csv.DictReader(open(download.value.path(), encoding="utf-8")))
    finally:
        context.close()
    started = datetime.fromisoformat(execution["created_at"])
    if started.tzinfo is None:
        started = started.replace(tzinfo=timezone.utc)
    assert row["started"] == started.astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M:%S"), row


def test_a_send_is_cancelled_after_a_yes_and_says_not_sent(page, server):
    paste(page, server, ["+15555550181", "+15555550182", "+15555550183"])
    page.locator('input[name="start_at"]').fill((datetime.now() + timedelta(days=30)).strftime("%Y-%m-%dT09:00"))   # none goes before the cancel
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Send to 3 contacts").click()
    progress = page.get_by_test_id("campaign-progress")
    expect(progress).to_have_attribute("data-status", "scheduled")
    expect(progress).to_contain_text("To go")
    # One click on "Cancel sending" (read as "close" by some) does not stop it for good.
    page.get_by_role("button", name="Cancel sending").click()
    expect(progress).to_contain_text("The 3 not sent yet will not get it")
    page.get_by_role("button", name="Keep sending").click()
    page.wait_for_timeout(1500)   # two refreshes of the counts
    expect(progress).to_have_attribute("data-status", "scheduled")
    page.get_by_role("button", name="Cancel sending").click()
    page.get_by_role("button", name="Yes, stop sending").click()
    expect(progress).to_have_attribute("data-status", "cancelled")
    expect(progress).to_contain_text("Not sent")
    expect(progress).not_to_contain_text("To go")


def test_the_canvas_tools_never_cover_a_panel_in_a_small_window(page, server):
    flow_id = server.new_flow("clinic", example="appointment-confirmation")
    window(page, 1024, 768)
    open_flow(page, flow_id)
    page.get_by_test_id("test-button").click()
    page.get_by_role("button", name="Results").click()
    title = page.locator("section.results > header h2")
    expect(title).to_be_visible()
    # What is drawn at the middle of the panel's title is the title, not the canvas's toolbar.
    on_top = title.evaluate("""el => { const r = el.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return el.contains(hit) ? 'title' : (hit && (hit.closest('.toolbar') ? 'toolbar' : hit.outerHTML.slice(0, 80))); }""")
    assert on_top == "title", on_top
