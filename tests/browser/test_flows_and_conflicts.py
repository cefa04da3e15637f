"""The flow list (rename, duplicate, delete with a confirmation) and the "changed elsewhere"
banner (another tab saving the same flow), in a real browser."""
import re

from playwright.sync_api import expect

from .editor import SAVED, fill_field, node, open_flow, press, wait_saved


def test_rename_duplicate_delete_from_the_list(page, server, tmp_path):
    flow_id = server.new_flow("listed", example="keyword-router")
    (server.flows / f"{flow_id}.test.yaml").write_text((server.flows / "keyword-router.test.yaml").read_text())
    page.goto("/")
    card = page.locator(f'[data-flow="{flow_id}"]')
    card.get_by_role("button", name="Duplicate").click()
    page.get_by_role("dialog").get_by_label("Name").fill(f"{flow_id}-copy")
    page.get_by_role("dialog").get_by_role("button", name="Duplicate").click()
    expect(page.locator(f'[data-flow="{flow_id}-copy"]')).to_be_visible()
    assert (server.flows / f"{flow_id}-copy.yaml").exists()

    card.get_by_role("button", name="Rename").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("note")).to_have_count(0)   # nothing changes yet
    dialog.get_by_label("Name").fill(f"{flow_id}-renamed")
    expect(dialog.get_by_role("note")).to_have_count(0)   # a new name alone keeps the URL
    dialog.get_by_label(re.compile("Change the webhook URL")).check()
    # Before it happens: the webhook URL changes, old and new shown.
    expect(dialog.get_by_role("note")).to_contain_text("The webhook URL changes")
    expect(dialog.get_by_role("note")).to_contain_text(f"/webhooks/{flow_id}-renamed")
    page.screenshot(path=str(tmp_path / "rename-dialog.png"))
    dialog.get_by_role("button", name="Rename").click()
    renamed = page.locator(f'[data-flow="{flow_id}-renamed"]')
    expect(renamed).to_be_visible()
    expect(renamed.locator(".flow-name")).to_have_text(f"{flow_id}-renamed")   # the name follows the id
    expect(page.locator(f'[data-flow="{flow_id}"]')).to_have_count(0)
    assert (server.flows / f"{flow_id}-renamed.test.yaml").exists() and not (server.flows / f"{flow_id}.test.yaml").exists()

    # A flow another one runs as a subflow: the rename says which flow to update.
    page.locator('[data-flow="collect-email"]').get_by_role("button", name="Rename").click()
    page.get_by_role("dialog").get_by_label("Name").fill("collect-email-address")
    page.get_by_role("dialog").get_by_label(re.compile("Change the webhook URL")).check()
    note = page.get_by_role("dialog").get_by_role("note")
    expect(note).to_contain_text(re.compile(r"keyword-router\b.* runs? this flow as a subflow"))
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()

    page.locator(f'[data-flow="{flow_id}-renamed"]').get_by_role("button", name="Delete").click()
    expect(page.get_by_role("dialog")).to_contain_text("stops answering")
    page.get_by_role("button", name="Keep it").click()
    expect(page.locator(f'[data-flow="{flow_id}-renamed"]')).to_be_visible()
    page.locator(f'[data-flow="{flow_id}-renamed"]').get_by_role("button", name="Delete").click()
    page.get_by_role("button", name="Delete flow").click()
    expect(page.locator(f'[data-flow="{flow_id}-renamed"]')).to_have_count(0)
    assert not (server.flows / f"{flow_id}-renamed.yaml").exists()


def body_of(server, flow_id, widget):
    doc = server.api("GET", f"/api/flows/{flow_id}").json()["document"]
    return next(w for w in doc["widgets"] if w["name"] == widget)["properties"]["body"]


def second_tab(page):
    other = page.context.new_page()
    other.set_default_timeout(5000)
    return other


