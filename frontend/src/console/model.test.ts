import { describe, expect, it } from "vitest";
import {
  durationWords, edgeIdOf, explainError, highlightAfter, highlightAt, httpWidgets, keypadHint, keyRules, logRows,
  parseDuration, phoneMode, pressKey, secondsUntil, textAction, youSaid, EMPTY_HIGHLIGHT, type Report,
} from "./model";

const state = { session: "s", flow: "appt", contact: "+1", number: "+2", revision: null, execution_id: "FN1",
  status: "active", waiting: { widget: "ask", kind: "message", token: 1, due: "2026-01-05T11:00:00+00:00" },
  now: "2026-01-05T10:00:00+00:00", mocks: {}, in_call: false, steps: 1 };

// What the server answers to a first "hi" on the appointment flow (trimmed).
const first: Report = {
  action: "send", arg: "hi", status: "active", note: "", execution_id: "FN1", ended_reason: null, state,
  transcript: [{ kind: "message", widget: "ask", body: "Reply YES" }],
  steps: [{ event: "incomingMessage", from: "Trigger", to: "ask", flow: "appt", at: "2026-01-05T10:00:00+00:00",
    context: { trigger: { message: { Body: "hi" } } } }],
  log: [
    { type: "transition", widget: "Trigger", event: "incomingMessage", to: "ask" },
    { type: "entered", widget: "ask", widget_type: "send-and-wait-for-reply" },
    { type: "waiting", widget: "ask", waits_for: "message", due: "2026-01-05T11:00:00+00:00" },
  ],
};

describe("the step log", () => {
  it("has one row per move with the context at that step, and the wait", () => {
    const rows = logRows(first, 0);
    expect(rows.map((r) => [r.kind, r.widget, r.text])).toEqual([
      ["step", "Trigger", "Trigger → ask"],
      ["wait", "ask", "waits for a reply (times out after 1 hour)"],
    ]);
    expect(rows[0].context).toEqual({ trigger: { message: { Body: "hi" } } });
    expect(rows[0].event).toBe("incomingMessage");
    expect(rows.map((r) => r.id)).toEqual([0, 1]);
  });

  it("puts errors on the widget that caused them, in plain words, and says how it ended", () => {
    const rows = logRows({ ...first, steps: [], log: [
      { type: "error", widget: "lookup", message: "the request failed: HTTP status 500" },
      { type: "ended", widget: null, status: "failed", reason: "stopped at 'loop': an execution may take at most 1,000 steps" },
    ] }, 5);
    expect(rows[0]).toMatchObject({ kind: "error", widget: "lookup", id: 5 });
    expect(rows[0].text).toContain("the other system had a problem (status 500)");
    expect(rows[1].text).toContain("stopped after 1,000 steps");
    const noted = logRows({ ...first, steps: [], log: [{ type: "note", widget: "cancel", message: "the request failed: HTTP status 500" }] }, 0);
    expect(noted[0]).toMatchObject({ kind: "error", widget: "cancel" });
  });
});

describe("plain words for errors", () => {
  it.each([
    ["no mocked answer for 'cancel' (add one under http: in the test)", /"cancel" has no test answer/],
    ["the request failed: HTTP status 404", /address was not found/],
    ["stopped at 'x': the same widget may run at most 10 times in a row", /ran 10 times in a row/],
    ["liquid error: unexpected '}}'", /template could not be filled in/],
    ["'ask' failed and has no failure transition: boom", /Connect its failure output/],
  ])("%s", (message, expected) => {
    expect(explainError(message)).toMatch(expected);
  });
});

describe("the canvas highlight", () => {
  it("marks visited widgets, the last move, and the widget it waits at", () => {
    const h = highlightAfter(EMPTY_HIGHLIGHT, first);
    expect(h).toEqual({ current: "ask", visited: ["Trigger", "ask"], lastEdge: { from: "Trigger", event: "incomingMessage", to: "ask" }, failed: [] });
  });

  it("replays an execution step by step", () => {
    const steps = [{ from: "Trigger", event: "incomingCall", to: "menu" }, { from: "menu", event: "keypress", to: "sales" }];
    expect(highlightAt(steps, 0).current).toBe("menu");
    expect(highlightAt(steps, 1)).toEqual({ current: "sales", visited: ["Trigger", "menu", "sales"],
      lastEdge: { from: "menu", event: "keypress", to: "sales" } });
  });

  it("finds the edge of a move, a split's branch by its target", () => {
    const edges = [
      { id: "check::match:0", source: "check", sourceHandle: "match:0", target: "yes" },
      { id: "check::match:1", source: "check", sourceHandle: "match:1", target: "no" },
      { id: "check::noMatch", source: "check", sourceHandle: "noMatch", target: "again" },
    ];
    expect(edgeIdOf({ from: "check", event: "match", to: "no" }, edges)).toBe("check::match:1");
    expect(edgeIdOf({ from: "check", event: "noMatch", to: "again" }, edges)).toBe("check::noMatch");
    expect(edgeIdOf({ from: "other", event: "next", to: "x" }, edges)).toBeNull();
  });
});

