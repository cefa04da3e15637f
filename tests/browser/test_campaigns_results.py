"""Send to a list and Results in headless Chromium, on a real `flowstudio serve`
(conftest.py): a CSV uploaded, previewed, sent, paused and resumed while the progress
shows; then counts on the canvas after a few scripted conversations, the executions
behind a count opened in the replay, and the executions CSV downloaded."""
import csv
import io
import os
import re
import time

from playwright.sync_api import Page, expect

from .conftest import REPO
from .editor import open_flow

SHOTS = REPO / "docs" / "screenshots"
FROM = "+15555550100"


def shot(page: Page, name: str, tmp_path) -> None:
    """A screenshot to look at (in tmp_path); docs/screenshots/ is refreshed only when
    asked (FLOWSTUDIO_SCREENSHOTS=1), so a test run never leaves the tree changed."""
    page.screenshot(path=str(tmp_path / f"{name}.png"))
    if os.environ.get("FLOWSTUDIO_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"))


def count(page: Page, name: str) -> int:
    return int(page.get_by_test_id(f"count-{name}").inner_text())


def test_send_a_csv_to_a_list_watch_it_pause_and_resume(page, server, tmp_path):
    flow_id = server.new_flow("campaign", example="sms-survey")
    rows = "\n".join(f"+1555558{i:04d},Guest {i}" for i in range(6))
    data = f"to,name\n{rows}\nnot-a-number,Nobody\n".encode()
    open_flow(page, flow_id)
    page.get_by_role("button", name="Send to a list").click()
    page.locator('input[name="file"]').set_input_files({"name": "guests.csv", "mimeType": "text/csv", "buffer": data})
    page.locator('input[name="from"]').fill(FROM)
    page.locator('input[name="rate"]').fill("1")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_test_id("campaign-preview")
    expect(preview).to_contain_text("6 contacts will get the flow")
    expect(preview).to_contain_text("Row 8: 'not-a-number' is not a phone number")
    shot(page, "campaign-preview", tmp_path)
    page.get_by_role("button", name="Send to 6 contacts").click()
    progress = page.get_by_test_id("campaign-progress")
    expect(progress).to_be_visible()
    expect(page.get_by_test_id("count-started")).not_to_have_text("0", timeout=5000)
    page.get_by_role("button", name="Pause").click()
    expect(progress).to_have_attribute("data-status", "paused")
    shot(page, "campaign-progress", tmp_path)
    started = count(page, "started")
    assert 1 <= started < 6
    time.sleep(2.5)   # paused: nothing more starts
    page.wait_for_timeout(1200)
    assert count(page, "started") == started and count(page, "pending") == 6 - started
    page.get_by_role("button", name="Resume").click()
    expect(progress).to_have_attribute("data-status", "done", timeout=15000)   # stays, with its counts
    expect(progress).to_contain_text("Finished")
    assert [count(page, k) for k in ("started", "skipped", "failed", "pending")] == [6, 0, 0, 0]
    listed = server.api("GET", f"/api/flows/{flow_id}/executions?limit=50").json()["executions"]
    assert sorted(e["contact"] for e in listed) == [f"+1555558{i:04d}" for i in range(6)]


def test_results_show_counts_on_the_canvas_list_who_and_download_the_csv(page, server, tmp_path):
    flow_id = server.new_flow("results", example="sms-survey")
    scripts = {"+15555559001": ["hi", "5", "coffee", "NO"], "+15555559002": ["hi", "7", "4", "cake"],
               "+15555559003": ["hi", "3"], "+15555559004": ["hi"]}
    for contact, messages in scripts.items():
        for n, body in enumerate(messages):
            server.sms(flow_id, contact, body, n)
    open_flow(page, flow_id)
    page.get_by_role("button", name="Results").click()
    expect(page.get_by_test_id("started")).to_have_text("4")
    expect(page.get_by_test_id("results-ask_rating")).to_contain_text("4 in")
    expect(page.get_by_test_id("results-invalid_rating")).to_contain_text("1 in")
    expect(page.get_by_test_id("results-ask_highlight")).to_contain_text("3 in")
    # the split's "No Condition Matches" output: the one who answered 7
    no_match = page.get_by_test_id("results-check_rating-noMatch")
    expect(no_match).to_have_text("1")
    for _ in range(2):   # closer, for people reading the screenshot
        page.locator(".react-flow__controls-zoomin").click()
    page.wait_for_timeout(400)
    shot(page, "results", tmp_path)
    no_match.click()
    listing = page.get_by_test_id("results-listing")
    expect(listing).to_contain_text("+15555559002")
    listing.get_by_role("button", name="+15555559002").click()
    expect(page.get_by_test_id("replay")).to_contain_text("+15555559002")
    page.get_by_role("button", name="Results").click()   # the replay had the room: back to the results
    expect(listing).to_contain_text("+15555559002")
    with page.expect_download() as download:
        page.get_by_test_id("download-csv").click()
    text = open(download.value.path(), encoding="utf-8").read()
    rows = {r["contact"]: r for r in csv.DictReader(io.StringIO(text))}
    assert set(rows) == set(scripts)
    assert rows["+15555559001"]["widgets.ask_improvement.inbound.Body"] == "NO"
    assert rows["+15555559004"]["status"] == "active"


