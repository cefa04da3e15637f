"""Issue 16's minor items, tried as a new user would in a real browser: numbers stay
numbers, files the editor writes are readable by others, the description is editable,
nothing typed is lost (Esc, reload), and the form speaks the words of its labels."""
import re
import stat

import yaml
from playwright.sync_api import expect

from .editor import drop_widget, fill_field, node, open_flow, press, wait_saved


def published_file(server, page, flow_id, message="test"):
    page.get_by_role("button", name="Publish", exact=True).click()
    page.get_by_role("dialog").get_by_label(re.compile("What did you change")).fill(message)
    page.get_by_role("dialog").get_by_role("button", name="Publish").click()
    expect(page.get_by_test_id("save-status")).to_have_text(re.compile("Published · version 2"))
    return server.flows / f"{flow_id}.yaml"


def test_a_typed_timeout_is_a_number_and_the_file_is_readable_by_others(page, server):
    flow_id = server.new_flow("numbers")
    open_flow(page, flow_id)
    drop_widget(page, "send-and-wait-for-reply", 450, 230)
    fill_field(page, "Message body", "Hi")
    fill_field(page, "Stop gathering after (seconds)", "300")
    wait_saved(page)
    doc = server.api("GET", f"/api/flows/{flow_id}").json()["document"]
    [ask] = [w for w in doc["widgets"] if w["type"] == "send-and-wait-for-reply"]
    assert ask["properties"]["timeout"] == 300
    path = published_file(server, page, flow_id)
    assert "timeout: 300\n" in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) & 0o044 == 0o044, oct(path.stat().st_mode)


def test_the_flow_description_is_edited_in_the_editor(page, server):
    flow_id = server.new_flow("described")
    open_flow(page, flow_id)
    box = page.locator(".inspector-panel").get_by_label("Description")
    box.fill("Takes pizza orders by SMS")
    box.blur()
    wait_saved(page)
    assert server.api("GET", f"/api/flows/{flow_id}").json()["document"]["description"] == "Takes pizza orders by SMS"
    path = published_file(server, page, flow_id)
    assert yaml.safe_load(path.read_text())["description"] == "Takes pizza orders by SMS"
    page.get_by_role("button", name="← All flows").click()
    expect(page.locator(f'[data-flow="{flow_id}"]')).to_contain_text("Takes pizza orders by SMS")


def test_escape_right_after_typing_keeps_the_text(page, server):
    """Issue 16, item 6: Esc within a moment of typing used to revert the text."""
    flow_id = server.new_flow("esc", example="appointment-confirmation")
    open_flow(page, flow_id)
    node(page, "confirmed_message").click()
    body = page.locator(".inspector-panel").get_by_label(re.compile("^Message body"))
    body.fill("Typed, then Esc")
    body.press("Escape")
    expect(body).to_have_value("Typed, then Esc")
    wait_saved(page)
    doc = server.api("GET", f"/api/flows/{flow_id}").json()["document"]
    assert next(w for w in doc["widgets"] if w["name"] == "confirmed_message")["properties"]["body"] == "Typed, then Esc"


def test_reloading_right_after_typing_asks_first_and_loses_nothing(page, server):
    flow_id = server.new_flow("reload-typed", example="appointment-confirmation")
    open_flow(page, flow_id)
    node(page, "confirmed_message").click()
    body = page.locator(".inspector-panel").get_by_label(re.compile("^Message body"))
    body.click()
    page.keyboard.type("Typed just before reload")
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.accept()

    page.on("dialog", answer)
    page.reload()
    expect(node(page, "confirmed_message")).to_be_visible()
    assert asked == ["beforeunload"]
    node(page, "confirmed_message").click()
    expect(page.locator(".inspector-panel").get_by_label(re.compile("^Message body"))).to_have_value(
        re.compile("Typed just before reload"), timeout=5000)


def test_a_widget_can_be_fixed_while_testing(page, server, tmp_path):
    """Issue 16, item 15: the Test panel used to hide the widget settings."""
    flow_id = server.new_flow("fix-while-testing", example="appointment-confirmation")
    open_flow(page, flow_id)
    page.get_by_test_id("test-button").click()
    expect(page.get_by_test_id("console-status")).to_have_text(re.compile("Ready"))
    node(page, "ask_confirmation").click()
    expect(page.get_by_test_id("console")).to_be_visible()
    fill_field(page, "Message body", "Fixed while testing: reply YES or NO")
    wait_saved(page)
    page.get_by_label("Your message").fill("hi")
    page.locator(".sms-area button[type=submit]").click()
    expect(page.get_by_test_id("transcript").locator(".bubble.flow")).to_have_text(["Fixed while testing: reply YES or NO"])
    page.screenshot(path=str(tmp_path / "fix-while-testing.png"))


