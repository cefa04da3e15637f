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


def overlap(a, b) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and \
        a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def test_testing_at_1024x768_keeps_the_canvas_settings_and_phone_apart_and_in_view(page, server):
    """At 1024x768 the phone, the selected widget's settings and the canvas used to leave the
    canvas a sliver, with its tools drawn over the settings' title."""
    page.set_viewport_size({"width": 1024, "height": 768})
    flow_id = server.new_flow("small", example="appointment-confirmation")
    open_flow(page, flow_id)
    page.get_by_test_id("test-button").click()
    node(page, "Trigger").click()
    settings = page.get_by_role("complementary", name="Widget settings")
    expect(settings).to_be_visible()
    phone = page.locator(".console-panel")
    canvas = page.locator(".canvas").bounding_box()
    tools = page.get_by_role("toolbar", name="Canvas tools").bounding_box()
    assert canvas["width"] >= 240, canvas
    for box in (settings.bounding_box(), phone.bounding_box()):
        assert not overlap(tools, box), (tools, box)
        assert box["x"] + box["width"] <= 1024 + 0.5, box
    assert tools["x"] + tools["width"] <= canvas["x"] + canvas["width"] + 0.5, (tools, canvas)
    # Everything the phone needs is on screen and works.
    text = page.get_by_placeholder("Text the flow…")
    text.fill("hello")
    text.press("Enter")
    expect(phone.locator(".bubble").first).to_be_visible()


def test_tidy_up_leaves_no_widget_under_the_map(page, server):
    """Tidy up fitted the flow to the whole canvas, the map's corner included: the last
    widgets and their outputs ended up hidden under the map."""
    page.set_viewport_size({"width": 1280, "height": 800})
    flow_id = server.new_flow("tidy", example="appointment-confirmation")
    open_flow(page, flow_id)
    page.get_by_role("button", name="Tidy up").click()
    page.wait_for_timeout(1200)   # the layout, then two fits of 300 ms each
    minimap = page.locator(".react-flow__minimap").bounding_box()
    assert minimap, "the map is shown"
    hidden = [n for n, box in ((n, node(page, n).bounding_box()) for n in
                               page.locator(".react-flow__node").evaluate_all("els => els.map(e => e.dataset.id)"))
              if box and overlap(box, minimap)]
    assert hidden == []


def test_a_webhook_url_twilio_cannot_reach_says_so_and_what_to_do(page, server):
    """The server here answers at 127.0.0.1: pasting that URL into a Twilio number would do
    nothing, and the screen used to give it as if it would work."""
    page.goto("/")
    expect(page.get_by_role("note")).to_contain_text(
        "These webhook URLs work only on this computer (or this network): Twilio cannot reach them")
    flow_id = server.new_flow("school")
    open_flow(page, flow_id)
    panel = page.get_by_role("complementary", name="Flow")
    expect(panel.get_by_text(f"{server.base}/webhooks/{flow_id}")).to_be_visible()
    expect(panel).to_contain_text("set “A message comes in” and “A call comes in” to Webhook, paste this URL")
    expect(panel.get_by_role("note")).to_contain_text("Try the flow with ▶ Test instead")


def focused(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.getAttribute('aria-label') || ''")


def test_a_flow_is_built_and_wired_with_the_keyboard_alone(page, server):
    """Adding a widget with Enter, or finding one with Ctrl+F, left the focus behind (on the
    palette, or nowhere): Tab started again from the top of the page. And only a split's
    branches could be connected without dragging a line with the mouse."""
    page.set_viewport_size({"width": 1024, "height": 768})
    flow_id = server.new_flow("keys")
    open_flow(page, flow_id)
    page.get_by_placeholder("Search widgets").fill("send & wait")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("complementary", name="Widget settings")).to_be_focused()
    page.keyboard.press("Tab")
    assert focused(page) == "insp-name"
    page.keyboard.press("Control+a")
    page.keyboard.type("ask")
    page.keyboard.press("Enter")
    expect(node(page, "ask")).to_be_visible()

    page.keyboard.press("Escape")
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 300})
    page.keyboard.press("Control+f")
    page.keyboard.type("Trigger")
    page.keyboard.press("Enter")
    settings = page.get_by_role("complementary", name="Widget settings")
    expect(settings).to_be_focused()
    start = settings.get_by_label("Incoming Message goes to")
    start.focus()
    page.keyboard.press("ArrowDown")   # the first widget after "Not connected"
    wait_saved(page)
    trigger = next(w for w in server.api("GET", f"/api/flows/{flow_id}").json()["document"]["widgets"]
                   if w["type"] == "trigger")
    assert trigger["transitions"]["incomingMessage"] == "ask"
