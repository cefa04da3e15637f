import { describe, expect, it } from "vitest";
import {
  columnsText, contactLabel, contactStatus, firstTranscript, MAX_TEST_NUMBERS, nextTestNumber, nulProblem, prefill,
  sampleOf, type ListSample,
} from "./trial";

const sample: ListSample = {
  rows: [2, 3, 4].map((row) => ({ row, to: `+1555555100${row}`, parameters: { first_name: `Guest ${row}` } })),
  columns: ["first_name"], max: 5, invalid: [], invalid_count: 0,
};

describe("the part of a list sent to pick test numbers from", () => {
  it("is the whole list when it is small", () => {
    expect(sampleOf("to\n+15555551001\n", "csv")).toEqual({ text: "to\n+15555551001\n", partial: false });
  });
  it("ends at the last whole line of a big CSV, so no row is cut in half", () => {
    const text = "to,name\n+15555551001,Ana\n+15555551002,Bo\n";
    expect(sampleOf(text, "csv", 30)).toEqual({ text: "to,name\n+15555551001,Ana\n", partial: true });
  });
  it("ends at the last separator of pasted numbers", () => {
    expect(sampleOf("+15555551001, +15555551002, +1555555", "numbers", 35)).toEqual({ text: "+15555551001, +15555551002,", partial: true });
  });
  it("is cut at a whole line when only the file's beginning was read", () => {
    expect(sampleOf("to\n+15555551001\n+1555", "csv", 100, true)).toEqual({ text: "to\n+15555551001\n", partial: true });
  });
  it("names a NUL character and its line", () => {
    expect(nulProblem("to\n+1555\u0000", "The CSV file")).toMatch(/^The CSV file holds a NUL character \(line 2\)/);
    expect(nulProblem("to\n+1555", "The CSV file")).toBeNull();
  });
});

describe("picking test numbers", () => {
  it("starts with the list's first two rows, with their columns", () => {
    expect(prefill(sample)).toEqual([
      { to: "+15555551002", row: 2, parameters: { first_name: "Guest 2" } },
      { to: "+15555551003", row: 3, parameters: { first_name: "Guest 3" } },
    ]);
  });
  it("adds the next row not picked yet, then blank numbers, up to the limit", () => {
    const two = prefill(sample);
    expect(nextTestNumber(two, sample)).toEqual({ to: "+15555551004", row: 4, parameters: { first_name: "Guest 4" } });
    const three = [...two, nextTestNumber(two, sample)!];
    expect(nextTestNumber(three, sample)).toEqual({ to: "", row: null, parameters: {} });
    const full = Array.from({ length: MAX_TEST_NUMBERS }, () => ({ to: "+1", row: null, parameters: {} }));
    expect(nextTestNumber(full, sample)).toBeNull();
  });
});

describe("the words a test contact is shown with", () => {
  it("lists the row's columns in a line, cutting long ones", () => {
    expect(columnsText({ first_name: "Ana", n: 3 })).toBe("first_name: Ana · n: 3");
    expect(columnsText({ note: "x".repeat(100) }, 20)).toBe("note: xxxxxxxxxxxxx…");
    expect(contactLabel({ to: "+15555551002", row: 2 })).toBe("+15555551002 (row 2)");
  });
  it("says where its conversation stands", () => {
    const base = { session: "s", flow: "f", contact: "+1", number: "+2", revision: null, execution_id: "FN1",
      now: "", mocks: {}, in_call: false, steps: 1 };
    expect(contactStatus({ ...base, status: "active", waiting: { widget: "ask", kind: "message", token: 1, due: null } }))
      .toBe("waits for a reply");
    expect(contactStatus({ ...base, status: "ended", waiting: null })).toBe("ended");
    expect(contactStatus(null)).toBe("");
  });
  it("opens the phone with who they are, and warns when a real send would skip them", () => {
    const items = firstTranscript({ to: "+15555551002", row: 2, parameters: { first_name: "Ana" }, skip: "opted out (texted STOP)" },
      { transcript: [{ kind: "message", body: "Hi Ana" }] });
    expect(items).toEqual([
      { kind: "note", text: "Started as the list would start +15555551002, with row 2 (flow.data: first_name: Ana)" },
      { kind: "error", text: "A real send would skip this number: opted out (texted STOP)." },
      { kind: "message", body: "Hi Ana" },
    ]);
  });

  it("says when the Trigger's output for lists leads nowhere", () => {
    const items = firstTranscript({ to: "+15555551002", row: null, parameters: {}, skip: null },
      { transcript: [], status: "ended", steps: [{ event: "incomingRequest", from: "Trigger", to: "Ended", flow: "f", at: "" }] });
    expect(items.map((i) => i.kind)).toEqual(["note", "error"]);
    expect(items[1].text).toMatch(/^The Trigger's “Started by a list or app” output leads nowhere/);
    expect(firstTranscript({ to: "+1", row: null, parameters: {}, skip: null }, { transcript: [{ kind: "message", body: "Hi" }],
      status: "ended", steps: [{ event: "incomingRequest", from: "Trigger", to: "hello", flow: "f", at: "" }] })).toHaveLength(2);
  });
});
