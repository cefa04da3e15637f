import { describe, expect, it } from "vitest";
import catalogFile from "../test/catalog.json";
import type { CatalogEntry, Issue } from "./types";
import {
  atIndex,
  booleanToStore,
  booleanValue,
  extraFields,
  fieldPaths,
  fieldsFor,
  parseInput,
  placeIssues,
  requiredFor,
  setIn,
  type Field,
} from "./schemaForm";

// A copy of GET /api/widgets. Refresh it after changing a widget module:
//   .venv/bin/python -c "from flowstudio.widgets import registry; import json; \
//     print(json.dumps({'widgets': registry.catalog()}, indent=1))" > frontend/src/test/catalog.json
const catalog = (catalogFile as { widgets: CatalogEntry[] }).widgets;
const entry = (type: string) => catalog.find((e) => e.type === type)!;
const fields = (type: string, value: unknown = {}) => fieldsFor(entry(type).properties, "properties", value);
const field = (type: string, key: string, value: unknown = {}) => fields(type, value).find((f) => f.key === key)!;

const issue = (path: string | null, message: string): Issue => ({
  code: "property", severity: "error", message, widget: "w", path, file: null, line: null, column: null,
});

describe("every widget in the catalog", () => {
  const supported = catalog.filter((e) => e.supported);
  it.each(supported.map((e) => e.type))("%s gets a titled, known field for each property", (type) => {
    const props = Object.keys(entry(type).properties.properties ?? {});
    const got = fields(type);
    expect(got.map((f) => f.key)).toEqual(props);
    for (const f of got) {
      expect(f.kind, `${type}.${f.key}`).not.toBe("json");
      expect(f.title).toMatch(/^[A-Z]/);
      expect(f.path).toBe(`properties.${f.key}`);
    }
  });

  it("the split's condition schema gives a labelled select, a value, a label and liquid arguments", () => {
    const cond = fieldsFor(entry("split-based-on").condition_schema, "transitions.match.0.conditions.0", { type: "equal_to" });
    const byKey = Object.fromEntries(cond.map((f) => [f.key, f]));
    expect(byKey.type.kind).toBe("select");
    expect(byKey.type.kind === "select" && byKey.type.options.find((o) => o.value === "matches_any_of")?.label).toBe("Matches Any Of");
    expect(byKey.type.required).toBe(true);
    expect(byKey.value).toMatchObject({ kind: "text", required: true });
    expect(byKey.friendly_name).toMatchObject({ kind: "text", title: "Label" });
    expect(byKey.arguments.kind).toBe("list");
    expect(byKey.arguments.kind === "list" && byKey.arguments.item).toMatchObject({ kind: "text", liquid: true });
  });
});

describe("field descriptors", () => {
  it("marks liquid and multi-line text", () => {
    expect(field("send-message", "body")).toMatchObject({ kind: "text", liquid: true, multiline: true, required: true });
    expect(field("send-message", "to")).toMatchObject({ kind: "text", liquid: true, multiline: false, default: "{{contact.channel.address}}" });
    expect(field("say-play", "voice")).toMatchObject({ kind: "text", liquid: false });
  });

  it("reads numbers with their unit, bounds and words", () => {
    expect(field("gather-input-on-call", "timeout")).toMatchObject({ kind: "number", minimum: 0, maximum: 30, unit: "seconds", default: 5 });
    expect(field("gather-input-on-call", "speech_timeout")).toMatchObject({ kind: "number", words: ["auto"], prefers: "string" });
  });

  it("uses enum labels from x-ui", () => {
    const ct = field("make-http-request", "content_type");
    expect(ct.kind === "select" && ct.options.filter((o) => !o.older).map((o) => o.label))
      .toEqual(["Form URL Encoded", "Application/JSON"]);
    expect(ct.kind === "select" && ct.options.filter((o) => o.older).map((o) => o.value))
      .toEqual(["application/x-www-form-urlencoded", "application/json"]);
    const method = field("make-http-request", "method");
    expect(method.kind === "select" && method.options.map((o) => o.label)).toEqual(["GET", "POST"]);
  });

  it("turns key/value arrays into rows", () => {
    const vars = field("set-variables", "variables");
    expect(vars.kind).toBe("keyvalue");
    if (vars.kind !== "keyvalue") return;
    expect(vars.item.map((f) => [f.key, f.path, f.required])).toEqual([
      ["key", "properties.variables.#.key", true],
      ["value", "properties.variables.#.value", false],
    ]);
    expect(atIndex(vars.item[1], 3).path).toBe("properties.variables.3.value");
    expect(field("make-http-request", "parameters").kind).toBe("keyvalue");
  });

  it("follows if/then/else for required markers", () => {
    expect(field("connect-call-to", "to", { noun: "number" }).required).toBe(true);
    expect(field("connect-call-to", "to", { noun: "sip" }).required).toBe(false);
    expect(field("connect-call-to", "sip_endpoint", { noun: "sip" }).required).toBe(true);
    expect(field("say-play", "say", {}).required).toBe(true);
    expect(field("say-play", "say", { play: "https://a/b.mp3" }).required).toBe(false);
    expect([...requiredFor(entry("enqueue-call").properties, { workflow_sid: "WW1" })]).toEqual([]);
    const cond = entry("split-based-on").condition_schema!;
    expect(requiredFor(cond, { type: "is_blank" }).has("value")).toBe(false);
    expect(requiredFor(cond, { type: "contains" }).has("value")).toBe(true);
  });

  it("knows when an empty text means something", () => {
    expect(field("gather-input-on-call", "finish_on_key")).toMatchObject({ emptyMeaningful: true });
    expect(field("send-message", "from")).toMatchObject({ emptyMeaningful: false });
  });

  it("keeps properties the schema does not know, as JSON", () => {
    const extra = extraFields(entry("send-message").properties, { body: "x", offset: { x: 1 } }, "properties");
    expect(extra.map((f) => [f.key, f.kind])).toEqual([["offset", "json"]]);
  });

  it("falls back to JSON for shapes it does not know", () => {
    const odd = fieldsFor({ properties: { matrix: { type: "array", items: { type: "array" } } } }, "properties");
    expect(odd[0].kind).toBe("json");
  });
});

