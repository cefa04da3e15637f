// The variables a Liquid template of one widget can use, for the inspector's autocomplete.
//
// What can hold a value when that widget runs comes first: the trigger's variables for the
// ways the flow can start and reach the widget, the flow's variables, and the outputs (from
// the catalog's `outputs`) of widgets that can run before it. The outputs of the other
// widgets follow, marked `notYet`: a flow is often written before it is wired. Studio's context is
// described in ../shared/reference/studio.md; the engine builds it in
// flowstudio/engine/runner.py (new_context).

import type { CatalogEntry, FlowDoc, WidgetDoc } from "./types";

export interface Suggestion {
  /** What goes between `{{` and `}}`, e.g. `widgets.ask.inbound.Body`. */
  path: string;
  /** A heading to group suggestions under ("Incoming message", "ask"). */
  group: string;
  /** A few plain words on what it holds. */
  description?: string;
  /** The widget cannot have run before this one (yet): not connected before it. */
  notYet?: boolean;
}

type Described = [name: string, description: string];

/** The trigger's variables for each way a flow can start (Twilio's webhook parameters). */
const TRIGGER_VARIABLES: Record<string, { group: string; prefix: string; names: Described[] }> = {
  incomingMessage: {
    group: "Incoming message",
    prefix: "trigger.message",
    names: [
      ["Body", "the text of the message"],
      ["From", "the sender's number"],
      ["To", "the number it was sent to"],
      ["MessageSid", "the message's id"],
      ["NumMedia", "how many pictures or files came with it"],
      ["MediaUrl0", "the first picture or file"],
      ["MediaContentType0", "the first file's type"],
      ["FromCountry", "the sender's country"],
      ["AccountSid", "the Twilio account"],
    ],
  },
  incomingCall: {
    group: "Incoming call",
    prefix: "trigger.call",
    names: [
      ["From", "the caller's number"],
      ["To", "the number called"],
      ["CallSid", "the call's id"],
      ["CallStatus", "ringing, in-progress..."],
      ["Direction", "inbound"],
      ["FromCountry", "the caller's country"],
      ["AccountSid", "the Twilio account"],
    ],
  },
  incomingRequest: {
    group: "Started by a list or app",
    prefix: "trigger.request",
    names: [["parameters", "the list's columns, or what the app sent (also flow.data)"]],
  },
  incomingParent: {
    group: "Started by a parent flow",
    prefix: "trigger.parent",
    names: [["parameters", "the parameters the parent flow passed"]],
  },
};

/** Every widget a transition of `w` leads to (events and split branches). */
export function nextWidgets(w: WidgetDoc): string[] {
  const out: string[] = [];
  for (const [event, target] of Object.entries(w.transitions ?? {})) {
    if (event === "match" && Array.isArray(target)) {
      for (const branch of target) if (branch && typeof branch.next === "string") out.push(branch.next);
    } else if (typeof target === "string") {
      out.push(target);
    }
  }
  return out;
}

/** Widgets reachable from `start` (itself included), following transitions. */
function reachable(byName: Map<string, WidgetDoc>, start: string): Set<string> {
  const seen = new Set<string>();
  const queue = [start];
  while (queue.length) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const w = byName.get(name);
    if (w) queue.push(...nextWidgets(w));
  }
  return seen;
}

/**
 * Widgets that can run before `name`: its graph predecessors, transitively, nearest first.
 * `name` itself is included only when it is on a loop (its outputs exist the second time).
 */
export function upstreamWidgets(flow: FlowDoc, name: string): string[] {
  const preds = new Map<string, string[]>();
  for (const w of flow.widgets) {
    for (const next of nextWidgets(w)) preds.set(next, [...(preds.get(next) ?? []), w.name]);
  }
  const order: string[] = [];
  const seen = new Set<string>();
  const queue = [...(preds.get(name) ?? [])];
  while (queue.length) {
    const p = queue.shift()!;
    if (seen.has(p)) continue;
    seen.add(p);
    order.push(p);
    queue.push(...(preds.get(p) ?? []));
  }
  return order;
}

/** Every `flow.variables` key set by a Set Variables widget of the flow, in flow order. */
export function flowVariableKeys(flow: FlowDoc): string[] {
  const keys: string[] = [];
  for (const w of flow.widgets) {
    if (w.type !== "set-variables") continue;
    const vars = w.properties?.variables;
    for (const item of Array.isArray(vars) ? vars : []) {
      const key = item && typeof item === "object" ? (item as { key?: unknown }).key : undefined;
      if (typeof key === "string" && key && !keys.includes(key)) keys.push(key);
    }
  }
  return keys;
}

/** Keys the flow's templates already read under `prefix.` (e.g. flow.data.first_name). */
function keysUsed(flow: FlowDoc, prefix: string): string[] {
  const re = new RegExp(`${prefix.replace(/\./g, "\\.")}\\.([A-Za-z_][A-Za-z0-9_]*)`, "g");
  const found = new Set<string>();
  const visit = (v: unknown) => {
    if (typeof v === "string") for (const m of v.matchAll(re)) found.add(m[1]);
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === "object") Object.values(v).forEach(visit);
  };
  for (const w of flow.widgets) {
    visit(w.properties);
    visit(w.transitions?.match);
  }
  return [...found];
}

