"""A flow file written by hand (in git, without canvas places) opens laid out.

Before: its widgets were put on a grid of fixed steps, so a wide widget (the Trigger,
with its five starts) covered the next one and its outputs could not be reached."""
import uuid

from playwright.sync_api import expect

from .editor import node, open_flow

FLOW = """\
spec_version: 1
name: {id}
widgets:
  - name: Trigger
    type: trigger
    transitions: {{incomingMessage: route}}
  - name: route
    type: split-based-on
    properties: {{input: "{{{{trigger.message.Body | upcase}}}}"}}
    transitions:
      noMatch: welcome
      match:
        - next: stopped
          conditions: [{{type: equal_to, value: STOP, friendly_name: Stop}}]
        - next: help
          conditions: [{{type: equal_to, value: HELP, friendly_name: Help}}]
  - name: stopped
    type: send-message
    properties: {{body: You are unsubscribed.}}
  - name: help
    type: send-message
    properties: {{body: Text YES for offers.}}
  - name: welcome
    type: send-and-wait-for-reply
    properties: {{body: Welcome! Reply YES for offers., timeout: 3600}}
    transitions: {{incomingMessage: thanks, timeout: bye}}
  - name: thanks
    type: send-message
    properties: {{body: Thanks!}}
  - name: bye
    type: send-message
    properties: {{body: Bye.}}
"""
NAMES = ("Trigger", "route", "stopped", "help", "welcome", "thanks", "bye")


def overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def test_a_flow_file_without_canvas_places_opens_laid_out_and_unchanged(page, server):
    flow_id = f"by-hand-{uuid.uuid4().hex[:6]}"
    path = server.flows / f"{flow_id}.yaml"
    path.write_text(FLOW.format(id=flow_id))
    written = path.read_text()
    open_flow(page, flow_id)
    # laid out top to bottom: each widget below the one that leads to it
    expect(node(page, "route")).to_be_visible()
    page.wait_for_function("""() => {
        const box = (n) => document.querySelector(`.react-flow__node[data-id="${n}"]`).getBoundingClientRect();
        return box('route').top > box('Trigger').bottom && box('welcome').top > box('route').bottom;
    }""", timeout=10_000)
    page.wait_for_timeout(600)   # the view fits the flow again
    boxes = {n: node(page, n).bounding_box() for n in NAMES}
    covered = [(a, b) for i, a in enumerate(NAMES) for b in NAMES[i + 1:] if overlap(boxes[a], boxes[b])]
    assert covered == []
    assert boxes["thanks"]["y"] > boxes["welcome"]["y"] and boxes["bye"]["y"] > boxes["welcome"]["y"]
    # opening it changed nothing: no draft, and the file is as written
    expect(page.get_by_text("Unpublished changes")).to_have_count(0)
    assert server.api("GET", f"/api/flows/{flow_id}").json()["draft"] is None
    assert path.read_text() == written
