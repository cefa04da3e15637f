import { beforeEach, describe, expect, it } from "vitest";
import { deleteSelection } from "../store/actions";
import { useEditor } from "../store/editor";
import { catalogList, example } from "../test/fixtures";
import { deletedText, useNotice } from "./notice";

describe("deleting widgets", () => {
  const doc = example("appointment-confirmation");
  beforeEach(() => {
    useEditor.getState().setCatalog(catalogList);
    useEditor.getState().load({ id: "a", document: doc, issues: [], draft: null, published: null, webhook_url: "" });
    useNotice.setState({ notice: null });
  });

  it("says what was deleted and offers Undo, which brings it back", () => {
    useEditor.getState().select(["save_reply"]);
    deleteSelection();
    const notice = useNotice.getState().notice!;
    expect(notice.text).toBe("Deleted “save_reply”");
    expect(notice.action?.label).toBe("Undo");
    expect(useEditor.getState().doc!.widgets.some((w) => w.name === "save_reply")).toBe(false);
    notice.action!.run();
    expect(useEditor.getState().doc).toBe(doc);
  });

  it("says nothing when nothing was deleted (the Trigger stays)", () => {
    useEditor.getState().select(["Trigger"]);
    deleteSelection();
    expect(useNotice.getState().notice).toBeNull();
    expect(useEditor.getState().past).toHaveLength(0);
  });

  it("counts several widgets and connections", () => {
    expect(deletedText(["a", "b", "c"], 1)).toBe("Deleted 3 widgets and a connection");
    expect(deletedText([], 2)).toBe("Removed 2 connections");
    expect(deletedText([], 0)).toBeNull();
  });
});
