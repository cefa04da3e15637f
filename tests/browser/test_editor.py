"""The editor in a real browser against a real server: building a flow by dragging and
connecting, undo/redo, problems badges, copy/paste, publish and restore."""
import re

import yaml
from playwright.sync_api import expect

from .editor import (center, connect, drop_widget, fill_field, names_on_canvas, node, open_flow, press, rename_selected,
                     wait_saved)


def test_list_create_and_open_blank_flow(page, server):
    page.goto("/")
    expect(page.get_by_role("heading", name="Your flows")).to_be_visible()
    expect(page.locator('[data-flow="appointment-confirmation"]')).to_contain_text("Ready")
    expect(page.locator('[data-flow="appointment-confirmation"]')).to_contain_text("/webhooks/appointment-confirmation")
    page.get_by_role("button", name="+ New flow").click()
    page.get_by_label("Name").fill("Blank Test One")
    page.get_by_role("button", name="Create flow").click()
    expect(page).to_have_url(re.compile(r"/flows/blank-test-one$"))
    expect(node(page, "Trigger")).to_be_visible()
    assert names_on_canvas(page) == {"Trigger"}


def test_build_first_part_of_appointment_confirmation(page, server):
    """From a blank flow: ask, save the reply, check it, confirm; publish; the YAML file says so."""
    flow_id = server.new_flow("build")
    open_flow(page, flow_id)
    drop_widget(page, "send-and-wait-for-reply", 450, 230)
    rename_selected(page, "ask_confirmation")
    fill_field(page, "Message body", "Please confirm your appointment. Reply YES to confirm or NO to cancel.")
    drop_widget(page, "set-variables", 450, 420)
    rename_selected(page, "save_reply")
    page.get_by_role("button", name="+ Add variable").click()
    page.locator(".inspector-panel").get_by_placeholder("Key").fill("reply")
    page.locator(".inspector-panel").get_by_placeholder("Key").blur()
    value = page.locator(".inspector-panel").get_by_placeholder("Value")
    value.fill("{{widgets.ask_confirmation.inbound.Body}}")
    value.blur()
    drop_widget(page, "split-based-on", 450, 600)
    rename_selected(page, "check_reply")
    fill_field(page, "Variable to test", "{{flow.variables.reply}}")
    page.get_by_role("button", name="+ Add branch").click()
    condition = page.locator(".insp-condition").first
    condition.locator("select").select_option("matches_any_of")
    fill_field(page, "Value", "yes,y,confirm", within=condition)
    fill_field(page, "Label", "Confirmed", within=condition)
    drop_widget(page, "send-message", 250, 680)
    rename_selected(page, "confirmed_message")
    fill_field(page, "Message body", "Thank you! Your appointment is confirmed.")

    connect(page, "Trigger", "Incoming Message", "ask_confirmation")
    connect(page, "ask_confirmation", "Reply", "save_reply")
    connect(page, "save_reply", "Next", "check_reply")
    connect(page, "check_reply", "Confirmed", "confirmed_message")
    connect(page, "check_reply", "No Condition Matches", "ask_confirmation")
    expect(page.locator(".react-flow__edge")).to_have_count(5)
    expect(page.get_by_role("button", name="No problems")).to_be_visible()
    wait_saved(page)

    page.get_by_role("button", name="Publish").click()
    page.get_by_label("What did you change?").fill("First part of the confirmation")
    page.get_by_role("dialog").get_by_role("button", name="Publish").click()
    expect(page.get_by_test_id("save-status")).to_contain_text("is live")
    on_disk = yaml.safe_load((server.flows / f"{flow_id}.yaml").read_text())
    widgets = {w["name"]: w for w in on_disk["widgets"]}
    assert widgets["Trigger"]["transitions"]["incomingMessage"] == "ask_confirmation"
    ask = widgets["ask_confirmation"]
    assert ask["type"] == "send-and-wait-for-reply"
    assert ask["properties"]["body"].startswith("Please confirm your appointment")
    assert ask["properties"]["timeout"] == 3600
    assert ask["transitions"]["incomingMessage"] == "save_reply"
    assert widgets["save_reply"]["properties"]["variables"] == [
        {"key": "reply", "value": "{{widgets.ask_confirmation.inbound.Body}}"}]
    assert widgets["save_reply"]["transitions"]["next"] == "check_reply"
    check = widgets["check_reply"]
    assert check["properties"]["input"] == "{{flow.variables.reply}}"
    assert check["transitions"]["noMatch"] == "ask_confirmation"
    assert check["transitions"]["match"] == [{"next": "confirmed_message", "conditions": [
        {"type": "matches_any_of", "value": "yes,y,confirm", "friendly_name": "Confirmed"}]}]
    assert set(on_disk["ui"]) == set(widgets)


def test_rename_updates_references(page, server):
    flow_id = server.new_flow("rename", example="appointment-confirmation")
    open_flow(page, flow_id)
    node(page, "ask_confirmation").click()
    rename_selected(page, "ask_patient")
    expect(node(page, "ask_confirmation")).to_have_count(0)
    expect(page.locator('.react-flow__edge[data-id="Trigger::incomingMessage"]')).to_have_count(1)
    wait_saved(page)
    doc = server.api("GET", f"/api/flows/{flow_id}").json()["document"]
    widgets = {w["name"]: w for w in doc["widgets"]}
    assert widgets["Trigger"]["transitions"]["incomingMessage"] == "ask_patient"
    assert widgets["not_understood"]["transitions"]["sent"] == "ask_patient"
    assert widgets["save_reply"]["properties"]["variables"][0]["value"] == "{{widgets.ask_patient.inbound.Body}}"
    assert "ask_patient" in doc["ui"] and "ask_confirmation" not in doc["ui"]
    press(page, "Escape")
    press(page, "Mod+z")
    expect(node(page, "ask_confirmation")).to_be_visible()


