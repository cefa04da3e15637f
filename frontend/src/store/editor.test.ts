import { beforeEach, describe, expect, it } from "vitest";
import { connect, deleteWidgets, moveWidgets } from "../core/edit";
import { catalogList, example } from "../test/fixtures";
import { useEditor } from "./editor";

describe("editor store", () => {
  const doc = example("appointment-confirmation");
  beforeEach(() => {
    useEditor.getState().setCatalog(catalogList);
    useEditor.getState().load({ id: "a", document: doc, issues: [], draft: null, published: null, webhook_url: "" });
  });

  it("undoes and redoes each edit as one step", () => {
    const s = useEditor.getState();
    s.commit(moveWidgets(doc, { save_reply: { x: 5, y: 5 } }));
    useEditor.getState().commit(deleteWidgets(useEditor.getState().doc!, ["save_reply"]));
    expect(useEditor.getState().nodes).toHaveLength(doc.widgets.length - 1);
    useEditor.getState().undo();
    expect(useEditor.getState().doc!.ui!.save_reply).toEqual({ x: 5, y: 5 });
    useEditor.getState().undo();
    expect(useEditor.getState().doc).toBe(doc);
    expect(useEditor.getState().past).toHaveLength(0);
    useEditor.getState().redo();
    useEditor.getState().redo();
    expect(useEditor.getState().nodes).toHaveLength(doc.widgets.length - 1);
    useEditor.getState().redo(); // nothing left: no change
    expect(useEditor.getState().future).toHaveLength(0);
  });

  it("forgets the redo steps after a new edit and marks the document unsaved", () => {
    useEditor.getState().commit(connect(doc, "ask_confirmation", "timeout", null));
    expect(useEditor.getState().status).toBe("unsaved");
    useEditor.getState().undo();
    useEditor.getState().commit(connect(doc, "ask_confirmation", "deliveryFailure", "not_understood"));
    expect(useEditor.getState().future).toHaveLength(0);
    expect(useEditor.getState().edges.some((e) => e.id === "ask_confirmation::deliveryFailure")).toBe(true);
  });

  it("drops deleted widgets from the selection and shows problems on nodes", () => {
    useEditor.getState().select(["save_reply", "check_reply"]);
    useEditor.getState().commit(deleteWidgets(doc, ["save_reply"]));
    expect([...useEditor.getState().selection]).toEqual(["check_reply"]);
    useEditor.getState().setIssues([{ code: "c", severity: "error", message: "m", widget: "check_reply", path: null, file: null, line: null, column: null }]);
    expect(useEditor.getState().nodes.find((n) => n.id === "check_reply")!.data.errors).toBe(1);
  });

  it("keeps an estimate until React Flow measures a node, and ignores a measurement that changes nothing", () => {
    const node = useEditor.getState().nodes.find((n) => n.id === "save_reply")!;
    expect(node.measured!.width).toBeGreaterThanOrEqual(240);
    expect(node.handles!.map((h) => h.id)).toContain("in");
    useEditor.getState().onNodesChange([{ id: "save_reply", type: "dimensions", dimensions: { width: 250, height: 90 } }]);
    const measured = useEditor.getState().nodes.find((n) => n.id === "save_reply")!;
    expect(measured.measured).toEqual({ width: 250, height: 90 });
    expect(measured.handles).toBeUndefined();
    const nodes = useEditor.getState().nodes;
    useEditor.getState().onNodesChange([{ id: "save_reply", type: "dimensions", dimensions: { width: 250, height: 90 } }]);
    expect(useEditor.getState().nodes).toBe(nodes);
    // An edit elsewhere keeps the measurement; the edges are not rebuilt by a selection.
    const edges = useEditor.getState().edges;
    useEditor.getState().select(["check_reply"]);
    expect(useEditor.getState().edges).toBe(edges);
    expect(useEditor.getState().nodes.find((n) => n.id === "save_reply")!.measured).toEqual({ width: 250, height: 90 });
  });
});