def test_a_list_behind_a_count_that_stops_short_says_so(page, server, tmp_path):
    """The list behind a count shows the oldest 200 (the API's `more` says there are
    others: tests/campaigns/test_stats.py); the panel must say so, and where the rest
    are. Here the server's answer is marked `more`, as one for a count of thousands is."""
    flow_id = server.new_flow("results-more", example="sms-survey")
    for n, contact in enumerate(("+15555559101", "+15555559102")):
        server.sms(flow_id, contact, "hi", n)

    def marked_more(route):
        answer = route.fetch()
        body = answer.json()
        assert body["more"] is False   # the real answer: two are all there are
        route.fulfill(response=answer, json={**body, "more": True})

    page.route(re.compile(r".*/stats/executions\?.*"), marked_more)
    open_flow(page, flow_id)
    page.get_by_role("button", name="Results").click()
    expect(page.get_by_test_id("results-ask_rating")).to_contain_text("2 in")
    page.get_by_test_id("results-ask_rating").get_by_role("button").first.click()
    listing = page.get_by_test_id("results-listing")
    expect(listing).to_contain_text("+15555559102")
    expect(page.get_by_test_id("results-listing-more")).to_have_text(
        "These are the first 2. Download CSV has every one of them.")
    page.screenshot(path=str(tmp_path / "results-listing-more.png"))   # to look at; not one of the docs


def test_a_count_on_the_canvas_stays_readable_under_the_pointer(page, server):
    """Before: the buttons' pale hover turned the dark "N in" pill's white text
    invisible while the pointer rested on it, right after the click."""
    flow_id = server.new_flow("results-hover", example="sms-survey")
    server.sms(flow_id, "+15555559201", "hi", 0)
    open_flow(page, flow_id)
    page.get_by_role("button", name="Results").click()
    pill = page.get_by_test_id("results-ask_rating").get_by_role("button", name="1 in")
    pill.click()   # the pointer stays on it
    expect(page.get_by_test_id("results-listing")).to_contain_text("+15555559201")
    background, colour = pill.evaluate("el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]")
    assert colour == "rgb(255, 255, 255)" and background == "rgb(45, 85, 144)", (background, colour)


def test_the_opt_out_list_says_when_it_shows_only_the_newest(page, server):
    """The API lists the newest 1,000 opt-outs and counts them all (`total`:
    tests/campaigns/test_campaigns_api.py); here its answer says 5,000, as a long-used
    number's would."""
    flow_id = server.new_flow("optouts-many", example="sms-survey")
    server.sms(flow_id, "+15555559301", "STOP", 0)

    def many(route):
        answer = route.fetch()
        body = answer.json()
        assert body["total"] == len(body["optouts"]) >= 1   # the real answer: all of them listed
        route.fulfill(response=answer, json={**body, "total": 5000})

    page.route(re.compile(r".*/api/optouts$"), many)
    open_flow(page, flow_id)
    page.get_by_role("button", name="Send to a list").click()
    summary = page.locator("details.optouts summary")
    expect(summary).to_have_text("Opted out (5,000)")
    summary.click()
    expect(page.get_by_test_id("optouts-more")).to_have_text(
        f"The newest {len(page.locator('details.optouts li').all_inner_texts())} are listed here.")
    expect(page.locator("details.optouts")).to_contain_text("+15555559301")