def test_two_tabs_edits_of_different_widgets_merge_by_themselves(page, server, tmp_path):
    """Issue 16, item 5: B, with no edits, quietly shows A's change; B's edit of another
    widget is saved on top of A's, and A then shows it too. Nobody is asked anything."""
    flow_id = server.new_flow("tabs", example="appointment-confirmation")
    open_flow(page, flow_id)
    b = second_tab(page)
    open_flow(b, flow_id)
    node(page, "confirmed_message").click()
    fill_field(page, "Message body", "Confirmed, from tab A")
    wait_saved(page)
    # B had no edits: it takes A's change in, without a banner.
    node(b, "confirmed_message").click()
    expect(b.locator(".inspector-panel textarea").first).to_have_value("Confirmed, from tab A", timeout=10000)
    expect(b.get_by_role("alert")).to_have_count(0)
    expect(b.get_by_test_id("save-status")).not_to_contain_text("changed elsewhere")
    # A edits again while B edits another widget from the same starting point.
    node(page, "confirmed_message").click()
    fill_field(page, "Message body", "Confirmed twice, from tab A")
    wait_saved(page)
    node(b, "not_understood").click()
    fill_field(b, "Message body", "Sorry, from tab B")
    expect(b.get_by_test_id("save-status")).to_have_text(SAVED, timeout=10000)
    expect(b.get_by_role("alert")).to_have_count(0)
    assert body_of(server, flow_id, "confirmed_message") == "Confirmed twice, from tab A"
    assert body_of(server, flow_id, "not_understood") == "Sorry, from tab B"
    # And A, which had nothing unsaved, shows B's edit.
    node(page, "not_understood").click()
    expect(page.locator(".inspector-panel textarea").first).to_have_value("Sorry, from tab B", timeout=10000)
    b.close()


def test_two_tabs_the_same_field_asks_and_shows_what_each_choice_loses(page, server, tmp_path):
    flow_id = server.new_flow("clash", example="appointment-confirmation")
    open_flow(page, flow_id)
    b = second_tab(page)
    open_flow(b, flow_id)
    # Both change the same message; B also changes another one.
    node(b, "not_understood").click()
    fill_field(b, "Message body", "Other edit from B")
    expect(b.get_by_test_id("save-status")).to_have_text(SAVED)
    node(page, "confirmed_message").click()
    fill_field(page, "Message body", "Mine, from A")
    node(b, "confirmed_message").click()
    fill_field(b, "Message body", "Theirs, from B")
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("changed elsewhere", timeout=10000)
    expect(banner).to_contain_text("confirmed_message — Message body")
    expect(banner).to_contain_text("Mine, from A")
    expect(banner).to_contain_text("Theirs, from B")
    expect(banner).not_to_contain_text("not_understood")   # merged, not asked about
    page.screenshot(path=str(tmp_path / "conflict.png"))
    page.get_by_role("button", name="Keep mine").click()
    expect(banner).to_have_count(0)
    wait_saved(page)
    assert body_of(server, flow_id, "confirmed_message") == "Mine, from A"
    assert body_of(server, flow_id, "not_understood") == "Other edit from B"   # B's other work stays
    b.close()


def test_a_publish_elsewhere_and_an_edit_here_merge(page, server):
    flow_id = server.new_flow("reload", example="appointment-confirmation")
    open_flow(page, flow_id)
    # Published elsewhere (a script, another tab, the file on disk) while this tab edits another widget.
    other = server.api("GET", f"/api/flows/{flow_id}").json()
    doc = other["document"]
    doc["widgets"] = [w for w in doc["widgets"] if w["name"] != "cancellation_pending"]
    doc["widgets"] = [{**w, "transitions": {**w.get("transitions", {}), "failed": None}} if w["name"] == "cancel_appointment" else w
                      for w in doc["widgets"]]
    del doc["ui"]["cancellation_pending"]
    r = server.api("PUT", f"/api/flows/{flow_id}/draft", json={
        "document": doc, "version": 0, "base_revision": other["published"]["id"]})
    assert r.status_code == 200, r.text
    r = server.api("POST", f"/api/flows/{flow_id}/publish", json={"message": "elsewhere", "version": r.json()["draft"]["version"]})
    assert r.status_code == 200, r.text
    node(page, "save_reply").click()
    press(page, "Delete")
    expect(node(page, "cancellation_pending")).to_have_count(0, timeout=10000)
    expect(node(page, "save_reply")).to_have_count(0)
    wait_saved(page)
    expect(page.get_by_role("alert")).to_have_count(0)
    names = {w["name"] for w in server.api("GET", f"/api/flows/{flow_id}").json()["document"]["widgets"]}
    assert "save_reply" not in names and "cancellation_pending" not in names


