// The console store in a try of "Send to a list": each test contact keeps its own
// conversation, step log and place on the canvas; the shown one's actions name it.
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Report } from "./model";

const sent: { event: string; data: any }[] = [];
const answers: Record<string, (data: any) => unknown> = {};

vi.mock("./socket", () => ({
  ConsoleRequestError: class extends Error {},
  getSocket: () => ({ off() { return this; }, on() { return this; }, connected: false }),
  request: async (event: string, data: any) => {
    sent.push({ event, data });
    return answers[event](data);
  },
}));
vi.mock("../app/sync", () => ({ flush: async () => undefined }));
vi.mock("./speech", () => ({ speak: () => undefined, stopSpeaking: () => undefined }));

const { act, openTrial, restart, showContact, useRun } = await import("./store");

function report(contact: string, body: string, widget: string, status = "active"): Report {
  const state = { session: "s", flow: "appt", contact, number: "+15555550100", revision: "r1", execution_id: `FN${contact}`,
    status, waiting: status === "active" ? { widget, kind: "message", token: 1, due: null } : null, now: "", mocks: {},
    in_call: false, steps: 1, published: true, draft_differs: false };
  return { action: "start", arg: {}, status, note: "", execution_id: state.execution_id, ended_reason: status === "ended" ? "the flow reached an end" : null,
    state, transcript: [{ kind: "message", widget, body }],
    steps: [{ event: "incomingRequest", from: "Trigger", to: widget, flow: "appt", at: "" }],
    log: [{ type: "transition", widget: "Trigger", event: "incomingRequest", to: widget }, { type: "entered", widget }] };
}

const input = { from: "+15555550100", contacts: [
  { to: "+15555551001", row: 2, parameters: { first_name: "Ana" } },
  { to: "+15555551002", row: 3, parameters: { first_name: "Bo" } },
] };

beforeEach(() => {
  sent.length = 0;
  answers["console:trial"] = () => ({ from: "+15555550100", contacts: [
    { id: "t1", to: "+15555551001", row: 2, parameters: { first_name: "Ana" }, skip: null, report: report("+15555551001", "Hi Ana", "ask") },
    { id: "t2", to: "+15555551002", row: 3, parameters: { first_name: "Bo" }, skip: "opted out (texted STOP)", report: report("+15555551002", "Hi Bo", "ask") },
  ] });
  answers["console:act"] = (data) => ({ ...report("+15555551002", "Thanks Bo", "thanks", "ended"), action: data.action, arg: data.arg });
});

describe("a try with test numbers in the console", () => {
  it("starts every test number and shows the first", async () => {
    await openTrial("appt", input);
    expect(sent).toEqual([{ event: "console:trial", data: { flow: "appt", from: "+15555550100", contacts: input.contacts } }]);
    const s = useRun.getState();
    expect(s.trial?.active).toBe("t1");
    expect(s.transcript.map((i) => i.body ?? i.text)).toEqual([
      "Started as the list would start +15555551001, with row 2 (flow.data: first_name: Ana)", "Hi Ana"]);
    expect(s.highlight.current).toBe("ask");
  });

  it("sends the country of test numbers written without +, as the list's", async () => {
    await openTrial("appt", { ...input, country: "US" });
    expect(sent).toEqual([{ event: "console:trial",
      data: { flow: "appt", from: "+15555550100", contacts: input.contacts, country: "US" } }]);
  });

  it("keeps each test contact's conversation when switching, and replies as the shown one", async () => {
    await openTrial("appt", input);
    showContact("t2");
    expect(useRun.getState().transcript.map((i) => i.body ?? i.text)).toEqual([
      "Started as the list would start +15555551002, with row 3 (flow.data: first_name: Bo)",
      "A real send would skip this number: opted out (texted STOP).", "Hi Bo"]);
    await act("send", "yes");
    expect(sent.at(-1)).toEqual({ event: "console:act", data: { action: "send", arg: "yes", contact: "t2" } });
    expect(useRun.getState().transcript.slice(-3).map((i) => i.body ?? i.text)).toEqual(["yes", "Thanks Bo", "The conversation ended"]);
    expect(useRun.getState().highlight.current).toBe("thanks");

    showContact("t1");
    const s = useRun.getState();
    expect(s.transcript.map((i) => i.body ?? i.text)).toEqual([
      "Started as the list would start +15555551001, with row 2 (flow.data: first_name: Ana)", "Hi Ana"]);
    expect(s.state?.contact).toBe("+15555551001");
    expect(s.highlight.current).toBe("ask");
    showContact("t2");
    expect(useRun.getState().transcript.at(-2)?.body).toBe("Thanks Bo");
  });

  it("starts the whole try again on Start over", async () => {
    await openTrial("appt", input);
    sent.length = 0;
    await restart();
    expect(sent.map((x) => x.event)).toEqual(["console:trial"]);
    expect(useRun.getState().trial?.active).toBe("t1");
  });
});

describe("the end of a conversation", () => {
  it("says which output led nowhere when the flow simply reached an end", async () => {
    const { useEditor } = await import("../store/editor");
    const catalogFile = (await import("../test/catalog.json")).default as { widgets: any[] };
    useEditor.getState().setCatalog(catalogFile.widgets);
    useEditor.setState({ doc: { spec_version: 1, name: "appt", widgets: [
      { name: "Trigger", type: "trigger", transitions: { incomingRequest: "ask" } },
      { name: "ask", type: "send-and-wait-for-reply", properties: { body: "Hi" }, transitions: {} }] } });
    await openTrial("appt", input);
    answers["console:act"] = (data) => {
      const r = report("+15555551001", "", "ask", "ended");
      return { ...r, transcript: [], action: data.action, arg: data.arg,
        steps: [{ event: "timeout", from: "ask", to: "Ended", flow: "appt", at: "" }] };
    };
    await act("wait");
    expect(useRun.getState().transcript.at(-1)?.text).toBe(
      "The conversation ended after ask: its “No Reply” output is not connected to another widget");
  });

  it("ends a path after a message sent as the natural end it is, not as a missing connection", async () => {
    const { endNote } = await import("./store");
    const { useEditor } = await import("../store/editor");
    useEditor.setState({ doc: { spec_version: 1, name: "survey", widgets: [
      { name: "Trigger", type: "trigger", transitions: { incomingMessage: "thanks" } },
      { name: "thanks", type: "send-message", properties: { body: "Thanks" }, transitions: {} }] } });
    expect(endNote("ended", "the flow reached an end", { steps: [{ event: "sent", from: "thanks", to: "Ended", flow: "s", at: "" }] }))
      .toBe("The conversation ended after thanks, the last widget of this path");
    expect(endNote("ended", "the flow reached an end", { steps: [{ event: "failed", from: "thanks", to: "Ended", flow: "s", at: "" }] }))
      .toBe("The conversation ended after thanks: its “Failed” output is not connected to another widget");
    // a call to an SMS flow: the Trigger's start is named (before: "the last widget of this path")
    expect(endNote("ended", "the flow reached an end", { steps: [{ event: "incomingCall", from: "Trigger", to: "Ended", flow: "s", at: "" }] }))
      .toMatch(/^The conversation ended after Trigger: its “.+” output is not connected to another widget$/);
  });
});

