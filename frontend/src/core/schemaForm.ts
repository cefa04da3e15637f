// Turns a widget's JSON Schema (from GET /api/widgets) into form field descriptors, and
// converts between stored values and what the form's inputs show. One generator for every
// widget: no widget has a hand-written form, so a new widget module on the server gets an
// inspector form with no TypeScript change.
//
// The schemas come from flowstudio/widgets/base.py helpers; the shapes handled here are
// the ones those helpers produce (text, integer-or-numeric-string, boolean-or-"true"
// string, enum, key/value arrays), plus plain objects and arrays of strings. Anything
// else falls back to a JSON text box so that no value is ever hidden or lost.

import type { Issue } from "./types";

/** A JSON Schema fragment (loosely typed: the catalog is data). */
export type Schema = Record<string, any>;

interface FieldBase {
  /** Property name within its parent (`body`, `key`, `0`). */
  key: string;
  /** Dotted path from the widget root, as in `Issue.path` (`properties.variables.0.value`). */
  path: string;
  title: string;
  /** Plain help text (the schema's description). */
  help?: string;
  required: boolean;
  default?: unknown;
  /** Example values from the schema, offered as suggestions. */
  examples?: string[];
  /** Offer these things that exist as choices ("flows": the ids of the other flows). */
  choices?: "flows";
  /** A setting most flows leave alone: the form folds it under "More settings". */
  advanced?: boolean;
}

export interface TextField extends FieldBase {
  kind: "text";
  multiline: boolean;
  /** A Liquid template: offers variable suggestions. */
  liquid: boolean;
  pattern?: string;
  minLength?: number;
  /** The server's wording for a value that does not match `pattern`. */
  patternMessage?: string;
  /** An empty string means something ("none") that differs from leaving the default. */
  emptyMeaningful: boolean;
  /** Values listed in words (a voice: "Joanna: a woman, American English" for Polly.Joanna);
   * any other value may still be typed, under `other`. */
  offers?: { value: string; label: string }[];
  other?: string;
}

export interface NumberField extends FieldBase {
  kind: "number";
  minimum?: number;
  maximum?: number;
  unit?: string;
  /** Words accepted besides whole numbers (speech timeout's `auto`). */
  words: string[];
  /** How a new value is stored: as a number, or as text when the schema prefers strings. */
  prefers: "number" | "string";
  message: string;
}

export interface SelectField extends FieldBase {
  kind: "select";
  /** `older`: a value kept for flows that have it (an older Studio spelling), offered only when set. */
  options: { value: string; label: string; older?: boolean }[];
}

export interface BooleanField extends FieldBase {
  kind: "boolean";
}

export interface KeyValueField extends FieldBase {
  kind: "keyvalue";
  /** The descriptors of one row, with `#` in place of the row index in their paths. */
  item: Field[];
}

export interface ObjectField extends FieldBase {
  kind: "object";
  fields: Field[];
}

export interface ListField extends FieldBase {
  kind: "list";
  /** One item's descriptor, with `#` in place of the index in its path. */
  item: Field;
}

export interface JsonField extends FieldBase {
  kind: "json";
}

export type Field =
  | TextField
  | NumberField
  | SelectField
  | BooleanField
  | KeyValueField
  | ObjectField
  | ListField
  | JsonField;

const WHOLE = /^\s*-?[0-9]+\s*$/;

function types(schema: Schema): string[] {
  const t = schema.type;
  return Array.isArray(t) ? t : typeof t === "string" ? [t] : [];
}

/** A readable title for a property without one: `finish_on_key` -> "Finish on key". */
export function humanize(key: string): string {
  const words = key.replace(/[_-]+/g, " ").replace(/([a-z])([A-Z])/g, "$1 $2").trim().toLowerCase();
  return words ? words[0].toUpperCase() + words.slice(1) : key;
}

// ------------------------------------------------------------------ conditional required

/**
 * Does `value` satisfy `schema`? Only the keywords the catalog uses inside if/then/else
 * (required, properties with const/enum, not, anyOf, allOf) are understood; this decides
 * which fields to mark as required, the server still validates everything.
 */
