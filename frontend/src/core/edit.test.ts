import { describe, expect, it } from "vitest";
import { connect, deleteWidgets, moveWidgets, newWidget, widgetNames } from "./edit";
import { numberedName, freeName } from "./names";
import { catalog, example } from "../test/fixtures";

describe("document edits", () => {
  const doc = example("appointment-confirmation");

  it("names new widgets after their type with defaults from the catalog", () => {
    const w = newWidget(catalog.get("send-and-wait-for-reply")!, widgetNames(doc));
    expect(w.name).toBe("send_and_wait_for_reply_1");
    expect(w.properties).toMatchObject({ timeout: 3600 });
    expect(w.transitions).toEqual({ incomingMessage: null, timeout: null, deliveryFailure: null });
    expect(newWidget(catalog.get("make-outgoing-call-v2")!, new Set()).name).toBe("make_outgoing_call_1");
    expect(numberedName("a", new Set(["a_1"]))).toBe("a_2");
    expect(freeName("a_3", new Set(["a_3", "a_1"]))).toBe("a_2");
  });

  it("connects events and split branches, replacing the old target", () => {
    let next = connect(doc, "ask_confirmation", "timeout", "not_understood");
    expect(next.widgets.find((w) => w.name === "ask_confirmation")!.transitions!.timeout).toBe("not_understood");
    next = connect(next, "check_reply", "match:1", "not_understood");
    expect(next.widgets.find((w) => w.name === "check_reply")!.transitions!.match![1].next).toBe("not_understood");
    expect(next.widgets.find((w) => w.name === "save_reply")).toBe(doc.widgets.find((w) => w.name === "save_reply"));
  });

  it("deletes widgets and the transitions into them, never the trigger", () => {
    const next = deleteWidgets(doc, ["check_reply", "Trigger"]);
    expect(widgetNames(next).has("check_reply")).toBe(false);
    expect(widgetNames(next).has("Trigger")).toBe(true);
    expect(next.widgets.find((w) => w.name === "save_reply")!.transitions!.next).toBeNull();
    expect(next.ui!.check_reply).toBeUndefined();
  });

  it("moves widgets by changing ui only", () => {
    const next = moveWidgets(doc, { save_reply: { x: 10.4, y: 20 } });
    expect(next.ui!.save_reply).toEqual({ x: 10, y: 20 });
    expect(next.widgets).toBe(doc.widgets);
    expect(moveWidgets(doc, { save_reply: doc.ui!.save_reply })).toBe(doc);
  });
});

describe("freeSpot", () => {
  it("keeps a free place and moves down from a taken one until nothing is covered", async () => {
    const { freeSpot } = await import("./edit");
    const trigger = { position: { x: 0, y: 0 }, measured: { width: 400, height: 90 } };
    expect(freeSpot({ x: 600, y: 0 }, [trigger])).toEqual({ x: 600, y: 0 });
    const first = freeSpot({ x: 50, y: 10 }, [trigger]);
    expect(first.x).toBe(50);
    expect(first.y).toBeGreaterThanOrEqual(90 + 30);
    const second = freeSpot({ x: 50, y: 10 }, [trigger, { position: first }]);
    expect(second.y).toBeGreaterThanOrEqual(first.y + 110 + 30);
  });
});

describe("issueWords", () => {
  it("says a missing property by its form label", async () => {
    const { issueWords } = await import("./issues");
    const cat = catalog;
    expect(issueWords("to is required", "send-message", cat)).toBe("Send message to is required");
    expect(issueWords("flow_sid is required", "run-subflow", cat)).toBe("Flow is required");
    expect(issueWords("url is required", "make-http-request", cat)).toBe("Request URL is required");
    expect(issueWords("something else", "send-message", cat)).toBe("something else");
  });
});