def test_undo_redo_delete_and_move(page, server):
    flow_id = server.new_flow("undo", example="appointment-confirmation")
    open_flow(page, flow_id)
    node(page, "save_reply").click()
    press(page, "Delete")
    expect(node(page, "save_reply")).to_have_count(0)
    press(page, "Mod+z")
    expect(node(page, "save_reply")).to_have_count(1)
    press(page, "Mod+Shift+z")
    expect(node(page, "save_reply")).to_have_count(0)
    press(page, "Mod+z")
    # A drag is one undo step.
    before = node(page, "save_reply").bounding_box()
    x, y = center(node(page, "save_reply").locator(".wnode-head"))
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y + 20, steps=8)
    page.mouse.move(x + 120, y + 40, steps=8)
    page.mouse.up()
    moved = node(page, "save_reply").bounding_box()
    assert moved["x"] > before["x"] + 50
    press(page, "Mod+z")
    expect(node(page, "save_reply")).to_have_css("transform", re.compile(".*"))
    assert abs(node(page, "save_reply").bounding_box()["x"] - before["x"]) < 2
    press(page, "Mod+y")
    assert abs(node(page, "save_reply").bounding_box()["x"] - moved["x"]) < 2
    # The trigger cannot be deleted.
    node(page, "Trigger").click()
    press(page, "Delete")
    expect(node(page, "Trigger")).to_have_count(1)


def test_problem_badge_appears_and_clears(page, server):
    flow_id = server.new_flow("badge", example="appointment-confirmation")
    open_flow(page, flow_id)
    expect(page.get_by_role("button", name="No problems")).to_be_visible()
    drop_widget(page, "send-message", 700, 200)
    badge = node(page, "send_message_1").locator(".badge")
    expect(badge).to_be_visible()
    expect(badge).to_have_class(re.compile("badge-error"))
    problems = page.get_by_role("button", name=re.compile(r"\d+ problems?"))
    expect(problems).to_be_visible()
    problems.click()
    page.locator(".problem", has_text="send_message_1").first.click()
    expect(node(page, "send_message_1")).to_have_class(re.compile("selected"))
    press(page, "Mod+z")
    expect(node(page, "send_message_1")).to_have_count(0)
    expect(page.get_by_role("button", name="No problems")).to_be_visible()


def test_copy_paste_and_duplicate(page, server):
    flow_id = server.new_flow("paste", example="appointment-confirmation")
    other = server.new_flow("paste-target")
    open_flow(page, flow_id)
    node(page, "save_reply").click()
    node(page, "check_reply").click(modifiers=["Shift"])
    press(page, "Mod+c")
    press(page, "Mod+v")
    expect(node(page, "save_reply_1")).to_be_visible()
    expect(node(page, "check_reply_1")).to_be_visible()
    # The link between the two copies is kept.
    expect(page.locator('.react-flow__edge[data-id="save_reply_1::next"]')).to_have_count(1)
    press(page, "Mod+d")
    expect(node(page, "save_reply_2")).to_be_visible()
    wait_saved(page)
    # Through the system clipboard into another flow.
    open_flow(page, other)
    page.locator(".react-flow__pane").click(position={"x": 50, "y": 50})
    press(page, "Mod+v")
    expect(node(page, "save_reply")).to_be_visible()
    expect(node(page, "check_reply")).to_be_visible()


def test_publish_writes_yaml_then_restore(page, server):
    flow_id = server.new_flow("publish", example="appointment-confirmation")
    open_flow(page, flow_id)
    node(page, "not_understood").click()
    press(page, "Delete")
    wait_saved(page)
    page.get_by_role("button", name="Publish").click()
    page.get_by_label("What did you change?").fill("No more sorry message")
    page.get_by_label("Your name").fill("Ana")
    page.get_by_role("dialog").get_by_role("button", name="Publish").click()
    expect(page.get_by_test_id("save-status")).to_contain_text("version 2 is live")
    on_disk = yaml.safe_load((server.flows / f"{flow_id}.yaml").read_text())
    assert "not_understood" not in {w["name"] for w in on_disk["widgets"]}
    # History: what changed, then restore version 1 into the draft.
    page.get_by_role("button", name="History").click()
    expect(page.locator(".revisions li")).to_have_count(2)
    expect(page.locator(".revisions li").first).to_contain_text("No more sorry message")
    expect(page.locator(".revisions li").first).to_contain_text("Ana")
    page.locator(".revisions li").first.get_by_role("button", name="What changed").click()
    expect(page.locator(".diff .del").first).to_be_visible()
    page.on("dialog", lambda d: d.accept())
    page.locator(".revisions li").nth(1).get_by_role("button", name="Restore").click()
    expect(node(page, "not_understood")).to_be_visible()
    wait_saved(page)
    draft = server.api("GET", f"/api/flows/{flow_id}").json()
    assert "not_understood" in {w["name"] for w in draft["document"]["widgets"]}
    assert draft["draft"] is not None
