// Flow document <-> React Flow graph. The document is the truth; nodes and edges are a
// view of it. `buildNodes`/`buildEdges` reuse the previous node/edge object whenever its
// widget, position, problems and selection are unchanged, so an edit to one widget
// re-renders one node even on a canvas of thousands.
import type { Edge, Node } from "@xyflow/react";
import { hasInput, outputHandles, type OutputHandle } from "./handles";
import type { IssueCount } from "./issues";
import { widgetSummary } from "./summary";
import type { CatalogEntry, FlowDoc, WidgetDoc } from "./types";

export interface WidgetNodeData extends Record<string, unknown> {
  widget: WidgetDoc;
  catalog: CatalogEntry | undefined;
  handles: OutputHandle[];
  summary: string;
  input: boolean;
  errors: number;
  warnings: number;
}

export type WidgetNode = Node<WidgetNodeData, "widget">;

export const INPUT_HANDLE = "in";
const GRID_COLUMNS = 6;
const SPACING = { x: 320, y: 220 };

/** Where a widget without a `ui` entry goes: a grid under everything else. */
function fallbackPosition(index: number, top: number) {
  return { x: (index % GRID_COLUMNS) * SPACING.x, y: top + Math.floor(index / GRID_COLUMNS) * SPACING.y };
}

function lowestY(doc: FlowDoc): number {
  let y = -Infinity;
  for (const p of Object.values(doc.ui ?? {})) if (p && typeof p.y === "number") y = Math.max(y, p.y);
  return y === -Infinity ? 0 : y + SPACING.y;
}

/** The nodes of `doc`, reusing `previous` nodes (by widget name) that did not change. */
export function buildNodes(
  doc: FlowDoc,
  catalog: Map<string, CatalogEntry>,
  counts: Map<string, IssueCount>,
  selected: ReadonlySet<string>,
  previous?: Map<string, WidgetNode>,
): WidgetNode[] {
  const ui = doc.ui ?? {};
  let placed = 0;
  let top: number | null = null;
  return doc.widgets.map((widget) => {
    let position = ui[widget.name];
    if (!position || typeof position.x !== "number") {
      top ??= lowestY(doc);
      position = fallbackPosition(placed++, top);
    }
    const entry = catalog.get(widget.type);
    const count = counts.get(widget.name);
    const errors = count?.errors ?? 0;
    const warnings = count?.warnings ?? 0;
    const isSelected = selected.has(widget.name);
    const old = previous?.get(widget.name);
    if (old && old.data.widget === widget && old.data.catalog === entry && old.data.errors === errors &&
        old.data.warnings === warnings && old.position.x === position.x && old.position.y === position.y &&
        !!old.selected === isSelected) {
      return old;
    }
    const data: WidgetNodeData = old && old.data.widget === widget && old.data.catalog === entry &&
      old.data.errors === errors && old.data.warnings === warnings
      ? old.data
      : { widget, catalog: entry, handles: outputHandles(widget, entry), summary: widgetSummary(widget),
          input: hasInput(widget), errors, warnings };
    const node: WidgetNode = { id: widget.name, type: "widget", position: { x: position.x, y: position.y }, data,
      selected: isSelected, deletable: widget.type !== "trigger" };
    if (old?.measured) node.measured = old.measured;
    return node;
  });
}

export function edgeId(source: string, handle: string): string {
  return `${source}::${handle}`;
}

/** One edge per connected output; edges to widgets that do not exist are left out (the validator reports them). */
export function buildEdges(doc: FlowDoc, selected: ReadonlySet<string> = new Set(), previous?: Map<string, Edge>): Edge[] {
  const names = new Set(doc.widgets.map((w) => w.name));
  const edges: Edge[] = [];
  for (const widget of doc.widgets) {
    for (const handle of outputHandles(widget)) {
      if (!handle.target || !names.has(handle.target)) continue;
      const id = edgeId(widget.name, handle.id);
      const isSelected = selected.has(id);
      const old = previous?.get(id);
      if (old && old.target === handle.target && !!old.selected === isSelected) {
        edges.push(old);
        continue;
      }
      edges.push({ id, source: widget.name, sourceHandle: handle.id, target: handle.target,
        targetHandle: INPUT_HANDLE, selected: isSelected });
    }
  }
  return edges;
}

/**
 * The document a graph describes: positions from the nodes, connections from the edges
 * (outputs without an edge are kept but point to null). With `buildNodes`/`buildEdges`
 * this is a round trip; the tests use it to prove the canvas hides nothing.
 */
export function graphToDoc(doc: FlowDoc, nodes: Node[], edges: Edge[]): FlowDoc {
  const ui: Record<string, { x: number; y: number }> = {};
  for (const node of nodes) ui[node.id] = { x: node.position.x, y: node.position.y };
  const targets = new Map(edges.map((e) => [edgeId(e.source, e.sourceHandle ?? ""), e.target]));
  const widgets = doc.widgets.map((w) => {
    if (!w.transitions) return w;
    const transitions = { ...w.transitions };
    for (const [event, value] of Object.entries(w.transitions)) {
      if (event === "match" || Array.isArray(value)) continue;
      const t = targets.get(edgeId(w.name, event));
      transitions[event] = t ?? (typeof value === "string" && !doc.widgets.some((x) => x.name === value) ? value : null);
    }
    if (w.transitions.match) {
      const exists = (n: string | null) => !!n && doc.widgets.some((x) => x.name === n);
      transitions.match = w.transitions.match.map((b, i) => ({
        ...b, next: targets.get(edgeId(w.name, `match:${i}`)) ?? (exists(b.next) ? null : b.next) }));
    }
    return { ...w, transitions };
  });
  return { ...doc, widgets, ui };
}
