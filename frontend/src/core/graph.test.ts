import { describe, expect, it } from "vitest";
import { buildEdges, buildNodes, graphToDoc } from "./graph";
import { countByWidget } from "./issues";
import { catalog, example, exampleIds } from "../test/fixtures";

describe("doc <-> graph", () => {
  for (const id of exampleIds()) {
    it(`round trips ${id}`, () => {
      const doc = example(id);
      const nodes = buildNodes(doc, catalog, new Map(), new Set());
      const edges = buildEdges(doc);
      expect(nodes).toHaveLength(doc.widgets.length);
      expect(graphToDoc(doc, nodes, edges)).toEqual(doc);
    });
  }

  it("makes one edge per connected output, branches included", () => {
    const doc = example("appointment-confirmation");
    const edges = buildEdges(doc);
    const fromSplit = edges.filter((e) => e.source === "check_reply").map((e) => [e.sourceHandle, e.target]);
    expect(fromSplit).toEqual([
      ["noMatch", "not_understood"],
      ["match:0", "confirmed_message"],
      ["match:1", "cancel_appointment"],
    ]);
    expect(edges.find((e) => e.source === "no_response_notice")).toBeUndefined();
  });

  it("reuses unchanged nodes and edges", () => {
    const doc = example("appointment-confirmation");
    const nodes = buildNodes(doc, catalog, new Map(), new Set());
    const edges = buildEdges(doc);
    const changed = { ...doc, widgets: doc.widgets.map((w) => (w.name === "save_reply" ? { ...w, description: "x" } : w)) };
    const again = buildNodes(changed, catalog, new Map(), new Set(), new Map(nodes.map((n) => [n.id, n])));
    const same = again.filter((n, i) => n === nodes[i]).length;
    expect(same).toBe(nodes.length - 1);
    const edgesAgain = buildEdges(changed, new Set(), new Map(edges.map((e) => [e.id, e])));
    expect(edgesAgain.every((e, i) => e === edges[i])).toBe(true);
  });

  it("puts problem counts and selection on nodes", () => {
    const doc = example("appointment-confirmation");
    const counts = countByWidget([
      { code: "x", severity: "error", message: "m", widget: "ask_confirmation", path: null, file: null, line: null, column: null },
      { code: "y", severity: "warning", message: "m", widget: "ask_confirmation", path: null, file: null, line: null, column: null },
    ]);
    const nodes = buildNodes(doc, catalog, counts, new Set(["save_reply"]));
    const ask = nodes.find((n) => n.id === "ask_confirmation")!;
    expect([ask.data.errors, ask.data.warnings]).toEqual([1, 1]);
    expect(nodes.find((n) => n.id === "save_reply")!.selected).toBe(true);
    expect(nodes.find((n) => n.id === "Trigger")!.deletable).toBe(false);
  });

  it("places widgets without a position below the others", () => {
    const doc = example("appointment-confirmation");
    const ui = { ...doc.ui };
    delete ui.save_reply;
    const nodes = buildNodes({ ...doc, ui }, catalog, new Map(), new Set());
    expect(nodes.find((n) => n.id === "save_reply")!.position.y).toBeGreaterThan(1500);
  });
});
