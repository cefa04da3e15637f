// Flow document <-> React Flow graph. The document is the truth; nodes and edges are a
// view of it. `buildNodes`/`buildEdges` reuse the previous node/edge object whenever its
// widget, position, problems and selection are unchanged, so an edit to one widget
// re-renders one node even on a canvas of thousands.
//
// A widget's handles and summary are computed once per widget object (the document is
// immutable: an edit replaces the widget) and shared by its node and its edges.
//
// A node React Flow has not measured yet carries an estimated size (`measured`) and
// estimated handle positions (`handles`, which is also how an estimate is told from a
// real measurement). React Flow then does not render every node of a big flow once to
// measure it (it does so for nodes without handle bounds, even with
// `onlyRenderVisibleElements`), shows a node as soon as it renders instead of keeping it
// hidden until measured, and can fit the view without having measured every node. A node
// is measured when it first renders; the store then drops `handles` (see
// `onNodesChange`), and React Flow keeps the handle bounds it measured.
import { Position, type Edge, type Node, type NodeHandle } from "@xyflow/react";
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

interface WidgetView {
  entry: CatalogEntry | undefined;
  handles: OutputHandle[];
  summary: string;
}

const views = new WeakMap<WidgetDoc, WidgetView>();

/** A widget's output handles and summary, computed once per widget object and catalog entry. */
export function widgetView(widget: WidgetDoc, entry: CatalogEntry | undefined): WidgetView {
  let v = views.get(widget);
  if (!v || v.entry !== entry) {
    v = { entry, handles: outputHandles(widget, entry), summary: widgetSummary(widget) };
    views.set(widget, v);
  }
  return v;
}

// The card's geometry (styles.css, .wnode): what the estimate below is made of.
const MIN_WIDTH = 240;
const NAME_CHAR = 8.4; // px per character of the name (14px, weight 650)
const HEAD_EXTRA = 28 + 9 + 22 + 3 + 24; // icon, gap, padding, borders, badge room
const PORT_CHAR = 5.5; // px per character of a port label (0.72rem)
const PORT_EXTRA = 16; // a port's padding and border
const PORT_GAP = 4.2;
const OUTPUTS_PAD = 16;
const HEAD_HEIGHT = 51; // top border + head
const SUMMARY_HEIGHT = 23;
const OUTPUTS_HEIGHT = 36;

/**
 * Estimated size of a widget's card and where its handles are, before React Flow measures
 * it. The size ends in .5: React Flow measures whole pixels, so a measurement always
 * differs from the estimate and replaces it (with the real handle positions).
 */
export function estimateNode(widget: WidgetDoc, view: WidgetView): { width: number; height: number; handles: NodeHandle[] } {
  const ports = view.handles.map((h) => Math.min(MIN_WIDTH, h.label.length * PORT_CHAR + PORT_EXTRA));
  const row = ports.reduce((a, b) => a + b, 0) + PORT_GAP * Math.max(0, ports.length - 1) + OUTPUTS_PAD;
  const width = Math.round(Math.min(560, Math.max(MIN_WIDTH, widget.name.length * NAME_CHAR + HEAD_EXTRA, row))) + 0.5;
  const height = Math.round(HEAD_HEIGHT + (view.summary ? SUMMARY_HEIGHT : 0) + (ports.length ? OUTPUTS_HEIGHT : 0)) + 0.5;
  const handles: NodeHandle[] = [];
  if (hasInput(widget)) handles.push({ id: INPUT_HANDLE, type: "target", position: Position.Top, x: width / 2 - 6, y: -13, width: 12, height: 12 });
  let x = (width - row) / 2 + OUTPUTS_PAD / 2;
  view.handles.forEach((h, i) => {
    handles.push({ id: h.id, type: "source", position: Position.Bottom, x: x + ports[i] / 2 - 5, y: height - 9.5, width: 10, height: 10 });
    x += ports[i] + PORT_GAP;
  });
  return { width, height, handles };
}

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

/** Whether no widget of `doc` has a place on the canvas (a flow file written by hand). */
export function unplaced(doc: FlowDoc): boolean {
  const ui = doc.ui ?? {};
  return doc.widgets.length > 1 && doc.widgets.every((w) => typeof ui[w.name]?.x !== "number");
}

/** The nodes of `doc`, reusing `previous` nodes (by widget name) that did not change;
 * a widget without a `ui` place goes where `laidOut` says, else on a grid below the rest. */
export function buildNodes(
  doc: FlowDoc,
  catalog: Map<string, CatalogEntry>,
  counts: Map<string, IssueCount>,
  selected: ReadonlySet<string>,
  previous?: Map<string, WidgetNode>,
  laidOut?: Record<string, { x: number; y: number }>,
): WidgetNode[] {
  const ui = doc.ui ?? {};
  let placed = 0;
  let top: number | null = null;
  return doc.widgets.map((widget) => {
    let position: { x: number; y: number } | undefined = ui[widget.name];
    if (!position || typeof position.x !== "number") position = laidOut?.[widget.name];
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
    let data: WidgetNodeData;
    if (old && old.data.widget === widget && old.data.catalog === entry && old.data.errors === errors && old.data.warnings === warnings) {
      data = old.data;
    } else {
      const view = widgetView(widget, entry);
      data = { widget, catalog: entry, handles: view.handles, summary: view.summary, input: hasInput(widget), errors, warnings };
    }
    const node: WidgetNode = { id: widget.name, type: "widget", position: { x: position.x, y: position.y }, data,
      selected: isSelected, deletable: widget.type !== "trigger" };
    if (old?.measured && (!old.handles || old.data.widget === widget)) {
      node.measured = old.measured;
      if (old.handles) node.handles = old.handles;
    } else {
      const guess = estimateNode(widget, widgetView(widget, entry));
      node.measured = { width: guess.width, height: guess.height };
      node.handles = guess.handles;
    }
    return node;
  });
}

export function edgeId(source: string, handle: string): string {
  return `${source}::${handle}`;
}

/** One edge per connected output; edges to widgets that do not exist are left out (the validator reports them). */
export function buildEdges(doc: FlowDoc, selected: ReadonlySet<string> = new Set(), previous?: Map<string, Edge>,
  catalog?: Map<string, CatalogEntry>): Edge[] {
  const names = new Set(doc.widgets.map((w) => w.name));
  const edges: Edge[] = [];
  for (const widget of doc.widgets) {
    // With the catalog, the handles its node already computed (the same ids and targets).
    const handles = catalog ? widgetView(widget, catalog.get(widget.type)).handles : outputHandles(widget);
    for (const [lane, handle] of handles.entries()) {
      if (!handle.target || !names.has(handle.target)) continue;
      const id = edgeId(widget.name, handle.id);
      const isSelected = selected.has(id);
      const old = previous?.get(id);
      if (old && old.target === handle.target && !!old.selected === isSelected && (old.data as { lane?: number } | undefined)?.lane === lane) {
        edges.push(old);
        continue;
      }
      edges.push({ id, source: widget.name, sourceHandle: handle.id, target: handle.target,
        targetHandle: INPUT_HANDLE, selected: isSelected, data: { lane } });
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
