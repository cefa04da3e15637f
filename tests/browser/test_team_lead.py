"""A first-time user who is not a programmer (the team lead of a small support team), in a
real browser: they build a voice menu that sends callers to the right person or to Flex,
and an SMS "how did we do?" survey. Each test is something that confused them."""
import re

from playwright.sync_api import expect

from .editor import node, open_flow, press, wait_saved


def overlaps(a, b) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and \
        a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def seen_whole(page, widget) -> tuple[bool, dict]:
    """Whether `widget` is inside the canvas and under none of what is drawn over it."""
    box, view = widget.bounding_box(), page.locator(".canvas").bounding_box()
    inside = (view["x"] <= box["x"] and box["x"] + box["width"] <= view["x"] + view["width"]
              and view["y"] <= box["y"] and box["y"] + box["height"] <= view["y"] + view["height"])
    covers = [page.locator(c) for c in (".react-flow__minimap", ".react-flow__controls", ".toolbar")]
    return inside and not any(c.is_visible() and overlaps(box, c.bounding_box()) for c in covers), box


def expect_seen_whole(page, widget) -> None:
    """Wait (the canvas pans with an animation) until `widget` can be seen whole."""
    for _ in range(50):
        ok, box = seen_whole(page, widget)
        if ok:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"not seen whole: {box}, canvas {page.locator('.canvas').bounding_box()}")


def test_the_name_typed_for_a_flow_is_what_people_read_and_a_rename_keeps_its_url(page, server):
    """"Absence reporting" became `absence-reporting` in the list and the editor's title; and
    renaming a flow always moved its webhook URL, so phones pointed at it stopped working."""
    page.goto("/")
    page.get_by_role("button", name="+ New flow").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("Help desk line")
    expect(dialog).to_contain_text("/webhooks/help-desk-line")
    dialog.get_by_role("button", name="Create flow").click()
    expect(page).to_have_url(re.compile("/flows/help-desk-line$"))
    expect(page.locator(".flow-title")).to_have_text("Help desk line")
    expect(page).to_have_title(re.compile("^Help desk line"))
    page.get_by_role("button", name="← All flows").click()
    card = page.locator('[data-flow="help-desk-line"]')
    expect(card.locator(".flow-name")).to_have_text("Help desk line")

    # A new name keeps the webhook URL unless asked, and says so.
    card.get_by_role("button", name="Rename").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_have_accessible_name('Rename "Help desk line"')
    expect(dialog.get_by_label("Name")).to_have_value("Help desk line")
    dialog.get_by_label("Name").fill("Support line")
    expect(dialog).to_contain_text("The webhook URL stays")
    dialog.get_by_role("button", name="Rename").click()
    expect(card.locator(".flow-name")).to_have_text("Support line")
    expect(card.locator("code").first).to_have_text(re.compile("/webhooks/help-desk-line$"))
    assert (server.flows / "help-desk-line.yaml").read_text().count("name: Support line") == 1

    # Asked to, it moves the URL too, and says first what that breaks.
    card.get_by_role("button", name="Rename").click()
    dialog.get_by_label(re.compile("Change the webhook URL")).check()
    expect(dialog.get_by_role("note")).to_contain_text("/webhooks/support-line")
    dialog.get_by_role("button", name="Rename").click()
    moved = page.locator('[data-flow="support-line"]')
    expect(moved.locator(".flow-name")).to_have_text("Support line")
    expect(card).to_have_count(0)

    # A duplicate is named in words too.
    moved.get_by_role("button", name="Duplicate").click()
    expect(dialog.get_by_label("Name")).to_have_value("Support line (copy)")
    dialog.get_by_role("button", name="Duplicate").click()
    expect(page.locator('[data-flow="support-line-copy"] .flow-name')).to_have_text("Support line (copy)")


def test_a_variables_key_and_long_value_show_whole_at_1024(page, server):
    """The Set Variables row put Key, Value and three buttons side by side: at 1024 px the
    value was cut and scrolled behind the {x} button."""
    page.set_viewport_size({"width": 1024, "height": 768})
    flow_id = server.new_flow("vars")
    open_flow(page, flow_id)
    page.locator('.palette-item[data-type="set-variables"]').click()
    panel = page.locator(".inspector-panel")
    panel.get_by_role("button", name="+ Add variable").click()
    panel.get_by_label("Key", exact=True).fill("caller_choice")
    value = panel.get_by_label("Value", exact=True)
    value.fill("{{widgets.main_menu.Digits}} from {{trigger.call.From}}")
    value.blur()
    wait_saved(page)
    sizes = value.evaluate("e => ({sw: e.scrollWidth, cw: e.clientWidth, sh: e.scrollHeight, ch: e.clientHeight})")
    assert sizes["sw"] <= sizes["cw"] and sizes["sh"] <= sizes["ch"] + 1, f"text hidden: {sizes}"
    key = panel.get_by_label("Key", exact=True)
    assert key.evaluate("e => e.scrollWidth <= e.clientWidth"), "the key is cut"
    assert key.bounding_box()["width"] >= 120
    # Enter still commits a value, as in any one-line box, and adds no new line.
    value.fill("{{trigger.call.From}}")
    value.press("Enter")
    wait_saved(page)
    variables = server.api("GET", f"/api/flows/{flow_id}").json()["document"]["widgets"][-1]["properties"]["variables"]
    assert variables == [{"key": "caller_choice", "value": "{{trigger.call.From}}"}]


