import { describe, expect, it } from "vitest";
import { hasInput, outputHandles } from "./handles";
import { catalog, catalogList, example } from "../test/fixtures";
import type { WidgetDoc } from "./types";

describe("output handles", () => {
  it("gives every supported widget type one handle per catalog event", () => {
    for (const entry of catalogList.filter((e) => e.supported && e.type !== "split-based-on")) {
      const handles = outputHandles({ name: "w", type: entry.type }, entry);
      expect(handles.map((h) => h.label)).toEqual(entry.events.map((e) => e.label));
    }
  });

  it("labels a send-and-wait as Studio does", () => {
    const w = example("appointment-confirmation").widgets.find((x) => x.name === "ask_confirmation")!;
    expect(outputHandles(w, catalog.get(w.type))).toEqual([
      { id: "incomingMessage", label: "Reply", target: "save_reply" },
      { id: "timeout", label: "No Reply", target: "send_reminder" },
      { id: "deliveryFailure", label: "Delivery Failure", target: null },
    ]);
  });

  it("gives a split one handle per branch plus No Condition Matches", () => {
    const split: WidgetDoc = {
      name: "s", type: "split-based-on", properties: { input: "{{x}}" },
      transitions: { noMatch: "a", match: [
        { next: "b", conditions: [{ type: "equal_to", value: "1", friendly_name: "Sales" }] },
        { next: null, conditions: [{ type: "matches_any_of", value: "yes,y" }] },
        { next: null, conditions: [] },
      ] },
    };
    expect(outputHandles(split, catalog.get("split-based-on"))).toEqual([
      { id: "noMatch", label: "No Condition Matches", target: "a" },
      { id: "match:0", label: "Sales", target: "b" },
      { id: "match:1", label: "Matches Any Of yes,y", target: null },
      { id: "match:2", label: "Condition", target: null },
    ]);
  });

  it("keeps events the catalog does not know (unsupported widgets)", () => {
    const w: WidgetDoc = { name: "f", type: "send-to-auto-pilot", transitions: { sessionEnded: "x", failed: null } };
    expect(outputHandles(w, catalog.get("send-to-auto-pilot")).map((h) => h.id)).toEqual(["sessionEnded", "failed"]);
  });

  it("has no input on the trigger", () => {
    expect(hasInput({ name: "Trigger", type: "trigger" })).toBe(false);
    expect(hasInput({ name: "a", type: "send-message" })).toBe(true);
  });
});