describe("parsing what people type", () => {
  const timeout = field("gather-input-on-call", "timeout");
  const speech = field("gather-input-on-call", "speech_timeout");

  it("stores whole numbers as numbers (also where an imported file had text), as text where the field prefers it", () => {
    expect(parseInput(timeout, "10", undefined)).toEqual({ value: 10 });
    expect(parseInput(timeout, " 10 ", 5)).toEqual({ value: 10 });
    expect(parseInput(timeout, "12", "5")).toEqual({ value: 12 });
    expect(parseInput(speech, "auto", 3)).toEqual({ value: "auto" });
    expect(parseInput(speech, "3", undefined)).toEqual({ value: "3" });
  });

  it("explains numbers that are not acceptable, keeping what was typed", () => {
    expect(parseInput(timeout, "ten", 5)).toEqual({ value: "ten", error: "must be a whole number of seconds" });
    expect(parseInput(timeout, "45", 5)).toEqual({ value: 45, error: "must be at most 30" });
    expect(parseInput(timeout, "", 5)).toEqual({ value: undefined });
  });

  it("clears text back to the default, unless empty means none", () => {
    expect(parseInput(field("send-message", "from"), "", "+1555")).toEqual({ value: undefined });
    expect(parseInput(field("send-message", "body"), "", "hi").error).toBe("is required");
    expect(parseInput(field("gather-input-on-call", "finish_on_key"), "", "#")).toEqual({ value: "" });
    expect(parseInput(field("gather-input-on-call", "finish_on_key"), "##", "#").error).toBe("must be one key (0-9, # or *) or empty");
    expect(parseInput(field("make-http-request", "url"), "  ", "x").error).toBe("must not be empty");
  });

  it("keeps booleans in the form they had", () => {
    expect(booleanValue("true", undefined)).toBe(true);
    expect(booleanValue(undefined, "true")).toBe(true);
    expect(booleanValue(false, true)).toBe(false);
    expect(booleanToStore(false, "true", undefined)).toBe("false");
    expect(booleanToStore(true, false, undefined)).toBe(true);
    expect(booleanToStore(true, undefined, "true")).toBe("true");
  });

  it("parses JSON fields, keeping plain words as text", () => {
    const json: Field = { kind: "json", key: "x", path: "properties.x", title: "X", required: false };
    expect(parseInput(json, '{"a": 1}', undefined)).toEqual({ value: { a: 1 } });
    expect(parseInput(json, "hello", "hi")).toEqual({ value: "hello" });
    expect(parseInput(json, "{oops", { a: 1 }).error).toMatch(/not valid JSON/);
  });
});

describe("setIn", () => {
  it("sets, deletes and removes rows without touching the original", () => {
    const w = { name: "w", properties: { variables: [{ key: "a", value: "1" }, { key: "b", value: "2" }] } };
    const a = setIn(w, "properties.variables.1.value", "3");
    expect(a.properties.variables[1]).toEqual({ key: "b", value: "3" });
    expect(w.properties.variables[1].value).toBe("2");
    expect(setIn(w, "properties.variables.0", undefined).properties.variables).toEqual([{ key: "b", value: "2" }]);
    expect(setIn(w, "properties.timeout", 5).properties).toMatchObject({ timeout: 5 });
    expect("name" in setIn(w, "name", undefined)).toBe(false);
    expect(setIn({} as any, "properties.parameters.0.key", "k")).toEqual({ properties: { parameters: [{ key: "k" }] } });
  });
});

describe("issues next to fields", () => {
  it("places issues on the closest field, required ones on the missing field", () => {
    const props = { variables: [{ value: "x" }] };
    const fs = fields("set-variables", props);
    const paths = fieldPaths(fs, { properties: props });
    expect(paths).toContain("properties.variables.0.key");
    const { byPath, rest } = placeIssues(
      [
        issue("properties.variables.0", "key is required"),
        issue("properties.parse_json", "must be true or false"),
        issue("properties.variables.0.value.deep", "odd"),
        issue("properties", "something else"),
        issue(null, "flow-level"),
      ],
      paths,
    );
    expect(byPath.get("properties.variables.0.key")?.map((i) => i.message)).toEqual(["is required"]);   // the label says which
    expect(byPath.get("properties.parse_json")?.length).toBe(1);
    expect(byPath.get("properties.variables.0.value")?.length).toBe(1);
    expect(rest.map((i) => i.message)).toEqual(["something else", "flow-level"]);
  });

  it("puts 'body is required' on the body field", () => {
    const { byPath } = placeIssues([issue("properties", "body is required")], fieldPaths(fields("send-message"), {}));
    expect(byPath.get("properties.body")?.length).toBe(1);
  });
});
