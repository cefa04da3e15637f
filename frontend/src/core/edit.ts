// Pure edits of a flow document. Each returns a new document and shares every untouched
// widget object with the old one, so the canvas can tell which nodes changed by identity
// (that is what keeps big flows fast) and undo can keep whole documents cheaply.
import { MATCH_PREFIX } from "./handles";
import { baseName, numberedName } from "./names";
import type { CatalogEntry, FlowDoc, Transitions, WidgetDoc } from "./types";

export type Position = { x: number; y: number };

export function widgetNames(doc: FlowDoc): Set<string> {
  return new Set(doc.widgets.map((w) => w.name));
}

/** A new widget of a catalog type, with the catalog's default property values and a fresh name. */
export function newWidget(entry: CatalogEntry, taken: Set<string>): WidgetDoc {
  const properties: Record<string, unknown> = {};
  const fields = (entry.properties?.properties ?? {}) as Record<string, { default?: unknown }>;
  for (const [key, field] of Object.entries(fields)) {
    if (field && field.default !== undefined) properties[key] = field.default;
  }
  const transitions: Transitions = {};
  for (const event of entry.events ?? []) {
    if (event.name !== "match") transitions[event.name] = null;
  }
  const widget: WidgetDoc = { name: numberedName(baseName(entry.type), taken), type: entry.type };
  if (Object.keys(properties).length) widget.properties = properties;
  if (Object.keys(transitions).length) widget.transitions = transitions;
  return widget;
}

/** Add widgets (with their positions). */
export function addWidgets(doc: FlowDoc, widgets: WidgetDoc[], positions: Record<string, Position>): FlowDoc {
  return { ...doc, widgets: [...doc.widgets, ...widgets], ui: { ...(doc.ui ?? {}), ...positions } };
}

/** Replace one widget (same name) by a new version of it. */
export function replaceWidget(doc: FlowDoc, next: WidgetDoc, name = next.name): FlowDoc {
  return { ...doc, widgets: doc.widgets.map((w) => (w.name === name ? next : w)) };
}

/** Point every transition of `w` that `test` accepts to null; the same object when none does. */
function disconnectWhere(w: WidgetDoc, test: (target: string) => boolean): WidgetDoc {
  const t = w.transitions;
  if (!t) return w;
  let changed = false;
  const next: Transitions = { ...t };
  for (const [event, target] of Object.entries(t)) {
    if (typeof target === "string" && test(target)) {
      next[event] = null;
      changed = true;
    }
  }
  if (t.match?.some((b) => b?.next && test(b.next))) {
    next.match = t.match.map((b) => (b?.next && test(b.next) ? { ...b, next: null } : b));
    changed = true;
  }
  return changed ? { ...w, transitions: next } : w;
}

/** Delete widgets (never the trigger) and disconnect every transition that led to them. */
export function deleteWidgets(doc: FlowDoc, names: Iterable<string>): FlowDoc {
  const gone = new Set(names);
  for (const w of doc.widgets) if (w.type === "trigger") gone.delete(w.name);
  if (!gone.size) return doc;
  const ui = { ...(doc.ui ?? {}) };
  for (const name of gone) delete ui[name];
  const widgets = doc.widgets.filter((w) => !gone.has(w.name)).map((w) => disconnectWhere(w, (t) => gone.has(t)));
  return { ...doc, widgets, ui };
}

/** Set where one output of `source` leads (`handle` is an event name or `match:<i>`); null disconnects. */
export function connect(doc: FlowDoc, source: string, handle: string, target: string | null): FlowDoc {
  const widget = doc.widgets.find((w) => w.name === source);
  if (!widget) return doc;
  const transitions: Transitions = { ...(widget.transitions ?? {}) };
  if (handle.startsWith(MATCH_PREFIX)) {
    const index = Number(handle.slice(MATCH_PREFIX.length));
    const match = [...(transitions.match ?? [])];
    if (!match[index]) return doc;
    match[index] = { ...match[index], next: target };
    transitions.match = match;
  } else {
    transitions[handle] = target;
  }
  return replaceWidget(doc, { ...widget, transitions });
}

/** Move widgets: only the `ui` map changes. */
export function moveWidgets(doc: FlowDoc, positions: Record<string, Position>): FlowDoc {
  const ui = { ...(doc.ui ?? {}) };
  let changed = false;
  for (const [name, p] of Object.entries(positions)) {
    const old = ui[name];
    if (old && old.x === p.x && old.y === p.y) continue;
    ui[name] = { x: Math.round(p.x), y: Math.round(p.y) };
    changed = true;
  }
  return changed ? { ...doc, ui } : doc;
}

/** A widget's box on the canvas, as far as placing a new one goes. */
interface Placed { position: Position; measured?: { width?: number; height?: number } }

const NEW_SIZE = { width: 260, height: 110 };
const GAP = 30;

/**
 * Where a new widget goes near `wanted` without covering another: `wanted` if free, else
 * the first free place below it, in steps of a widget's height.
 */
export function freeSpot(wanted: Position, nodes: Placed[]): Position {
  const overlaps = (p: Position) => nodes.some((n) => {
    const w = n.measured?.width ?? NEW_SIZE.width, h = n.measured?.height ?? NEW_SIZE.height;
    return p.x < n.position.x + w + GAP && p.x + NEW_SIZE.width + GAP > n.position.x
      && p.y < n.position.y + h + GAP && p.y + NEW_SIZE.height + GAP > n.position.y;
  });
  const spot = { ...wanted };
  for (let i = 0; i < 200 && overlaps(spot); i++) spot.y += NEW_SIZE.height / 2;
  return spot;
}
