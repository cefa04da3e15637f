"""A 2,000-widget flow opens to an interactive canvas quickly, and dragging a widget on
it stays smooth.

The target is 2 s from the server's answer to a usable canvas; an idle machine here takes
about 1.7 s, but these 2-core machines are shared and the same run takes 4-5 s while other
test suites run, so the assertion is a regression guard (5 s) and the figures are printed
(`pytest -s`). Most of that time is React Flow rendering every node once to measure it
before culling to the visible ones; the server's GET /api/flows/<id> is timed separately.
"""
import os
import time

import pytest

from playwright.sync_api import expect

from .editor import center, node

N = 2000


def big_flow(flow_id: str) -> dict:
    widgets = [{"name": "Trigger", "type": "trigger", "transitions": {"incomingMessage": "w0"}}]
    ui = {"Trigger": {"x": 0, "y": -250}}
    for i in range(N - 1):
        nxt = f"w{i + 1}" if i + 1 < N - 1 else None
        if i % 3 == 2:
            widgets.append({"name": f"w{i}", "type": "split-based-on", "properties": {"input": "{{trigger.message.Body}}"},
                            "transitions": {"noMatch": nxt, "match": [
                                {"next": None, "conditions": [{"type": "equal_to", "value": "1", "friendly_name": "One"}]}]}})
        else:
            widgets.append({"name": f"w{i}", "type": "send-message", "properties": {"body": f"Message number {i}"},
                            "transitions": {"sent": nxt}})
        ui[f"w{i}"] = {"x": (i % 40) * 320, "y": (i // 40) * 250}
    return {"spec_version": 1, "name": flow_id, "widgets": widgets, "ui": ui}


def test_two_thousand_widgets_open_fast(page, server):
    flow_id = server.new_flow("big")
    created = server.api("GET", f"/api/flows/{flow_id}").json()
    r = server.api("PUT", f"/api/flows/{flow_id}/draft", json={
        "document": big_flow(flow_id), "version": 0, "base_revision": created["published"]["id"]})
    assert r.status_code == 200, r.text
    page.set_default_timeout(30000)
    start = time.monotonic()
    with page.expect_response(lambda resp: resp.url.endswith(f"/api/flows/{flow_id}")) as answer:
        page.goto(f"/flows/{flow_id}")
    answer.value.finished()
    answered = time.monotonic()
    expect(node(page, "Trigger")).to_be_visible()
    ready = time.monotonic()
    print(f"\n2,000 widgets: server answered in {answered - start:.2f} s, canvas ready {ready - answered:.2f} s later")
    busy = os.getloadavg()[0] > 2 * (os.cpu_count() or 1)
    if busy and ready - answered >= 5.0:
        pytest.skip(f"machine too busy to time the editor (load {os.getloadavg()[0]:.0f}); canvas took {ready - answered:.1f} s")
    assert ready - answered < 5.0

    # Interactive: drag one widget and time the frames while it moves.
    page.evaluate("""() => { window.__frames = []; let last = performance.now();
        const tick = (t) => { window.__frames.push(t - last); last = t; if (window.__frames.length < 400) requestAnimationFrame(tick); };
        requestAnimationFrame(tick); }""")
    x, y = center(node(page, "w0").locator(".wnode-head"))
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(40):
        page.mouse.move(x + i * 4, y + i * 2)
    page.mouse.up()
    frames = sorted(page.evaluate("() => window.__frames.slice(2)"))
    median = frames[len(frames) // 2]
    print(f"drag on 2,000 widgets: median frame {median:.1f} ms, 90th percentile {frames[int(len(frames) * .9)]:.1f} ms")
    assert median <= 34  # two frames at 60 Hz: headless Chromium here draws without a GPU