/** The trigger events (with a connection) from which the widget can be reached. */
function triggerEventsReaching(flow: FlowDoc, name: string): string[] {
  const byName = new Map(flow.widgets.map((w) => [w.name, w] as const));
  const trigger = flow.widgets.find((w) => w.type === "trigger");
  const connected = Object.entries(trigger?.transitions ?? {}).filter(
    (e): e is [string, string] => typeof e[1] === "string",
  );
  const reaching = connected.filter(([, target]) => reachable(byName, target).has(name)).map(([event]) => event);
  // A widget not wired yet: offer every way the flow can start.
  if (reaching.length) return reaching;
  return connected.length ? connected.map(([event]) => event) : ["incomingMessage", "incomingCall"];
}

/**
 * The variables a template in widget `widgetName` can use. `catalogOf` gives a widget
 * type's catalog entry (for its `outputs`); types it does not know offer no outputs.
 */
export function suggestionsFor(
  flow: FlowDoc,
  widgetName: string,
  catalogOf: (type: string) => CatalogEntry | undefined,
): Suggestion[] {
  const out: Suggestion[] = [];
  const add = (path: string, group: string, description?: string, notYet?: boolean) => {
    if (!out.some((s) => s.path === path)) out.push({ path, group, description, ...(notYet ? { notYet } : {}) });
  };

  const events = triggerEventsReaching(flow, widgetName);
  for (const event of events) {
    const t = TRIGGER_VARIABLES[event];
    if (!t) continue;
    for (const [n, d] of t.names) add(`${t.prefix}.${n}`, t.group, d);
    if (event === "incomingParent") {
      for (const k of keysUsed(flow, "trigger.parent.parameters")) add(`trigger.parent.parameters.${k}`, t.group, "a parameter from the parent flow");
    }
  }

  const byName = new Map(flow.widgets.map((w) => [w.name, w] as const));
  const upstream = upstreamWidgets(flow, widgetName);
  for (const name of upstream) {
    const w = byName.get(name);
    const entry = w && catalogOf(w.type);
    for (const output of entry?.outputs ?? []) {
      add(`widgets.${name}.${output}`, `${name} (${entry!.title})`, outputDescription(output));
    }
  }
  // Every other widget too (a flow is often written before it is wired), marked: its
  // outputs are empty here until it is connected to run before this widget.
  for (const w of flow.widgets) {
    if (w.name === widgetName || upstream.includes(w.name)) continue;
    const entry = catalogOf(w.type);
    for (const output of entry?.outputs ?? []) {
      add(`widgets.${w.name}.${output}`, `${w.name} (${entry!.title}) · not connected before this widget yet`,
        outputDescription(output), true);
    }
  }

  for (const key of flowVariableKeys(flow)) add(`flow.variables.${key}`, "Flow variables", "set by Set Variables");

  if (events.includes("incomingRequest")) {
    const keys = keysUsed(flow, "flow.data");
    for (const k of keys) add(`flow.data.${k}`, "Flow", "a column of the list, or a value the app sent");
    if (!keys.length) add("flow.data", "Flow", "the list's columns (flow.data.<column>), or what the app sent");
  }
  add("flow.channel.address", "Flow", "the flow's own number");
  add("contact.channel.address", "Contact", "the contact's number (who the flow talks to)");
  add("flow.sid", "Flow", "this execution's id");
  add("flow.flow_sid", "Flow", "this flow's id");
  return out;
}

const OUTPUT_WORDS: Record<string, string> = {
  Body: "the text",
  From: "from this number",
  To: "to this number",
  Digits: "the keys pressed",
  SpeechResult: "what the caller said",
  Confidence: "how sure speech recognition is (0 to 1)",
  status_code: "the HTTP status, e.g. 200",
  body: "the answer as text",
  parsed: "the JSON answer: add .field",
  content_type: "the answer's type",
  RecordingUrl: "where the recording is",
  RecordingDuration: "its length in seconds",
  DialCallStatus: "completed, busy, no-answer...",
  DialCallDuration: "its length in seconds",
};

function outputDescription(output: string): string | undefined {
  const last = output.split(".").pop()!;
  const words = OUTPUT_WORDS[last];
  if (output.startsWith("inbound.")) return words ? `the reply: ${words}` : "of the reply";
  if (output.startsWith("outbound.")) return words ? `the sent message: ${words}` : "of the sent message";
  return words;
}

/**
 * When the text before the caret is an unfinished `{{ ...`, the partial variable typed
 * so far and where the `{{` starts; else null. Drives the autocomplete while typing.
 */
export function openTemplateAt(text: string, caret: number): { start: number; partial: string } | null {
  const before = text.slice(0, caret);
  const m = /\{\{\s*([A-Za-z0-9_.\[\]"'-]*)$/.exec(before);
  return m ? { start: m.index, partial: m[1] } : null;
}

/**
 * `text` with `{{path}}` put in place of the unfinished `{{ partial` that starts at
 * `start` (or at the caret when start is null), not doubling a `}}` already there.
 * Returns the new text and where the caret goes.
 */
export function insertVariable(text: string, caret: number, start: number | null, path: string): { text: string; caret: number } {
  const from = start ?? caret;
  let to = caret;
  const after = text.slice(to);
  const closing = /^[A-Za-z0-9_.\[\]"'-]*\s*\}\}/.exec(after);
  if (start !== null && closing) to += closing[0].length;
  const inserted = `{{${path}}}`;
  return { text: text.slice(0, from) + inserted + text.slice(to), caret: from + inserted.length };
}

/** Suggestions matching what was typed: path prefix first, then anywhere in the path. */
export function filterSuggestions(all: Suggestion[], typed: string): Suggestion[] {
  const q = typed.trim().toLowerCase();
  if (!q) return all;
  const starts = all.filter((s) => s.path.toLowerCase().startsWith(q));
  const contains = all.filter((s) => !starts.includes(s) && s.path.toLowerCase().includes(q));
  return [...starts, ...contains];
}
