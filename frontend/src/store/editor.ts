// The one editor store: the flow document, its undo history, the selection, the problems
// the server found, and the React Flow nodes/edges kept in step with them. Every document
// edit goes through `commit`, which is what makes each edit exactly one undo step.
import { applyEdgeChanges, applyNodeChanges, type Edge, type EdgeChange, type NodeChange } from "@xyflow/react";
import { create } from "zustand";
import { buildEdges, buildNodes, type WidgetNode } from "../core/graph";
import { countByWidget } from "../core/issues";
import type { CatalogEntry, FlowDoc, Issue } from "../core/types";
import type { Draft, Revision } from "../api/client";
import type { Conflict } from "../core/merge";
import type { Position } from "../core/edit";

const HISTORY_LIMIT = 200;

export type SaveStatus = "saved" | "unsaved" | "saving" | "error";

export interface EditorState {
  flowId: string | null;
  catalog: Map<string, CatalogEntry>;
  doc: FlowDoc | null;
  past: FlowDoc[];
  future: FlowDoc[];
  selection: ReadonlySet<string>;
  selectedEdges: ReadonlySet<string>;
  issues: Issue[];
  nodes: WidgetNode[];
  edges: Edge[];
  /** The field the inspector should focus (set by the problems list). */
  focusPath: string | undefined;
  /** Ask the canvas to centre a widget (the number changes on every request). */
  reveal: { name: string; n: number } | null;
  /** Where widgets without a `ui` place are drawn, laid out when a flow written without
   * any (by hand, or by a script) is opened; nothing is saved until someone edits. */
  laidOut: Record<string, Position> | null;
  // Saving
  draft: Draft | null;
  published: Revision | null;
  webhookUrl: string;
  savedDoc: FlowDoc | null;
  status: SaveStatus;
  saveError: string | null;
  /** True while the same field was changed here and elsewhere and the person has to choose. */
  conflict: boolean;
  /** Those fields, with both values (what each choice loses). */
  conflicts: Conflict[];

  setCatalog(entries: CatalogEntry[]): void;
  load(flow: { id: string; document: FlowDoc; issues: Issue[]; draft: Draft | null; published: Revision | null; webhook_url: string }): void;
  /** Take the server's flow as the saved state, editing `doc` (the server's document, or
   * this tab's edits merged onto it). The undo history goes: undoing past a merge would
   * silently revert the other side's work. */
  adopt(flow: { document: FlowDoc; issues: Issue[]; draft: Draft | null; published: Revision | null; webhook_url: string }, doc: FlowDoc): void;
  commit(next: FlowDoc): void;
  undo(): void;
  redo(): void;
  select(names: Iterable<string>, focusPath?: string): void;
  /** Select one widget and centre it on the canvas. */
  revealWidget(name: string, focusPath?: string): void;
  onNodesChange(changes: NodeChange<WidgetNode>[]): void;
  onEdgesChange(changes: EdgeChange[]): void;
  setIssues(issues: Issue[]): void;
  set(partial: Partial<EditorState>): void;
  /** Draw widgets without a `ui` place at these places (see `laidOut`). */
  setLaidOut(laidOut: Record<string, Position>): void;
}

// What the last edges were built from: a change of selection or problems leaves the edges
// as they were, without going over every widget's outputs again.
let edgesFrom: { widgets: unknown; selected: unknown; catalog: unknown; edges: Edge[] } | null = null;

function derive(s: Pick<EditorState, "doc" | "catalog" | "issues" | "selection" | "selectedEdges" | "nodes" | "edges" | "laidOut">) {
  if (!s.doc) return { nodes: [], edges: [] };
  const prevNodes = new Map(s.nodes.map((n) => [n.id, n]));
  const nodes = buildNodes(s.doc, s.catalog, countByWidget(s.issues), s.selection, prevNodes, s.laidOut ?? undefined);
  const e = edgesFrom;
  if (e && e.edges === s.edges && e.widgets === s.doc.widgets && sameSet(e.selected as ReadonlySet<string>, s.selectedEdges) && e.catalog === s.catalog) {
    return { nodes, edges: s.edges };
  }
  const edges = buildEdges(s.doc, s.selectedEdges, new Map(s.edges.map((x) => [x.id, x])), s.catalog);
  edgesFrom = { widgets: s.doc.widgets, selected: s.selectedEdges, catalog: s.catalog, edges };
  return { nodes, edges };
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a === b || (a.size === 0 && b.size === 0);
}

/** Whether a node change would change nothing: a size React Flow measured again, the same as stored. */
function sameSize(change: NodeChange<WidgetNode>, byId: () => Map<string, WidgetNode>): boolean {
  if (change.type !== "dimensions" || !change.dimensions || change.resizing !== undefined || change.setAttributes) return false;
  const m = byId().get(change.id)?.measured;
  return !!m && m.width === change.dimensions.width && m.height === change.dimensions.height;
}

/** Names in `names` that exist in `doc` (a selection after undo may name deleted widgets). */
function existing(doc: FlowDoc, names: ReadonlySet<string>): ReadonlySet<string> {
  if (!names.size) return names;
  const all = new Set(doc.widgets.map((w) => w.name));
  return new Set([...names].filter((n) => all.has(n)));
}

