// Renaming a widget: the name is how everything else refers to it (transitions, canvas
// positions, `widgets.<name>.*` in Liquid templates), so a rename rewrites all of those
// in one step and the flow keeps working.

import type { FlowDoc, Transitions, WidgetDoc } from "./types";

/** The server's rule (flowstudio/spec/graph.py NAME): a letter, then letters, digits, _ or -. */
const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/**
 * Why `name` cannot be a widget's name, in words, or null when it can. `flow` and
 * `current` (the widget's present name) let it check that no other widget has the name.
 */
export function validWidgetName(name: string, flow?: FlowDoc, current?: string): string | null {
  if (name.trim() === "") return "Give the widget a name.";
  if (/\s/.test(name)) return "Names cannot contain spaces: use _ or - instead, e.g. ask_name.";
  if (!/^[A-Za-z]/.test(name)) return "Start the name with a letter.";
  if (!NAME.test(name)) return "Use only letters, digits, _ and -.";
  if (flow && name !== current && flow.widgets.some((w) => w.name === name)) {
    return `Another widget is already called "${name}".`;
  }
  return null;
}

/** Liquid output and tag blocks: the only places a template refers to widgets. */
const LIQUID_BLOCK = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * `text` with references to widget `oldName` in its Liquid blocks pointing at `newName`:
 * `widgets.old.x`, `widgets.old` at the end of a block, `widgets["old"]` and
 * `widgets['old']`. `widgets.old_two` and text outside `{{ }}` / `{% %}` are untouched.
 */
export function renameInTemplate(text: string, oldName: string, newName: string): string {
  if (!text.includes(oldName)) return text;
  const dotted = new RegExp(`(\\bwidgets\\s*\\.\\s*)${escapeRegex(oldName)}(?![A-Za-z0-9_-])`, "g");
  const quoted = new RegExp(`(\\bwidgets\\s*\\[\\s*)(["'])${escapeRegex(oldName)}\\2(\\s*\\])`, "g");
  return text.replace(LIQUID_BLOCK, (block) =>
    block.replace(dotted, (_m, pre) => pre + newName).replace(quoted, (_m, pre, q, post) => pre + q + newName + q + post),
  );
}

/** Every string inside `value` passed through `fn` (new objects only where something changed). */
function mapStrings<T>(value: T, fn: (s: string) => string): T {
  if (typeof value === "string") return fn(value) as T;
  if (Array.isArray(value)) {
    const mapped = value.map((v) => mapStrings(v, fn));
    return (mapped.some((v, i) => v !== value[i]) ? mapped : value) as T;
  }
  if (value && typeof value === "object") {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = mapStrings(v, fn);
      if (out[k] !== v) changed = true;
    }
    return (changed ? out : value) as T;
  }
  return value;
}

function renameTransitions(t: Transitions, oldName: string, newName: string): Transitions {
  const out: Transitions = {};
  for (const [event, target] of Object.entries(t)) {
    if (event === "match" && Array.isArray(target)) {
      out.match = target.map((branch) => ({
        ...branch,
        next: branch.next === oldName ? newName : branch.next,
        // Conditions render their value and arguments as Liquid.
        conditions: mapStrings(branch.conditions, (s) => renameInTemplate(s, oldName, newName)),
      }));
    } else {
      out[event] = target === oldName ? newName : target;
    }
  }
  return out;
}

/**
 * A new document where widget `oldName` is called `newName` and every reference
 * follows: transitions (split branches included), canvas positions in `ui` (order kept),
 * and Liquid references in any string of any widget's properties and conditions.
 * Throws when `newName` is not a valid, free name (check with validWidgetName first).
 */
export function renameWidget(doc: FlowDoc, oldName: string, newName: string): FlowDoc {
  if (oldName === newName) return doc;
  const problem = validWidgetName(newName, doc, oldName);
  if (problem) throw new Error(problem);
  if (!doc.widgets.some((w) => w.name === oldName)) throw new Error(`There is no widget called "${oldName}".`);

  // Widgets that do not change keep their identity, so views memoised on them stay put.
  const widgets = doc.widgets.map((w): WidgetDoc => {
    const properties = w.properties && mapStrings(w.properties, (s) => renameInTemplate(s, oldName, newName));
    const transitions = w.transitions && renameTransitions(w.transitions, oldName, newName);
    const same = w.name !== oldName && properties === w.properties && JSON.stringify(transitions) === JSON.stringify(w.transitions);
    if (same) return w;
    const next: WidgetDoc = { ...w, name: w.name === oldName ? newName : w.name };
    if (properties) next.properties = properties;
    if (transitions) next.transitions = transitions;
    return next;
  });
  const out: FlowDoc = { ...doc, widgets };
  if (doc.ui) {
    out.ui = Object.fromEntries(Object.entries(doc.ui).map(([k, v]) => [k === oldName ? newName : k, v]));
  }
  return out;
}
