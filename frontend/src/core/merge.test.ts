import { describe, expect, it } from "vitest";
import { merge3 } from "./merge";
import type { FlowDoc } from "./types";

const base: FlowDoc = {
  spec_version: 1, name: "f", description: "",
  widgets: [
    { name: "Trigger", type: "trigger", transitions: { incomingMessage: "greet" } },
    { name: "greet", type: "send-message", properties: { body: "Hello" }, transitions: { sent: "sorry" } },
    { name: "sorry", type: "send-message", properties: { body: "Sorry" } },
  ],
  ui: { Trigger: { x: 0, y: 0 }, greet: { x: 0, y: 200 }, sorry: { x: 0, y: 400 } },
};

const edit = (doc: FlowDoc, name: string, body: string): FlowDoc =>
  ({ ...doc, widgets: doc.widgets.map((w) => (w.name === name ? { ...w, properties: { ...w.properties, body } } : w)) });

describe("merge3", () => {
  it("merges changes to different widgets without asking", () => {
    const theirs = edit(base, "greet", "Hello from A");
    const mine = edit(base, "sorry", "Sorry from B");
    const { doc, conflicts } = merge3(base, mine, theirs);
    expect(conflicts).toEqual([]);
    expect(doc.widgets.map((w) => w.properties?.body ?? null)).toEqual([null, "Hello from A", "Sorry from B"]);
    expect(doc.ui).toEqual(base.ui);
    expect(Object.keys(doc.widgets[1])).toEqual(["name", "type", "properties", "transitions"]);
  });

  it("takes theirs whole when this tab changed nothing", () => {
    const theirs = { ...edit(base, "greet", "Hi"), description: "new" };
    expect(merge3(base, base, theirs).doc).toEqual(theirs);
  });

  it("reports the same field changed two ways, with both values, and resolves as asked", () => {
    const theirs = edit(base, "greet", "Hello from A");
    const mine = edit(edit(base, "greet", "Hello from B"), "sorry", "Sorry from B");
    const { conflicts, doc } = merge3(base, mine, theirs, "mine");
    expect(conflicts).toEqual([expect.objectContaining({ widget: "greet", label: "body", mine: "Hello from B", theirs: "Hello from A" })]);
    expect(doc.widgets[1].properties?.body).toBe("Hello from B");
    const other = merge3(base, mine, theirs, "theirs").doc;
    expect(other.widgets[1].properties?.body).toBe("Hello from A");
    expect(other.widgets[2].properties?.body).toBe("Sorry from B");   // my other change stays
  });

  it("keeps widgets added on both sides and deletions made on one", () => {
    const theirs = { ...base, widgets: [...base.widgets, { name: "a", type: "send-message", properties: { body: "A" } }] };
    const mine = { ...base, widgets: base.widgets.filter((w) => w.name !== "sorry"), ui: { Trigger: { x: 0, y: 0 }, greet: { x: 0, y: 200 } } };
    const { doc, conflicts } = merge3(base, mine, theirs);
    expect(conflicts).toEqual([]);
    expect(doc.widgets.map((w) => w.name)).toEqual(["Trigger", "greet", "a"]);
    expect(Object.keys(doc.ui!)).toEqual(["Trigger", "greet"]);
  });

  it("asks once when a widget is deleted here and edited there", () => {
    const theirs = edit(base, "sorry", "Sorry!");
    const mine = { ...base, widgets: base.widgets.filter((w) => w.name !== "sorry") };
    const { conflicts } = merge3(base, mine, theirs);
    expect(conflicts.map((c) => [c.widget, c.label])).toEqual([["sorry", "the widget: deleted on one side, changed on the other"]]);
    expect(merge3(base, mine, theirs, "mine").doc.widgets.map((w) => w.name)).toEqual(["Trigger", "greet"]);
    const kept = merge3(base, mine, theirs, "theirs").doc;
    expect(kept.widgets.find((w) => w.name === "sorry")?.properties?.body).toBe("Sorry!");
    expect(kept.ui?.sorry).toEqual({ x: 0, y: 400 });
  });
});