export function matches(schema: Schema | undefined, value: unknown): boolean {
  if (!schema || typeof schema !== "object") return true;
  const obj = value && typeof value === "object" ? (value as Record<string, unknown>) : {};
  if (Array.isArray(schema.required) && !schema.required.every((k: string) => obj[k] !== undefined)) return false;
  if ("const" in schema && value !== schema.const) return false;
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return false;
  if (schema.not && matches(schema.not, value)) return false;
  if (Array.isArray(schema.anyOf) && !schema.anyOf.some((s: Schema) => matches(s, value))) return false;
  if (Array.isArray(schema.allOf) && !schema.allOf.every((s: Schema) => matches(s, value))) return false;
  if (schema.properties && typeof schema.properties === "object") {
    for (const [k, sub] of Object.entries(schema.properties as Record<string, Schema>)) {
      if (obj[k] !== undefined && !matches(sub, obj[k])) return false;
    }
  }
  return true;
}

/** The names required in an object schema for this value, if/then/else included. */
export function requiredFor(schema: Schema, value: unknown): Set<string> {
  const out = new Set<string>(Array.isArray(schema.required) ? schema.required : []);
  if (schema.if) {
    const branch = matches(schema.if, value) ? schema.then : schema.else;
    for (const k of branch?.required ?? []) out.add(k);
  }
  for (const sub of schema.allOf ?? []) for (const k of requiredFor(sub, value)) out.add(k);
  return out;
}

// ------------------------------------------------------------------ descriptors

/**
 * The fields of an object schema, in the schema's order. `value` (the current object)
 * decides conditional required markers; `basePath` prefixes every field's path.
 */
export function fieldsFor(schema: Schema | undefined, basePath: string, value: unknown = {}): Field[] {
  const props: Record<string, Schema> = schema?.properties ?? {};
  const required = schema ? requiredFor(schema, value) : new Set<string>();
  return Object.entries(props).map(([key, sub]) => fieldFor(key, sub, join(basePath, key), required.has(key)));
}

/** One property's field descriptor. */
export function fieldFor(key: string, schema: Schema, path: string, required = false): Field {
  const ui: Schema = schema["x-ui"] ?? {};
  const t = types(schema);
  const base: FieldBase = {
    key,
    path,
    title: schema.title ?? humanize(key),
    help: schema.description,
    required,
    default: schema.default,
    examples: Array.isArray(schema.examples) ? schema.examples.map(String) : undefined,
    ...(ui.choices === "flows" ? { choices: "flows" as const } : {}),
    ...(ui.advanced ? { advanced: true } : {}),
  };
  // Booleans (also "true"/"false" strings, as Studio exports some of them).
  if (t.includes("boolean")) return { ...base, kind: "boolean" };
  // A fixed list of values.
  if (Array.isArray(schema.enum)) {
    const labels: Record<string, string> = ui.labels ?? {};
    const older = new Set<string>((ui.older ?? []).map(String));
    return {
      ...base,
      kind: "select",
      options: schema.enum.map((v: unknown) => ({
        value: String(v),
        label: labels[String(v)] ?? String(v),
        ...(older.has(String(v)) ? { older: true } : {}),
      })),
    };
  }
  // Whole numbers, also accepted as numeric strings (and words such as "auto").
  if (t.includes("integer") || t.includes("number")) {
    const words = wordsOf(schema.pattern);
    return {
      ...base,
      kind: "number",
      minimum: schema.minimum,
      maximum: schema.maximum,
      unit: ui.unit,
      words,
      prefers: t[0] === "string" ? "string" : "number",
      message: schema["x-message"] ?? (words.length ? `must be ${words.join(", ")} or a whole number` : "must be a whole number"),
    };
  }
  if (t.includes("string") || (t.length === 0 && !schema.properties && !schema.items)) {
    const pattern: string | undefined = schema.pattern;
    const def = schema.default;
    return {
      ...base,
      kind: "text",
      multiline: ui.widget === "textarea",
      liquid: !!ui.liquid,
      pattern,
      minLength: schema.minLength,
      patternMessage: schema["x-message"],
      // Only a pattern that accepts "" (finish_on_key) says empty is a value of its own.
      emptyMeaningful: typeof def === "string" && def !== "" && !!pattern && safeRegex(pattern)?.test("") === true,
      ...(ui.offers && typeof ui.offers === "object"
        ? { offers: Object.entries(ui.offers as Record<string, string>).map(([value, label]) => ({ value, label: String(label) })),
            other: typeof ui.other === "string" ? ui.other : "Another value" }
        : {}),
    };
  }
  if (t.includes("array") && schema.items) {
    const items: Schema = schema.items;
    const itemProps = items.properties ?? {};
    if (ui.widget === "keyvalue" || ("key" in itemProps && "value" in itemProps)) {
      return { ...base, kind: "keyvalue", item: fieldsFor(items, join(path, "#")) };
    }
    if (types(items).includes("string") || types(items).length === 0) {
      return { ...base, kind: "list", item: fieldFor("#", items, join(path, "#")) };
    }
  }
  if (t.includes("object") && schema.properties) {
    return { ...base, kind: "object", fields: fieldsFor(schema, path) };
  }
  return { ...base, kind: "json" };
}

