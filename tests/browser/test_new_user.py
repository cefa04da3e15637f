"""A first-time user who is not a programmer (the office manager of a small school), in a
real browser: they import the flow they exported from Twilio Studio the way the flows
page offers, wire a flow with the keyboard only, and test it at 1024x768 with everything
in view."""
import json
import re
from pathlib import Path

from playwright.sync_api import expect

from .editor import node, open_flow, wait_saved

STUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "studio"


def new_flow_dialog(page):
    page.goto("/")
    page.get_by_role("button", name="+ New flow").click()
    return page.get_by_role("dialog")


def test_a_flow_exported_from_studio_is_imported_from_the_new_flow_dialog(page, server):
    dialog = new_flow_dialog(page)
    dialog.get_by_role("radio", name=re.compile("A flow from Twilio Studio")).check()
    dialog.get_by_label("File exported from Twilio Studio").set_input_files(str(STUDIO / "sms-confirm.json"))
    expect(dialog.get_by_label("Name")).to_have_value("sms-confirm")   # named after the file
    dialog.get_by_label("Name").fill("Confirm by text")
    dialog.get_by_role("button", name="Import flow").click()
    expect(page).to_have_url(re.compile("/flows/confirm-by-text$"))
    states = json.loads((STUDIO / "sms-confirm.json").read_text())["states"]
    for state in states:
        expect(node(page, state["name"])).to_be_visible()
    # A draft to check and publish: the webhook runs nothing of it until then.
    expect(page.get_by_test_id("save-status")).to_contain_text("Unpublished changes")
    flow = server.api("GET", "/api/flows/confirm-by-text").json()
    assert {w["name"] for w in flow["document"]["widgets"]} == {s["name"] for s in states}
    assert flow["published"]["number"] == 1 and flow["draft"] is not None


def test_a_file_that_is_not_a_studio_export_says_so_and_creates_nothing(page, server, tmp_path):
    notes = tmp_path / "notes.json"
    notes.write_text('{"pupils": ["Tom", "Ann"]}')
    dialog = new_flow_dialog(page)
    dialog.get_by_role("radio", name=re.compile("A flow from Twilio Studio")).check()
    dialog.get_by_label("File exported from Twilio Studio").set_input_files(str(notes))
    expect(dialog.get_by_role("alert")).to_have_text(
        'notes.json is not a flow exported from Twilio Studio: it has no widgets ("states").')
    dialog.get_by_label("Name").fill("notes")
    dialog.get_by_role("button", name="Import flow").click()
    expect(dialog.get_by_role("alert")).to_have_text("Choose the file exported from Twilio Studio.")
    assert server.api("GET", "/api/flows/notes").status_code == 404
