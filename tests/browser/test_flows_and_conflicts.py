"""The flow list (rename, duplicate, delete with a confirmation) and the "changed elsewhere"
banner (another tab saving the same flow), in a real browser."""
import re

from playwright.sync_api import expect

from .editor import node, open_flow, press, wait_saved


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

    page.locator(f'[data-flow="{flow_id}-renamed"]').get_by_role("button", name="Delete").click()
    expect(page.get_by_role("dialog")).to_contain_text("stops answering")
    page.get_by_role("button", name="Keep it").click()
    expect(page.locator(f'[data-flow="{flow_id}-renamed"]')).to_be_visible()
    page.locator(f'[data-flow="{flow_id}-renamed"]').get_by_role("button", name="Delete").click()
    page.get_by_role("button", name="Delete flow").click()
    expect(page.locator(f'[data-flow="{flow_id}-renamed"]')).to_have_count(0)
    assert not (server.flows / f"{flow_id}-renamed.yaml").exists()


def test_changed_elsewhere_banner_keep_mine(page, server):
    flow_id = server.new_flow("conflict", example="appointment-confirmation")
    open_flow(page, flow_id)
    node(page, "not_understood").click()
    press(page, "Delete")
    wait_saved(page)
    # Another tab saves its own draft on top.
    other = server.api("GET", f"/api/flows/{flow_id}").json()
    doc = other["document"]
    doc["description"] = "edited in another tab"
    r = server.api("PUT", f"/api/flows/{flow_id}/draft", json={
        "document": doc, "version": other["draft"]["version"], "base_revision": other["published"]["id"]})
    assert r.status_code == 200, r.text
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("This flow changed elsewhere", timeout=8000)
    page.get_by_role("button", name="Keep mine").click()
    expect(banner).to_have_count(0)
    wait_saved(page)
    mine = server.api("GET", f"/api/flows/{flow_id}").json()["document"]
    assert "not_understood" not in {w["name"] for w in mine["widgets"]}


def test_changed_elsewhere_banner_reload(page, server):
    flow_id = server.new_flow("reload", example="appointment-confirmation")
    open_flow(page, flow_id)
    # Published elsewhere (a script, another tab): this tab's next save is refused.
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
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("This flow changed elsewhere", timeout=8000)
    page.get_by_role("button", name=re.compile("Reload")).click()
    expect(banner).to_have_count(0)
    expect(node(page, "cancellation_pending")).to_have_count(0)
    expect(node(page, "save_reply")).to_be_visible()
