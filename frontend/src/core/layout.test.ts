import { describe, expect, it } from "vitest";
import { autoLayout } from "./layout";
import { example } from "../test/fixtures";

describe("auto-layout", () => {
  it("places every widget, the trigger on top, each layer below the one before", async () => {
    const doc = example("appointment-confirmation");
    const positions = await autoLayout(doc, new Map());
    expect(Object.keys(positions).sort()).toEqual(doc.widgets.map((w) => w.name).sort());
    expect(positions.Trigger.y).toBeLessThan(positions.ask_confirmation.y);
    expect(positions.ask_confirmation.y).toBeLessThan(positions.save_reply.y);
  });
});