/** Fields for values present in `value` that the schema does not describe (kept from an import). */
export function extraFields(schema: Schema | undefined, value: unknown, basePath: string): JsonField[] {
  if (!value || typeof value !== "object" || Array.isArray(value)) return [];
  const known = schema?.properties ?? {};
  return Object.keys(value)
    .filter((k) => !(k in known))
    .map((k) => ({
      key: k,
      path: join(basePath, k),
      title: humanize(k),
      help: "Not one of this widget's settings; kept as it is in the file.",
      required: false,
      kind: "json" as const,
    }));
}

/** The words a pattern like `^\s*(auto|[0-9]+)\s*$` accepts besides numbers. */
function wordsOf(pattern: unknown): string[] {
  if (typeof pattern !== "string") return [];
  const group = /\(([^()]*)\)/.exec(pattern);
  if (!group) return [];
  return group[1].split("|").filter((w) => /^[A-Za-z]+$/.test(w));
}

function safeRegex(pattern: string): RegExp | null {
  try {
    return new RegExp(pattern);
  } catch {
    return null;
  }
}

function join(base: string, key: string): string {
  return base ? `${base}.${key}` : key;
}

/** A row descriptor with its `#` placeholder replaced by the row index. */
export function atIndex<F extends Field>(field: F, index: number): F {
  const swap = (p: string) => p.replace(/(^|\.)#(?=\.|$)/, `$1${index}`);
  const out: Field = { ...field, path: swap(field.path) };
  if (out.kind === "object") out.fields = out.fields.map((f) => atIndex(f, index));
  if (out.kind === "keyvalue") out.item = out.item.map((f) => atIndex(f, index));
  if (out.kind === "list") out.item = atIndex(out.item, index);
  return out as F;
}

// ------------------------------------------------------------------ values <-> inputs

/** The text an input shows for a stored value ("" when absent: the default is a placeholder). */
export function displayText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value, null, 2);
}

/** A checkbox's state: the value, else the default; "true"/"false" strings count. */
export function booleanValue(value: unknown, fallback: unknown): boolean {
  const v = value === undefined ? fallback : value;
  return v === true || v === "true";
}

/**
 * What to store when a checkbox changes: the same form as before (a "true"/"false"
 * string stays a string, as Studio exported it), else the default's form, else a boolean.
 */
export function booleanToStore(checked: boolean, previous: unknown, fallback: unknown): boolean | string {
  const stringy = typeof previous === "string" || (previous === undefined && typeof fallback === "string");
  return stringy ? String(checked) : checked;
}

export interface Parsed {
  /** The value to store; `undefined` removes the property (its default applies). */
  value: unknown;
  /** Why the text is not acceptable (the value is still stored, so nothing typed is lost). */
  error?: string;
}

/**
 * The value to store for text typed into `field`, with a problem in words when there is
 * one. `previous` is the stored value (kept for the kinds that need it).
 */