def test_history_follows_a_restore_and_shows_the_changed_widgets_on_the_canvas(page, server, tmp_path):
    """Issue 16, item 12."""
    flow_id = server.new_flow("history", example="appointment-confirmation")
    open_flow(page, flow_id)
    node(page, "confirmed_message").click()
    fill_field(page, "Message body", "Version 2 of the confirmation")
    wait_saved(page)
    published_file(server, page, flow_id, "new confirmation text")
    page.get_by_role("button", name="History").click()
    versions = page.locator(".revisions li")
    expect(versions).to_have_count(2)
    versions.nth(1).get_by_role("button", name="Compare with draft").click()
    expect(page.locator(".diff .add").first).to_be_visible()
    highlight = page.get_by_test_id("diff-highlight")
    expect(highlight).to_have_attribute("data-changed", "confirmed_message")
    expect(page.get_by_test_id("diff-widgets")).to_contain_text("changed confirmed_message")
    expect(node(page, "confirmed_message").locator(".wnode")).to_have_css("box-shadow", re.compile(r"rgb\(37, 99, 235\)"))
    page.screenshot(path=str(tmp_path / "history-diff.png"))
    page.on("dialog", lambda d: d.accept())
    versions.nth(1).get_by_role("button", name="Restore").click()
    # Version 1 is now the draft: its comparison with the draft shows no differences, at once.
    expect(page.get_by_text("No differences.")).to_be_visible()
    expect(page.get_by_test_id("diff-highlight")).to_have_attribute("data-changed", "")


def boxes_overlap(a, b) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and \
        a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


# Points along an edge's path, on screen: to tell whether it runs behind a widget.
EDGE_POINTS = """(id) => {
  const path = document.querySelector(`.react-flow__edge[data-id="${id}"] path.react-flow__edge-path`);
  const m = path.getScreenCTM(); const n = path.getTotalLength(); const out = [];
  for (let i = 0; i <= 60; i++) { const p = path.getPointAtLength(n * i / 60); out.push([p.x * m.a + m.e, p.y * m.d + m.f]); }
  return out;
}"""


def test_the_canvas_reads_well(page, server, tmp_path):
    """Issue 16, item 10: palette clicks do not stack widgets over the Trigger, the
    toolbar does not cover it, a loop back goes around the widgets, branches do not merge."""
    flow_id = server.new_flow("readable")
    open_flow(page, flow_id)
    toolbar = page.get_by_role("toolbar", name="Canvas tools").bounding_box()
    trigger = node(page, "Trigger").bounding_box()
    assert not boxes_overlap(toolbar, trigger)
    canvas = page.locator(".react-flow").bounding_box()
    assert trigger["y"] < canvas["y"] + 160, "a new flow opens with its Trigger at the top, room below to build"
    # Dropped right on the Trigger: it lands below it, not hidden under it.
    drop_widget(page, "set-variables", trigger["x"] - canvas["x"] + 40, trigger["y"] - canvas["y"] + 20)
    expect(page.locator(".react-flow__node")).to_have_count(2)
    dropped = page.locator('.react-flow__node:not([data-id="Trigger"])').bounding_box()
    assert not boxes_overlap(dropped, node(page, "Trigger").bounding_box())
    press(page, "Delete")
    expect(page.locator(".react-flow__node")).to_have_count(1)
    for _ in range(3):
        page.locator('.palette-item[data-type="send-message"]').click()
    expect(page.locator(".react-flow__node")).to_have_count(4)
    boxes = [b.bounding_box() for b in page.locator(".react-flow__node").all()]
    assert not any(boxes_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]), boxes

    flow_id = server.new_flow("loop", example="appointment-confirmation")
    open_flow(page, flow_id)
    page.get_by_role("button", name="Tidy up").click()
    page.wait_for_timeout(800)
    page.screenshot(path=str(tmp_path / "tidy.png"))
    check = node(page, "check_reply").bounding_box()
    loop = page.evaluate(EDGE_POINTS, "not_understood::sent")
    inside = [p for p in loop if check["x"] < p[0] < check["x"] + check["width"] and check["y"] < p[1] < check["y"] + check["height"]]
    assert not inside, f"the loop back runs behind check_reply at {inside[:3]}"
    # The split's branches each have their own horizontal run.
    runs = set()
    for handle in ("match:0", "match:1", "noMatch"):
        points = page.evaluate(EDGE_POINTS, f"check_reply::{handle}")
        ys = [round(y) for (x, y) in points]
        runs.add(max(set(ys), key=ys.count))   # the height the line spends the most points at
    assert len(runs) == 3, runs


def test_run_subflow_offers_the_flows_to_choose_from(page, server):
    """Issue 16, item 13: Run Subflow's Flow was free text where Studio offers choices."""
    flow_id = server.new_flow("parent")
    open_flow(page, flow_id)
    drop_widget(page, "run-subflow", 450, 260)
    box = page.locator(".inspector-panel").get_by_label(re.compile("^Flow( \\*)?$"))
    expect(box).to_have_attribute("list", re.compile(".+"))   # the flows arrive from the server
    list_id = box.get_attribute("list")
    options = page.locator(f'datalist[id="{list_id}"] option')
    expect(options.first).to_be_attached()
    values = options.evaluate_all("os => os.map(o => o.value)")
    assert {"ivr-menu", "sms-survey"} <= set(values) and flow_id not in values, values
