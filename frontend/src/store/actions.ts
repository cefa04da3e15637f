// Editing commands shared by keyboard shortcuts, buttons and the canvas: each reads the
// store, computes the next document with a pure core function and commits it once.
import { copyWidgets, pasteWidgets, readSnippet } from "../core/clipboard";
import { addWidgets, connect, deleteWidgets, moveWidgets, newWidget, replaceWidget, widgetNames, type Position } from "../core/edit";
import { unplaced } from "../core/graph";
import { autoLayout, type Size } from "../core/layout";
import { renameWidget, validWidgetName } from "../core/rename";
import type { WidgetDoc } from "../core/types";
import { deletedText, showNotice } from "../ui/notice";
import { useEditor } from "./editor";


const PASTE_STEP = 40;
let memoryClipboard: string | null = null;
let lastPaste = { text: "", count: 0 };

const state = () => useEditor.getState();

/** Add a new widget of `type` at a canvas position and select it. */
export function addWidgetAt(type: string, position: Position): string | null {
  const s = state();
  const entry = s.catalog.get(type);
  if (!s.doc || !entry) return null;
  const widget = newWidget(entry, widgetNames(s.doc));
  s.commit(addWidgets(s.doc, [widget], { [widget.name]: { x: Math.round(position.x), y: Math.round(position.y) } }));
  state().select([widget.name]);
  return widget.name;
}

/** Delete the selected widgets and connections in one step (the trigger stays), saying
 * what went and offering Undo: a deletion is easy to make by accident (Delete, Backspace). */
export function deleteSelection(): void {
  const s = state();
  if (!s.doc) return;
  const before = s.doc;
  let doc = deleteWidgets(before, s.selection);
  const widgets = before.widgets.filter((w) => !doc.widgets.some((x) => x.name === w.name)).map((w) => w.name);
  let connections = 0;
  for (const id of s.selectedEdges) {
    const edge = s.edges.find((e) => e.id === id);
    if (edge && edge.sourceHandle && !widgets.includes(edge.source) && !widgets.includes(edge.target)) {
      doc = connect(doc, edge.source, edge.sourceHandle, null);
      connections++;
    }
  }
  if (doc === before) return;
  s.commit(doc);
  const text = deletedText(widgets, connections);
  const hint = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform) ? "⌘Z" : "Ctrl+Z";
  if (text) showNotice(text, { label: "Undo", hint, run: () => state().undo() });
}

/** The selection as clipboard text (also kept in memory when the system clipboard is unavailable). */
export function copySelection(): string | null {
  const s = state();
  if (!s.doc) return null;
  const text = copyWidgets(s.doc, s.selection);
  if (text) {
    memoryClipboard = text;
    lastPaste = { text, count: 0 };
  }
  return text;
}

export function clipboardFallback(): string | null {
  return memoryClipboard;
}

/** Paste widgets from clipboard text; each paste of the same text lands a step further. Returns false for other text. */
export function pasteText(text: string): boolean {
  const s = state();
  const snippet = readSnippet(text);
  if (!s.doc || !snippet || !snippet.widgets.length) return false;
  lastPaste = lastPaste.text === text ? { text, count: lastPaste.count + 1 } : { text, count: 1 };
  const step = PASTE_STEP * lastPaste.count;
  const { widgets, ui } = pasteWidgets(s.doc, snippet, { x: step, y: step });
  if (!widgets.length) return false;
  s.commit(addWidgets(s.doc, widgets, ui));
  state().select(widgets.map((w) => w.name));
  return true;
}

/** Copy and paste in one go, leaving the system clipboard alone. */
export function duplicateSelection(): void {
  const s = state();
  if (!s.doc) return;
  const text = copyWidgets(s.doc, s.selection);
  if (text) {
    lastPaste = { text, count: 0 };
    pasteText(text);
  }
}

/** Lead one output of a widget to another widget (replacing where it led before). */
export function connectOutput(source: string, handle: string, target: string): void {
  const s = state();
  if (s.doc) s.commit(connect(s.doc, source, handle, target));
}

/** Record where dragged widgets ended up: one undo step per drag. */
export function moveTo(positions: Record<string, Position>): void {
  const s = state();
  if (s.doc) s.commit(moveWidgets(s.doc, positions));
}

/** The inspector's edit of one widget. */
export function updateWidget(name: string, next: WidgetDoc): void {
  const s = state();
  if (s.doc) s.commit(replaceWidget(s.doc, next, name));
}

/** Rename a widget and every reference to it; returns an error message or null. */
export function renameSelected(oldName: string, newName: string): string | null {
  const s = state();
  if (!s.doc || oldName === newName) return null;
  const problem = validWidgetName(newName, s.doc, oldName);
  if (problem) return problem;
  s.commit(renameWidget(s.doc, oldName, newName));
  state().select([newName]);
  return null;
}

function measuredSizes(): Map<string, Size> {
  const sizes = new Map<string, Size>();
  for (const n of state().nodes) if (n.measured?.width) sizes.set(n.id, { width: n.measured.width, height: n.measured.height ?? 100 });
  return sizes;
}

/** Lay the whole flow out top to bottom (one undo step). */
export async function layoutAll(): Promise<void> {
  const s = state();
  if (!s.doc) return;
  const doc = s.doc;
  const positions = await autoLayout(doc, measuredSizes());
  if (state().doc === doc) state().commit(moveWidgets(doc, positions));
}

/** Draw a flow that has no canvas places (written by hand) laid out as Tidy up would,
 * without changing it: it is saved with places only once someone edits it. Returns
 * whether it did. */
export async function layOutUnplaced(): Promise<boolean> {
  const doc = state().doc;
  if (!doc || !unplaced(doc)) return false;
  const laidOut = await autoLayout(doc, measuredSizes());
  if (state().doc !== doc) return false;
  state().setLaidOut(laidOut);
  return true;
}

export function selectAll(): void {
  const s = state();
  if (s.doc) s.select(s.doc.widgets.map((w) => w.name));
}