export function parseInput(field: Field, text: string, previous: unknown): Parsed {
  switch (field.kind) {
    case "number": {
      const trimmed = text.trim();
      if (trimmed === "") return { value: undefined, error: field.required ? REQUIRED : undefined };
      if (field.words.includes(trimmed)) return { value: trimmed };
      if (!WHOLE.test(trimmed)) return { value: text, error: field.message };
      const n = Number.parseInt(trimmed, 10);
      // A number typed is stored as a number (`timeout: 300`), even where an imported
      // Studio file had a numeric string: only fields that prefer text keep text.
      const value = field.prefers === "string" ? trimmed : n;
      if (field.minimum !== undefined && n < field.minimum) return { value, error: `must be at least ${field.minimum}` };
      if (field.maximum !== undefined && n > field.maximum) return { value, error: `must be at most ${field.maximum}` };
      return { value };
    }
    case "text": {
      if (text === "") {
        if (field.emptyMeaningful) return { value: "" };
        return { value: undefined, error: field.required ? REQUIRED : undefined };
      }
      if (field.minLength && text.trim().length < field.minLength) return { value: text, error: "must not be empty" };
      if (field.pattern) {
        const re = safeRegex(field.pattern);
        if (re && !re.test(text)) return { value: text, error: field.patternMessage ?? "is not in the expected form" };
      }
      return { value: text };
    }
    case "select":
      return { value: text === "" ? undefined : text };
    case "json": {
      if (text.trim() === "") return { value: undefined };
      try {
        return { value: JSON.parse(text) };
      } catch {
        // Plain words are kept as text: most such values are strings.
        return typeof previous === "string" || previous === undefined
          ? { value: text }
          : { value: previous, error: "is not valid JSON; the previous value is kept" };
      }
    }
    default:
      return { value: text };
  }
}

// ------------------------------------------------------------------ immutable edits

/** `obj` with the value at `path` (dotted, indexes for arrays) set; `undefined` deletes it. */
export function setIn<T>(obj: T, path: string | (string | number)[], value: unknown): T {
  const parts = typeof path === "string" ? path.split(".") : path.map(String);
  if (parts.length === 0) return value as T;
  const [head, ...rest] = parts;
  const container: any = obj ?? (/^\d+$/.test(head) ? [] : {});
  const child = rest.length ? setIn(container[head], rest, value) : value;
  if (Array.isArray(container)) {
    const copy = container.slice();
    const i = Number(head);
    if (child === undefined && rest.length === 0) copy.splice(i, 1);
    else copy[i] = child;
    return copy as T;
  }
  const copy = { ...container };
  if (child === undefined) delete copy[head];
  else copy[head] = child;
  return copy as T;
}

/** The value at a dotted path, or undefined. */
export function getIn(obj: unknown, path: string): unknown {
  let cur: any = obj;
  for (const p of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = cur[p];
  }
  return cur;
}

// ------------------------------------------------------------------ issues next to fields

/** The message of a required field left empty; shown as "<label> is required". */
export const REQUIRED = "is required";

/**
 * Places each issue next to the field it is about: the field whose path is the longest
 * prefix of the issue's path. "x is required" issues, which the validator reports on the
 * parent object, go to field x. Issues that match no field are returned in `rest`.
 */
export function placeIssues(issues: Issue[], fieldPaths: Iterable<string>): { byPath: Map<string, Issue[]>; rest: Issue[] } {
  const known = new Set(fieldPaths);
  const byPath = new Map<string, Issue[]>();
  const rest: Issue[] = [];
  for (let issue of issues) {
    let path = issue.path ?? "";
    const req = /^'?([A-Za-z0-9_-]+)'? is required/.exec(issue.message);
    if (req && known.has(join(path, req[1]))) {
      // Next to its field the key is noise ("to is required" under "Destination"): the
      // field's label says which, as the form's own check does.
      path = join(path, req[1]);
      issue = { ...issue, message: REQUIRED };
    }
    let target: string | null = null;
    const parts = path ? path.split(".") : [];
    for (let n = parts.length; n > 0 && target === null; n--) {
      const candidate = parts.slice(0, n).join(".");
      if (known.has(candidate)) target = candidate;
    }
    if (target === null) rest.push(issue);
    else byPath.set(target, [...(byPath.get(target) ?? []), issue]);
  }
  return { byPath, rest };
}

/** Every path a list of fields (and rows of the current value) can show issues at. */
export function fieldPaths(fields: Field[], root: unknown): string[] {
  const out: string[] = [];
  const visit = (f: Field) => {
    out.push(f.path);
    if (f.kind === "object") f.fields.forEach(visit);
    if (f.kind === "keyvalue" || f.kind === "list") {
      const rows = getIn(root, f.path);
      const count = Array.isArray(rows) ? rows.length : 0;
      for (let i = 0; i < count; i++) {
        out.push(`${f.path}.${i}`);
        if (f.kind === "keyvalue") f.item.forEach((c) => visit(atIndex(c, i)));
        else visit(atIndex(f.item, i));
      }
    }
  };
  fields.forEach(visit);
  return out;
}
