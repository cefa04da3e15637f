import { describe, expect, it } from "vitest";
import { copyWidgets, pasteWidgets, readSnippet } from "./clipboard";
import { addWidgets } from "./edit";
import { example } from "../test/fixtures";

describe("clipboard", () => {
  const doc = example("appointment-confirmation");

  it("round trips widgets through YAML text", () => {
    const text = copyWidgets(doc, ["save_reply", "check_reply"])!;
    const snippet = readSnippet(text)!;
    expect(snippet.widgets).toEqual(doc.widgets.filter((w) => ["save_reply", "check_reply"].includes(w.name)));
    expect(snippet.ui).toEqual({ save_reply: doc.ui!.save_reply, check_reply: doc.ui!.check_reply });
  });

  it("never copies the trigger and ignores other text", () => {
    expect(copyWidgets(doc, ["Trigger"])).toBeNull();
    expect(readSnippet("hello")).toBeNull();
    expect(readSnippet("a: [")).toBeNull();
  });

  it("renames taken names, keeps inner links, drops outer ones, offsets", () => {
    const snippet = readSnippet(copyWidgets(doc, ["save_reply", "check_reply"])!)!;
    const { widgets, ui } = pasteWidgets(doc, snippet, { x: 40, y: 40 });
    expect(widgets.map((w) => w.name)).toEqual(["save_reply_1", "check_reply_1"]);
    expect(widgets[0].transitions).toEqual({ next: "check_reply_1" });
    expect(widgets[1].transitions!.noMatch).toBeNull();
    expect(widgets[1].transitions!.match!.map((b) => b.next)).toEqual([null, null]);
    expect(ui.save_reply_1).toEqual({ x: doc.ui!.save_reply.x + 40, y: doc.ui!.save_reply.y + 40 });
    // Pasting twice gives fresh names again.
    const once = addWidgets(doc, widgets, ui);
    expect(pasteWidgets(once, snippet, { x: 80, y: 80 }).widgets.map((w) => w.name)).toEqual(["save_reply_2", "check_reply_2"]);
  });

  it("rewrites templates that name a renamed widget", () => {
    const snippet = readSnippet(copyWidgets(doc, ["ask_confirmation", "save_reply"])!)!;
    const { widgets } = pasteWidgets(doc, snippet, { x: 0, y: 0 });
    const vars = widgets[1].properties!.variables as { value: string }[];
    expect(vars[0].value).toBe("{{widgets.ask_confirmation_1.inbound.Body}}");
  });

  it("pastes into another flow under the same names", () => {
    const other = example("ivr-menu");
    const { widgets } = pasteWidgets(other, readSnippet(copyWidgets(doc, ["save_reply"])!)!, { x: 0, y: 0 });
    expect(widgets[0].name).toBe("save_reply");
  });
});