def test_undo_back_to_the_live_version_leaves_nothing_unpublished(page, server):
    """Issue 16, item 11: compare content, not edit counts."""
    flow_id = server.new_flow("undo", example="ivr-menu")
    open_flow(page, flow_id)
    publish_button = page.get_by_role("button", name="Publish", exact=True)
    expect(publish_button).to_be_disabled()
    node(page, "sales_intro").click()
    fill_field(page, "Text to say", "Changed for a moment")
    expect(page.get_by_test_id("save-status")).to_have_text(re.compile("Unpublished changes"))
    expect(publish_button).to_be_enabled()
    page.locator(".react-flow__pane").click(position={"x": 5, "y": 5})
    press(page, "Mod+z")
    expect(page.get_by_test_id("save-status")).to_have_text("Published · version 1 is live")
    expect(publish_button).to_be_disabled()
    page.get_by_role("button", name="← All flows").click()
    card = page.locator(f'[data-flow="{flow_id}"]')
    expect(card).to_be_visible()
    expect(card.locator(".pill.draft")).to_have_count(0)


def test_a_file_changed_on_disk_merges_into_this_tabs_draft(page, server):
    """Issue 16, item 5: "the same when the file changed on disk"."""
    flow_id = server.new_flow("disk", example="appointment-confirmation")
    open_flow(page, flow_id)
    node(page, "not_understood").click()
    fill_field(page, "Message body", "Draft edit in the tab")
    wait_saved(page)
    path = server.flows / f"{flow_id}.yaml"
    text = path.read_text()
    assert "Thank you! Your appointment" in text
    path.write_text(text.replace("Thank you! Your appointment", "Edited on disk, your appointment"))
    node(page, "confirmed_message").click()
    expect(page.locator(".inspector-panel").get_by_label(re.compile("^Message body"))).to_have_value(
        re.compile("^Edited on disk"), timeout=12000)
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_test_id("save-status")).to_have_text(SAVED, timeout=8000)
    doc = server.api("GET", f"/api/flows/{flow_id}").json()["document"]
    bodies = {w["name"]: w.get("properties", {}).get("body") for w in doc["widgets"]}
    assert bodies["not_understood"] == "Draft edit in the tab"
    assert bodies["confirmed_message"].startswith("Edited on disk")


def test_files_that_are_not_flows_are_listed_with_what_to_do(page, server, tmp_path):
    """A flow file in a sub-folder or ending in .yml used to show as "cannot read file"
    and fail to open; now the list holds only flows that open, and says below them
    which other files it saw and why they are not used."""
    sub = server.flows / "drafts"
    sub.mkdir(exist_ok=True)
    (sub / "old-survey.yaml").write_text((server.flows / "sms-survey.yaml").read_text())
    (server.flows / "short-name.yml").write_text((server.flows / "sms-survey.yaml").read_text())
    try:
        page.goto("/")
        section = page.get_by_role("region", name="Files not used as flows")
        expect(section).to_contain_text("drafts/old-survey.yaml")
        expect(section).to_contain_text("in a sub-folder: move it into the flows folder itself")
        expect(section).to_contain_text("rename it to short-name.yaml")
        expect(page.locator('[data-flow="old-survey"]')).to_have_count(0)
        page.screenshot(path=str(tmp_path / "ignored-files.png"), full_page=True)
    finally:
        (sub / "old-survey.yaml").unlink()
        sub.rmdir()
        (server.flows / "short-name.yml").unlink()