export const useEditor = create<EditorState>()((set, get) => ({
  flowId: null,
  catalog: new Map(),
  doc: null,
  past: [],
  future: [],
  selection: new Set(),
  selectedEdges: new Set(),
  issues: [],
  nodes: [],
  edges: [],
  focusPath: undefined,
  reveal: null,
  laidOut: null,
  draft: null,
  published: null,
  webhookUrl: "",
  savedDoc: null,
  status: "saved",
  saveError: null,
  conflict: false,
  conflicts: [],

  setCatalog(entries) {
    const catalog = new Map(entries.map((e) => [e.type, e]));
    set((s) => ({ catalog, ...derive({ ...s, catalog, nodes: [], edges: [] }) }));
  },

  load(flow) {
    const base = { doc: flow.document, issues: flow.issues ?? [], selection: new Set<string>(), selectedEdges: new Set<string>(),
      laidOut: null };
    set((s) => ({
      ...base, flowId: flow.id, past: [], future: [], focusPath: undefined, draft: flow.draft, published: flow.published,
      webhookUrl: flow.webhook_url, savedDoc: flow.document, status: "saved", saveError: null, conflict: false,
      conflicts: [], ...derive({ ...s, ...base, nodes: [], edges: [] }),
    }));
  },

  adopt(flow, doc) {
    const s = get();
    const selection = existing(doc, s.selection);
    const issues = doc === flow.document ? flow.issues ?? [] : s.issues;
    set({ doc, savedDoc: flow.document, draft: flow.draft, published: flow.published, webhookUrl: flow.webhook_url,
      past: [], future: [], selection, issues, conflict: false, conflicts: [], saveError: null,
      status: doc === flow.document ? "saved" : "unsaved", ...derive({ ...s, doc, selection, issues }) });
  },

  commit(next) {
    const s = get();
    if (!s.doc || next === s.doc) return;
    const past = [...s.past, s.doc].slice(-HISTORY_LIMIT);
    const selection = existing(next, s.selection);
    set({ doc: next, past, future: [], selection, status: "unsaved", ...derive({ ...s, doc: next, selection }) });
  },

  undo() {
    const s = get();
    if (!s.doc || !s.past.length) return;
    const doc = s.past[s.past.length - 1];
    const selection = existing(doc, s.selection);
    set({ doc, past: s.past.slice(0, -1), future: [s.doc, ...s.future], selection, status: "unsaved",
      ...derive({ ...s, doc, selection }) });
  },

  redo() {
    const s = get();
    if (!s.doc || !s.future.length) return;
    const doc = s.future[0];
    const selection = existing(doc, s.selection);
    set({ doc, past: [...s.past, s.doc], future: s.future.slice(1), selection, status: "unsaved",
      ...derive({ ...s, doc, selection }) });
  },

  select(names, focusPath) {
    const s = get();
    const selection = new Set(names);
    set({ selection, selectedEdges: new Set(), focusPath, ...derive({ ...s, selection, selectedEdges: new Set() }) });
  },

  revealWidget(name, focusPath) {
    get().select([name], focusPath);
    set({ reveal: { name, n: (get().reveal?.n ?? 0) + 1 } });
  },

  onNodesChange(changes) {
    // Positions while dragging, sizes once measured, and selection changes come from React
    // Flow; only the end of a drag touches the document (see canvas onNodeDragStop).
    const s = get();
    let index: Map<string, WidgetNode> | null = null;
    const byId = () => (index ??= new Map(s.nodes.map((n) => [n.id, n])));
    if (changes.some((c) => c.type === "dimensions")) changes = changes.filter((c) => !sameSize(c, byId));
    if (!changes.length) return; // no new node array: React Flow has nothing to redo
    let nodes = applyNodeChanges(changes, s.nodes);
    if (changes.some((c) => c.type === "dimensions")) {
      // Measured: the estimated handle positions go (React Flow keeps the ones it measured).
      const measured = new Set(changes.flatMap((c) => (c.type === "dimensions" && c.dimensions ? [c.id] : [])));
      nodes = nodes.map((n) => {
        if (!n.handles || !measured.has(n.id)) return n;
        const { handles: _, ...rest } = n;
        return rest;
      });
    }
    const patch: Partial<EditorState> = { nodes };
    if (changes.some((c) => c.type === "select")) {
      patch.selection = new Set(nodes.filter((n) => n.selected).map((n) => n.id));
      patch.focusPath = undefined;
    }
    set(patch);
  },

  onEdgesChange(changes) {
    const s = get();
    const edges = applyEdgeChanges(changes, s.edges);
    const patch: Partial<EditorState> = { edges };
    if (changes.some((c) => c.type === "select")) patch.selectedEdges = new Set(edges.filter((e) => e.selected).map((e) => e.id));
    set(patch);
  },

  setIssues(issues) {
    const s = get();
    set({ issues, ...derive({ ...s, issues }) });
  },

  set(partial) {
    set(partial);
  },

  setLaidOut(laidOut) {
    const s = get();
    set({ laidOut, ...derive({ ...s, laidOut }) });
  },
}));

/** Whether the document differs from what the server last stored. */
export function hasUnsavedChanges(s: EditorState): boolean {
  return s.doc !== s.savedDoc;
}
