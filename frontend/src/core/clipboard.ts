// Copy and paste as a YAML snippet of widgets, so it travels through the system clipboard
// between tabs and flows (and reads like the flow file it came from).
import { parse, stringify } from "yaml";
import { freeName } from "./names";
import type { FlowDoc, Transitions, WidgetDoc } from "./types";
import type { Position } from "./edit";

export const SNIPPET_KEY = "flowstudio_widgets";

export interface Snippet {
  widgets: WidgetDoc[];
  ui: Record<string, Position>;
}

/** The YAML text of the named widgets and their positions (the trigger is never copied). */
export function copyWidgets(doc: FlowDoc, names: Iterable<string>): string | null {
  const wanted = new Set(names);
  const widgets = doc.widgets.filter((w) => wanted.has(w.name) && w.type !== "trigger");
  if (!widgets.length) return null;
  const ui: Record<string, Position> = {};
  for (const w of widgets) if (doc.ui?.[w.name]) ui[w.name] = doc.ui[w.name];
  return stringify({ [SNIPPET_KEY]: 1, widgets, ui });
}

/** The snippet in `text`, or null when it is not one (any other text on the clipboard). */
export function readSnippet(text: string): Snippet | null {
  let data: unknown;
  try {
    data = parse(text);
  } catch {
    return null;
  }
  if (!data || typeof data !== "object" || !(SNIPPET_KEY in data)) return null;
  const { widgets, ui } = data as { widgets?: unknown; ui?: unknown };
  if (!Array.isArray(widgets)) return null;
  const valid = widgets.filter((w): w is WidgetDoc =>
    !!w && typeof w === "object" && typeof (w as WidgetDoc).name === "string" && typeof (w as WidgetDoc).type === "string");
  return { widgets: valid, ui: ui && typeof ui === "object" ? (ui as Record<string, Position>) : {} };
}

/** Replace `widgets.<old>.` references in every string of a value (templates). */
function rewriteTemplates(value: unknown, renames: Map<string, string>): unknown {
  if (typeof value === "string") {
    return value.replace(/\bwidgets\.([A-Za-z][A-Za-z0-9_-]*)/g, (all, name: string) =>
      renames.has(name) ? `widgets.${renames.get(name)}` : all);
  }
  if (Array.isArray(value)) return value.map((v) => rewriteTemplates(v, renames));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewriteTemplates(v, renames)]));
  }
  return value;
}

/**
 * The widgets of a snippet ready to add to `doc`: renamed where the name is taken,
 * connections inside the snippet kept (renamed), connections to widgets outside it
 * cleared (they would point somewhere unrelated in another flow), and moved by `offset`.
 */
export function pasteWidgets(doc: FlowDoc, snippet: Snippet, offset: Position): { widgets: WidgetDoc[]; ui: Record<string, Position> } {
  const taken = new Set(doc.widgets.map((w) => w.name));
  const renames = new Map<string, string>();
  const source = snippet.widgets.filter((w) => w.type !== "trigger");
  for (const w of source) {
    const name = freeName(w.name, taken);
    taken.add(name);
    renames.set(w.name, name);
  }
  const relink = (target: unknown) => (typeof target === "string" && renames.has(target) ? renames.get(target)! : null);
  const widgets = source.map((w) => {
    const out: WidgetDoc = { ...(rewriteTemplates(w, renames) as WidgetDoc), name: renames.get(w.name)! };
    if (w.transitions) {
      const t: Transitions = {};
      for (const [event, target] of Object.entries(w.transitions)) {
        if (event === "match" && Array.isArray(target)) t.match = target.map((b) => ({ ...b, next: relink(b?.next) }));
        else t[event] = relink(target);
      }
      out.transitions = t;
    }
    return out;
  });
  const ui: Record<string, Position> = {};
  source.forEach((w, i) => {
    const p = snippet.ui[w.name] ?? { x: i * 40, y: i * 40 };
    ui[renames.get(w.name)!] = { x: Math.round(p.x + offset.x), y: Math.round(p.y + offset.y) };
  });
  return { widgets, ui };
}
