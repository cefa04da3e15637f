"""Screenshots of the main screens for docs/screenshots/ (the README shows them).

Opt-in: `FLOWSTUDIO_SCREENSHOTS=1 .venv/bin/pytest tests/browser/test_screenshots.py`, so
ordinary test runs never rewrite files in docs/.
"""
import os
import re

import pytest
from playwright.sync_api import expect

from .conftest import REPO
from .editor import drop_widget, node, open_flow, press, wait_saved

OUT = REPO / "docs" / "screenshots"
pytestmark = pytest.mark.skipif(os.environ.get("FLOWSTUDIO_SCREENSHOTS") != "1",
                                reason="set FLOWSTUDIO_SCREENSHOTS=1 to refresh docs/screenshots/")


def test_screenshots(page, server):
    OUT.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1440, "height": 860})
    page.goto("/")
    expect(page.locator(".flow-card").first).to_be_visible()
    page.screenshot(path=OUT / "flow-list.png")

    flow_id = server.new_flow("appointment-reminders", example="appointment-confirmation")
    open_flow(page, flow_id)
    node(page, "ask_confirmation").click()
    page.wait_for_timeout(300)
    page.screenshot(path=OUT / "editor.png")

    press(page, "Escape")
    drop_widget(page, "send-message", 900, 140)
    wait_saved(page)
    page.get_by_role("button", name="problem").click()
    expect(page.locator(".problem").first).to_be_visible()
    page.locator(".problem").first.click()
    page.wait_for_timeout(400)
    page.screenshot(path=OUT / "problems.png")

    press(page, "Mod+z")
    page.get_by_role("button", name="Close problems").click()
    press(page, "Mod+f")
    page.get_by_placeholder("Find a widget by name").fill("not_under")
    page.keyboard.press("Enter")
    expect(node(page, "not_understood")).to_have_class(re.compile("selected"))
    press(page, "Delete")
    wait_saved(page)
    page.get_by_role("button", name="Publish").click()
    page.get_by_label("What did you change?").fill("Stop answering replies we do not understand")
    page.get_by_label("Your name").fill("Ana")
    page.get_by_role("dialog").get_by_role("button", name="Publish").click()
    expect(page.get_by_test_id("save-status")).to_contain_text("version 2 is live")
    page.get_by_role("button", name="History").click()
    page.locator(".revisions li").first.get_by_role("button", name="What changed").click()
    expect(page.locator(".diff .del").first).to_be_visible()
    page.screenshot(path=OUT / "history.png")