def test_deleting_a_widget_says_so_and_offers_undo(page, server):
    """A widget deleted with the Delete key just vanished: nothing said that Undo (the
    button or Ctrl+Z) brings it back."""
    flow_id = server.new_flow("undo", example="appointment-confirmation")
    open_flow(page, flow_id)
    node(page, "confirmed_message").click()
    press(page, "Delete")
    notice = page.get_by_role("status").filter(has_text="Deleted")
    expect(notice).to_have_text(re.compile("Deleted “confirmed_message”.*Undo.*Ctrl\\+Z"))
    expect(node(page, "confirmed_message")).to_have_count(0)
    notice.get_by_role("button", name="Undo").click()
    expect(node(page, "confirmed_message")).to_be_visible()
    expect(notice).to_have_count(0)
    # With Ctrl+Z instead, the notice goes too (it would undo something else).
    node(page, "confirmed_message").click()
    press(page, "Delete")
    expect(notice).to_be_visible()
    page.locator(".react-flow__pane").click(position={"x": 5, "y": 300})
    press(page, "Mod+z")
    expect(node(page, "confirmed_message")).to_be_visible()
    expect(notice).to_have_count(0)


def test_the_widget_a_test_is_at_is_panned_into_view_not_left_under_the_map(page, server):
    """At 1280 px the lit (current) widget sat under the map, or off the canvas once the
    phone took its room: the person could not see where the conversation was."""
    page.set_viewport_size({"width": 1280, "height": 800})
    flow_id = server.new_flow("follow", example="appointment-confirmation")
    flow = server.api("GET", f"/api/flows/{flow_id}").json()
    doc = flow["document"]
    doc["ui"]["ask_confirmation"] = {"x": 2600, "y": 1400}   # far to the bottom right of the rest
    r = server.api("PUT", f"/api/flows/{flow_id}/draft", json={"document": doc, "version": 0,
                                                               "base_revision": flow["published"]["id"]})
    assert r.status_code == 200, r.text
    open_flow(page, flow_id)
    page.get_by_test_id("test-button").click()
    page.get_by_label("Your message").fill("hi")
    page.get_by_label("Your message").press("Enter")
    expect(page.get_by_test_id("run-highlight")).to_have_attribute("data-current", "ask_confirmation")
    expect_seen_whole(page, node(page, "ask_confirmation"))


def test_a_widget_added_from_the_palette_is_in_view_even_when_the_free_place_is_below(page, server):
    """Clicking palette items puts each new widget in the nearest free place below the
    middle of the view: the third one landed half off the canvas, the fourth out of sight."""
    page.set_viewport_size({"width": 1280, "height": 800})
    flow_id = server.new_flow("added")
    open_flow(page, flow_id)
    for n in range(1, 5):
        page.locator('.palette-item[data-type="say-play"]').click()
        added = node(page, f"say_play_{n}")
        expect(added).to_be_visible()
        expect_seen_whole(page, added)



def test_a_key_pressed_on_the_test_phone_reaches_a_one_key_menu_at_once(page, server):
    """In a call the keypad only filled a box: pressing 1 at a menu that takes one key did
    nothing until Press was clicked too, unlike a phone."""
    flow_id = server.new_flow("keys", example="ivr-menu")
    open_flow(page, flow_id)
    page.get_by_test_id("test-button").click()
    page.get_by_role("button", name="Call", exact=True).click()
    expect(page.get_by_test_id("run-highlight")).to_have_attribute("data-current", "main_menu")
    expect(page.locator(".keypad-hint")).to_have_text(
        "This question takes one key: it goes to the flow as soon as you press it.")
    page.get_by_label("key 1").click()
    expect(page.get_by_test_id("transcript").locator('[data-kind="you"]').last).to_have_text("pressed 1")
    expect(page.get_by_test_id("run-highlight")).not_to_have_attribute("data-current", "main_menu")


def test_results_say_that_test_phone_conversations_are_not_counted(page, server):
    """After trying the menu on the test phone, Results said "0 started" with no word of
    why: the test phone's conversations are left out of it."""
    flow_id = server.new_flow("counted", example="ivr-menu")
    open_flow(page, flow_id)
    page.get_by_test_id("test-button").click()
    page.get_by_role("button", name="Call", exact=True).click()
    page.get_by_label("key 1").click()
    expect(page.get_by_test_id("transcript").locator('[data-kind="you"]')).to_have_count(1)
    page.get_by_role("button", name="Results").click()
    expect(page.get_by_test_id("started")).to_have_text("0")
    expect(page.get_by_test_id("results-not-tests")).to_have_text(
        "Nothing started in this range yet. Conversations on the ▶ Test phone are not counted here: only texts "
        "and calls from real phones, and sends to a list.")
    # Where the answers are: the survey's replies are in the CSV, which did not say so.
    expect(page.get_by_test_id("csv-help")).to_contain_text("what people replied")
    page.locator(".console-tabs button", has_text="Executions").click()
    expect(page.locator(".source.console").first).to_have_text("Test")   # not "Console"