describe("time", () => {
  it("reads durations as people type them", () => {
    expect(parseDuration("90")).toBe(90);
    expect(parseDuration("10m")).toBe(600);
    expect(parseDuration("1h 30m")).toBe(5400);
    expect(parseDuration("2 days")).toBe(172800);
    expect(parseDuration("soon")).toBeNull();
    expect(parseDuration("5 parsecs")).toBeNull();
  });

  it("says durations in words", () => {
    expect(durationWords(5)).toBe("5 seconds");
    expect(durationWords(3600)).toBe("1 hour");
    expect(durationWords(5400)).toBe("1 hour 30 minutes");
    expect(durationWords(90061)).toBe("1 day 1 hour");
    expect(secondsUntil(state.waiting.due, state.now)).toBe(3600);
    expect(secondsUntil(null, state.now)).toBeNull();
  });
});

describe("the phone", () => {
  it("shows what the contact did", () => {
    expect(youSaid("send", "yes")).toEqual({ kind: "you", body: "yes" });
    expect(youSaid("press", "1")).toEqual({ kind: "you", body: "pressed 1" });
    expect(youSaid("wait", 3600)).toEqual({ kind: "time", text: "1 hour passed" });
    expect(youSaid("callback", { DialCallStatus: "no-answer" })?.text).toBe("The other phone: no answer");
  });

  it("offers the controls that make sense", () => {
    expect(phoneMode(null)).toMatchObject({ canText: true, inCall: false });
    expect(phoneMode({ status: "active", in_call: true, waiting: { widget: "menu", kind: "call", token: 1, due: null } }))
      .toEqual({ canText: false, inCall: true, gather: true, canWait: false });
    expect(phoneMode({ status: "ended", in_call: true, waiting: null }).inCall).toBe(false);
  });

  it("lists the HTTP widgets that can get a typed answer", () => {
    expect(httpWidgets({ widgets: [{ name: "a", type: "make-http-request" }, { name: "b", type: "send-message" },
      { name: "c", type: "run-function" }] })).toEqual(["a", "c"]);
  });
});

describe("eventLabel", () => {
  it("says an event as the canvas labels the widget's output", async () => {
    const { eventLabel } = await import("./model");
    const catalog = new Map([["say-play", { events: [{ name: "audioComplete", label: "Audio Complete" }] }],
      ["connect-call-to", { events: [{ name: "callCompleted", label: "Connected Call Ended" }] }],
      ["set-variables", { events: [{ name: "next", label: "Next" }] }]]);
    expect(eventLabel("audioComplete", "say-play", catalog)).toBe("Audio Complete");
    expect(eventLabel("callCompleted", "connect-call-to", catalog)).toBe("Connected Call Ended");
    expect(eventLabel("next", "set-variables", catalog)).toBe("Next");
    expect(eventLabel("incomingMessage", undefined, catalog)).toBe("a message came in");
  });
});

describe("Conversations and hand-overs in the console", () => {
  it("sends SMS as send and the Conversation channels as chat", () => {
    expect(textAction("sms", "hi")).toEqual(["send", "hi"]);
    expect(textAction("whatsapp", "hi")).toEqual(["chat", { body: "hi", channel: "whatsapp" }]);
    expect(textAction("chat", "hi")).toEqual(["chat", { body: "hi", channel: "chat" }]);
    expect(textAction("conversation-sms", "hi")).toEqual(["chat", { body: "hi", channel: "sms" }]);
  });
  it("says in words what the agent, the payment and the virtual agent did", () => {
    expect(youSaid("chat", { body: "hello", channel: "chat" })).toEqual({ kind: "you", body: "hello" });
    expect(youSaid("callback", { QueueResult: "bridged" })?.text).toBe("An agent took the call");
    expect(youSaid("callback", { Result: "too-many-failed-attempts" })?.text).toBe("You entered wrong card details too many times");
    expect(youSaid("callback", { VirtualAgentStatus: "live-agent-handoff" })?.text).toBe("The virtual agent: live agent handoff");
  });
});

describe("the test phone's keypad", () => {
  it("sends the keys as soon as the question has as many as it takes, as a phone does", () => {
    const one = keyRules({ number_of_digits: 1 });
    expect(pressKey("", "1", one)).toEqual({ keys: "1", send: true });
    const four = keyRules({ number_of_digits: "4" });   // as Studio exports it
    expect(pressKey("12", "3", four)).toEqual({ keys: "123", send: false });
    expect(pressKey("123", "4", four)).toEqual({ keys: "1234", send: true });
  });

  it("sends on the finishing key, without it; with no finishing key # is a key like the others", () => {
    const rules = keyRules({});
    expect(rules).toEqual({ count: null, finish: "#" });
    expect(pressKey("42", "#", rules)).toEqual({ keys: "42", send: true });
    expect(pressKey("42", "7", rules)).toEqual({ keys: "427", send: false });
    expect(pressKey("42", "#", keyRules({ finish_on_key: "" }))).toEqual({ keys: "42#", send: false });
    expect(pressKey("", "#", rules)).toEqual({ keys: "#", send: false });
  });

  it("says what the keypad does", () => {
    expect(keypadHint(keyRules({ number_of_digits: 1 }))).toBe(
      "This question takes one key: it goes to the flow as soon as you press it.");
    expect(keypadHint(keyRules({ number_of_digits: 4 }))).toBe(
      "This question takes 4 keys: they go to the flow as soon as you press them, or press # to send fewer.");
    expect(keypadHint(keyRules({}))).toBe("Press # when done (or Press), as a caller would.");
  });
});
