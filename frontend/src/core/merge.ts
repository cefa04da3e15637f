// Three-way merge of flow documents: what this tab changed since it last saved (base ->
// mine) and what changed elsewhere meanwhile (base -> theirs: another tab, a publish, the
// file on disk). Documents are compared field by field (a widget's type, each property,
// each transition, its description; each widget's position; the flow's own fields), so
// changes to different widgets, or different fields of one widget, merge by themselves.
// Only the same field changed to two different values is a conflict, which the person
// settles knowing what each choice loses.
import type { FlowDoc, WidgetDoc } from "./types";

export interface Conflict {
  /** The field's key (see fieldsOf). */
  key: string;
  widget: string | null;
  /** What people call the field: "body", "where 'timeout' goes", "its place on the canvas". */
  label: string;
  /** For a property: its key (the editor shows the form's label for it). */
  property?: string;
  mine: unknown;
  theirs: unknown;
}

export interface Merge {
  /** The merged document; conflicting fields take `prefer`'s value. */
  doc: FlowDoc;
  conflicts: Conflict[];
}

type Fields = Map<string, unknown>;
const SEP = "\u0000";

/** A document as a map of fields, each one unit of change. */
export function fieldsOf(doc: FlowDoc): Fields {
  const out: Fields = new Map();
  for (const [k, v] of Object.entries(doc)) {
    if (k !== "widgets" && k !== "ui" && v !== undefined) out.set(`flow${SEP}${k}`, v);
  }
  for (const w of doc.widgets) {
    const at = `w${SEP}${w.name}${SEP}`;
    for (const [k, v] of Object.entries(w)) {
      if (k === "properties" || k === "transitions" || k === "name" || v === undefined) continue;
      out.set(at + k, v);
    }
    for (const [k, v] of Object.entries(w.properties ?? {})) out.set(`${at}properties${SEP}${k}`, v);
    const t = w.transitions;
    if (Array.isArray(t)) out.set(`${at}transitions`, t);
    else for (const [k, v] of Object.entries(t ?? {})) out.set(`${at}transitions${SEP}${k}`, v);
  }
  for (const [name, pos] of Object.entries(doc.ui ?? {})) out.set(`ui${SEP}${name}`, pos);
  return out;
}

function same(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** Merge base -> mine and base -> theirs; each conflict takes `prefer`'s value. */
export function merge3(base: FlowDoc, mine: FlowDoc, theirs: FlowDoc, prefer: "mine" | "theirs" = "mine"): Merge {
  const b = fieldsOf(base), m = fieldsOf(mine), t = fieldsOf(theirs);
  const merged: Fields = new Map();
  const conflicts: Conflict[] = [];
  for (const key of new Set([...t.keys(), ...m.keys(), ...b.keys()])) {
    const bv = b.get(key), mv = m.get(key), tv = t.get(key);
    let v: unknown;
    if (same(mv, bv)) v = tv;
    else if (same(tv, bv) || same(mv, tv)) v = mv;
    else {
      conflicts.push({ key, ...describe(key), mine: mv, theirs: tv });
      v = prefer === "mine" ? mv : tv;
    }
    if (v !== undefined) merged.set(key, v);
  }
  // A widget deleted on one side and edited on the other is one conflict, the whole
  // widget: kept as the other side has it, or deleted.
  const deleted = new Set<string>();
  for (const c of conflicts) {
    const type = `w${SEP}${c.widget}${SEP}type`;
    if (c.widget && b.has(type) && (!m.has(type) || !t.has(type))) deleted.add(c.widget);
  }
  const out = conflicts.filter((c) => !c.widget || !deleted.has(c.widget));
  for (const name of deleted) {
    const side = prefer === "mine" ? m : t;
    const prefix = [`w${SEP}${name}${SEP}`, `ui${SEP}${name}`];
    for (const key of [...merged.keys()]) if (prefix.some((p) => key.startsWith(p))) merged.delete(key);
    for (const [key, v] of side) if (prefix.some((p) => key.startsWith(p))) merged.set(key, v);
    const mineHas = m.has(`w${SEP}${name}${SEP}type`);
    out.push({ key: `w${SEP}${name}`, widget: name, label: "the widget: deleted on one side, changed on the other",
      mine: mineHas ? "(kept, changed)" : undefined, theirs: mineHas ? undefined : "(kept, changed)" });
  }
  return { doc: assemble(merged, mine, theirs), conflicts: out };
}

function describe(key: string): { widget: string | null; label: string; property?: string } {
  const parts = key.split(SEP);
  if (parts[0] === "flow") return { widget: null, label: `the flow's ${parts[1]}` };
  if (parts[0] === "ui") return { widget: parts[1], label: "its place on the canvas" };
  const [, widget, part, sub] = parts;
  if (part === "properties") return { widget, label: sub.replace(/_/g, " "), property: sub };
  if (part === "transitions") return { widget, label: sub ? (sub === "match" ? "its branches" : `where '${sub}' goes`) : "its transitions" };
  return { widget, label: part };
}

function assemble(fields: Fields, mine: FlowDoc, theirs: FlowDoc): FlowDoc {
  const doc: FlowDoc = { spec_version: 1, name: "", widgets: [] };
  const widgets = new Map<string, WidgetDoc>();
  const ui: Record<string, { x: number; y: number }> = {};
  for (const [key, v] of fields) {
    const parts = key.split(SEP);
    if (parts[0] === "flow") { doc[parts[1]] = v; continue; }
    if (parts[0] === "ui") { ui[parts[1]] = v as { x: number; y: number }; continue; }
    const [, name, part, sub] = parts;
    const w = widgets.get(name) ?? ({ name } as WidgetDoc);
    widgets.set(name, w);
    if (part === "properties") w.properties = { ...(w.properties ?? {}), [sub]: v };
    else if (part === "transitions" && sub !== undefined) w.transitions = { ...((w.transitions ?? {}) as object), [sub]: v } as WidgetDoc["transitions"];
    else (w as unknown as Record<string, unknown>)[part] = v;
  }
  // Widget order: theirs, then widgets only this tab has, in this tab's order. A widget
  // without a type was deleted on one side: its remaining fields go with it.
  const order = [...theirs.widgets.map((w) => w.name), ...mine.widgets.map((w) => w.name)];
  const seen = new Set<string>();
  for (const name of order) {
    const w = widgets.get(name);
    if (seen.has(name) || !w || w.type === undefined) continue;
    seen.add(name);
    doc.widgets.push(keyOrder(w, mine, theirs));
  }
  const names = new Set(doc.widgets.map((w) => w.name));
  const kept = Object.fromEntries(Object.entries(ui).filter(([n]) => names.has(n)));
  if (mine.ui !== undefined || theirs.ui !== undefined) doc.ui = kept;
  return doc;
}

/** The widget's keys in the order the document had them (name, type, ...), so a merge changes no layout. */
function keyOrder(w: WidgetDoc, mine: FlowDoc, theirs: FlowDoc): WidgetDoc {
  const model = mine.widgets.find((x) => x.name === w.name) ?? theirs.widgets.find((x) => x.name === w.name);
  const keys = [...Object.keys(model ?? {}), ...Object.keys(w)];
  const out: Record<string, unknown> = {};
  for (const k of keys) if (k in w && !(k in out)) out[k] = (w as unknown as Record<string, unknown>)[k];
  return out as unknown as WidgetDoc;
}

/** A value as a short line of text, for the conflict banner. */
export function shown(value: unknown): string {
  if (value === undefined) return "(nothing: removed)";
  if (value === null) return "(not connected)";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
