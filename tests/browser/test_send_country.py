"""A clinic's list of numbers written as people in the US write them, sent with "Numbers
without + are in" (the browser's country unless changed), in headless Chromium on a real
`flowstudio serve` (conftest.py): every row previews valid, shown as it will be texted,
and is sent; with no country the same rows are refused as before.

(NANP numbers of the 555 area code are no numbers in use, so the list's are of 212.)"""
from playwright.sync_api import expect

from .editor import open_flow

FROM = "+12125550100"
PATIENTS = b"""to,first_name,appointment
(212) 555-0142,Maria,Tue 9 Dec 10:30am
212-555-0143,James,Tue 9 Dec 11:00am
(212) 555-0144,Linda,Wed 10 Dec 2:15pm
2125550145,Michael,Thu 11 Dec 9:30am
212.555.0146,David,Fri 12 Dec 4:00pm
1 212 555 0147,Susan,Fri 12 Dec 4:30pm
212 555 0148,Karen,Mon 15 Dec 9:00am
(212)555-0149,Paul,Mon 15 Dec 9:30am
1-212-555-0150,Nancy,Mon 15 Dec 10:00am
+1 212 555 0151,Mark,Mon 15 Dec 10:30am
"""
TEXTED = [f"+1212555{n:04d}" for n in range(142, 152)]
SHOWN = [f"+1 212-555-{n:04d}" for n in range(142, 152)]


def test_a_csv_of_us_local_numbers_with_country_us_previews_all_valid_and_sends(browser, server, tmp_path):
    flow_id = server.new_flow("clinic", example="appointment-confirmation")
    # An office manager's browser in the US: the country is already picked.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=server.base, locale="en-US")
    errors = []
    try:
        page = context.new_page()
        page.set_default_timeout(5000)
        page.on("pageerror", lambda e: errors.append(str(e)))
        open_flow(page, flow_id)
        page.get_by_role("button", name="Send to a list").click()
        country = page.get_by_label("Numbers without + are in")
        expect(country).to_have_value("US")
        assert country.evaluate("el => el.selectedOptions[0].text") == "United States"
        page.locator('input[name="file"]').set_input_files(
            {"name": "patients.csv", "mimeType": "text/csv", "buffer": PATIENTS})
        page.locator('input[name="from"]').fill(FROM)
        page.locator('input[name="rate"]').fill("10")
        page.screenshot(path=str(tmp_path / "country-select-1280x800.png"))

        # Without a country, the rows are refused as before: they need + and the country code.
        country.select_option("")
        page.get_by_role("button", name="Preview").click()
        preview = page.get_by_test_id("campaign-preview")
        expect(preview).to_contain_text("1 contact will get the flow")
        expect(preview).to_contain_text("9 invalid rows")
        expect(preview).to_contain_text("Row 2: '(212) 555-0142' needs + and the country code in front")

        country.select_option("US")
        expect(preview).to_have_count(0)    # a changed setting drops the preview made without it
        page.get_by_role("button", name="Preview").click()
        expect(preview).to_contain_text("10 contacts will get the flow")
        expect(preview).not_to_contain_text("invalid")
        texted = page.get_by_test_id("texted-as")
        expect(texted).to_contain_text("The numbers as they will be texted")
        expect(texted.locator("li")).to_have_text([f"Row {row}: {to}" for row, to in enumerate(SHOWN, 2)])
        page.screenshot(path=str(tmp_path / "country-preview-1280x800.png"))

        page.get_by_role("button", name="Send to 10 contacts").click()
        progress = page.get_by_test_id("campaign-progress")
        expect(progress).to_have_attribute("data-status", "done", timeout=15000)
        expect(page.get_by_test_id("count-started")).to_have_text("10")
        expect(page.get_by_test_id("count-failed")).to_have_text("0")
    finally:
        context.close()
    assert not errors, errors
    [campaign] = server.api("GET", f"/api/flows/{flow_id}/campaigns").json()["campaigns"]
    rows = server.api("GET", f"/api/flows/{flow_id}/campaigns/{campaign['id']}/contacts").json()["contacts"]
    assert [(r["to"], r["status"]) for r in rows] == [(to, "started") for to in TEXTED]


def test_a_browser_that_names_no_country_picks_none_and_the_country_is_chosen_by_name(browser, server, tmp_path):
    flow_id = server.new_flow("clinic", example="appointment-confirmation")
    context = browser.new_context(viewport={"width": 1024, "height": 768}, base_url=server.base, locale="fr")
    try:
        page = context.new_page()
        page.set_default_timeout(5000)
        open_flow(page, flow_id)
        page.get_by_role("button", name="Send to a list").click()
        country = page.get_by_label("Numbers without + are in")
        expect(country).to_have_value("")
        page.locator('textarea[name="numbers"]').fill("06 12 34 56 78\n01 23 45 67\n+44 20 7946 0018")
        page.locator('input[name="from"]').fill("+33612345600")
        country.select_option(label="France")     # names in the browser's language
        page.screenshot(path=str(tmp_path / "country-select-1024x768.png"))
        page.get_by_role("button", name="Preview").click()
        preview = page.get_by_test_id("campaign-preview")
        expect(preview).to_contain_text("2 contacts will get the flow")
        expect(preview).to_contain_text("Row 2: '01 23 45 67' is not a full FR phone number")
        expect(page.get_by_test_id("texted-as").locator("li")).to_have_text(
            ["Row 1: +33 6 12 34 56 78", "Row 3: +44 20 7946 0018"])
        page.screenshot(path=str(tmp_path / "country-fr-1024x768.png"))
    finally:
        context.close()
