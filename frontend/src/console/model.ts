// The test-run console's pure logic: what the server's answers (flowstudio/console.py and
// web/live.py) become on screen. The transcript (bubbles, spoken lines), the step log
// (one row per transition, error, wait, end) with the context at each step, what the
// canvas highlights, and error messages put in plain words. No React, no socket: tested
// with vitest.

export interface Waiting {
  widget: string;
  kind: "message" | "call" | "io" | "subflow" | string;
  token: number;
  due: string | null;
}

/** What the panel knows about its console session (ConsoleSession.state()). */
export interface ConsoleState {
  session: string;
  flow: string;
  contact: string;
  number: string;
  revision: string | null;
  execution_id: string | null;
  status: "idle" | "active" | "ended" | "failed" | string;
  waiting: Waiting | null;
  now: string;
  mocks: Record<string, { status: number; body: unknown }>;
  in_call: boolean;
  steps: number;
  /** A try of "Send to a list": runs the published version (what the list would get). */
  published?: boolean;
  /** The flow has unpublished changes (not in a try, which runs the published version). */
  draft_differs?: boolean;
}

export interface TranscriptItem {
  kind: "message" | "say" | "play" | "gather" | "dial" | "record" | "hangup" | "note" | "you" | "time" | "error"
    | "handover" | "pay" | "agent";
  /** A Conversation message's author, when the flow names one (web chat shows it). */
  author?: string;
  widget?: string;
  body?: string;
  text?: string;
  /** The technical side of `text` (what Twilio would be asked), shown smaller under it. */
  detail?: string;
  media?: string[];
  url?: string;
  digits?: string;
  language?: string;
  input?: string;
}

export interface ServerStep {
  event: string;
  from: string;
  to: string | null;
  flow: string;
  at: string;
  context?: Record<string, unknown>;
}

export interface TraceEntry {
  type: string;
  widget: string | null;
  flow?: string;
  [key: string]: unknown;
}

/** One console action's answer (ConsoleSession.act). */
export interface Report {
  action: string;
  arg: unknown;
  transcript: TranscriptItem[];
  steps: ServerStep[];
  log: TraceEntry[];
  status: string;
  note: string;
  execution_id: string | null;
  ended_reason: string | null;
  state: ConsoleState;
}

/** A row of the step log. */
export interface LogRow {
  id: number;
  kind: "step" | "error" | "wait" | "end" | "note" | "variables";
  widget: string | null;
  /** Step rows: the event that moved the execution, and where to. */
  event?: string;
  to?: string | null;
  at?: string;
  text: string;
  context?: Record<string, unknown>;
}

/** What the canvas shows of a run: where it is, where it went, the last move. */
export interface Highlight {
  current: string | null;
  visited: string[];
  lastEdge: { from: string; event: string; to: string | null } | null;
  /** Widgets that failed on the way (drawn red on the canvas). */
  failed?: string[];
}

export const EMPTY_HIGHLIGHT: Highlight = { current: null, visited: [], lastEdge: null, failed: [] };

/** Words for events, as the canvas labels them (a few common ones; the rest as written). */
const EVENT_WORDS: Record<string, string> = {
  incomingMessage: "a message came in",
  incomingCall: "a call came in",
  incomingRequest: "started by a list or app",
  incomingParent: "started by a parent flow",
  next: "next",
  match: "a condition matched",
  noMatch: "no condition matched",
  timeout: "no reply in time",
  keypress: "keys pressed",
  speech: "speech heard",
  sent: "sent",
  failed: "failed",
  success: "success",
  deliveryFailure: "not delivered",
  answered: "answered",
  busy: "busy",
  noAnswer: "no answer",
  hangup: "the caller hung up",
  completed: "completed",
  recordingComplete: "recording complete",
};

export function eventWords(event: string): string {
  return EVENT_WORDS[event] ?? event;
}

/**
 * An event in the words the canvas shows on the widget's output ("Audio Complete",
 * "Connected Call Ended", "Next"), so the step log and the canvas say the same thing;
 * without the catalog, eventWords.
 */
export function eventLabel(event: string, widgetType: string | undefined,
  catalog: Map<string, { events?: { name: string; label: string }[] }>): string {
  const label = widgetType ? catalog.get(widgetType)?.events?.find((e) => e.name === event)?.label : undefined;
  return label ?? eventWords(event);
}

/**
 * An engine or server message in words a non-developer understands. The original stays
 * available (shown smaller) for people who want it.
 */
export function explainError(message: string): string {
  const m = message.trim();
  let r: RegExpMatchArray | null;
  if ((r = m.match(/no mocked answer for '([^']+)'/))) {
    return `"${r[1]}" has no test answer: type one under "HTTP requests", or let it call the real address.`;
  }
  if ((r = m.match(/HTTP status (\d{3})/))) {
    const code = Number(r[1]);
    const what = code >= 500 ? "the other system had a problem" : code === 404 ? "the address was not found"
      : code === 401 || code === 403 ? "the other system refused access" : "the other system said no";
    return `The web request failed: ${what} (status ${code}). The flow followed its "Fail" path.`;
  }
  if (/timed? ?out|timeout/i.test(m) && /request|http|connect/i.test(m)) {
    return "The web request got no answer in time (10 seconds). The flow followed its \"Fail\" path.";
  }
  if (/(Name or service not known|Connection refused|resolve|unreachable|ConnectError|Failed to establish)/i.test(m)) {
    return "The web request could not reach that address. Check the URL. The flow followed its \"Fail\" path.";
  }
  if ((r = m.match(/at most ([\d,]+) steps/))) {
    return `The flow was stopped after ${r[1]} steps: it probably goes round in a loop without waiting for the contact.`;
  }
  if ((r = m.match(/same widget may run at most (\d+) times in a row/))) {
    return `The flow was stopped: one widget ran ${r[1]} times in a row, which usually means a loop that never waits.`;
  }
  if (/liquid|template|unexpected|syntax|{{|{%/i.test(m)) {
    return `A message template could not be filled in: ${m}. Check the {{ }} parts of this widget's text.`;
  }
  if (/has no failure transition/.test(m)) {
    return `${m.replace(/^'([^']+)'/, '"$1"')}. Connect its failure output to decide what happens then.`;
  }
  if (/not supported by this runtime/.test(m)) {
    return "FlowStudio cannot run this kind of widget, so the flow stopped here.";
  }
  return m.charAt(0).toUpperCase() + m.slice(1);
}

/** "1 hour", "90 seconds", "2 days 3 hours": a wait in words. */
export function durationWords(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 120) return s === 1 ? "1 second" : `${s} seconds`;
  const parts: string[] = [];
  const units: [number, string][] = [[86400, "day"], [3600, "hour"], [60, "minute"]];
  let rest = s;
  for (const [size, name] of units) {
    const n = Math.floor(rest / size);
    if (n) parts.push(n === 1 ? `1 ${name}` : `${n} ${name}s`);
    rest -= n * size;
  }
  return parts.slice(0, 2).join(" ");
}

/**
 * A duration typed by a person ("90", "90s", "5m", "1h 30m", "2 days") in seconds, or
 * null when it is not one.
 */
export function parseDuration(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (!t) return null;
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const re = /(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|d|days?)\b/g;
  let total = 0;
  let used = "";
  for (const m of t.matchAll(re)) {
    const n = Number(m[1]);
    const u = m[2][0];
    total += n * (u === "s" ? 1 : u === "m" ? 60 : u === "h" ? 3600 : 86400);
    used += m[0];
  }
  return used.replace(/\s/g, "") === t.replace(/\s/g, "") ? total : null;
}

/** Seconds from `now` until `due` (ISO strings), never below 0. */
export function secondsUntil(due: string | null | undefined, now: string): number | null {
  if (!due) return null;
  return Math.max(0, Math.round((Date.parse(due) - Date.parse(now)) / 1000));
}

const QUEUE_WORDS: Record<string, string> = {
  bridged: "An agent took the call", hangup: "You hung up while waiting for an agent", error: "The call could not be queued",
};
const PAY_WORDS: Record<string, string> = {
  success: "You paid", "too-many-failed-attempts": "You entered wrong card details too many times",
  "caller-interrupted-with-star": "You pressed * to stop paying", "payment-connector-error": "The payment provider failed",
};

/** The channels a Conversations contact can write on in the console (`chat` action). */
export const CONVERSATION_CHANNELS: { value: string; label: string }[] = [
  { value: "sms", label: "SMS" },
  { value: "whatsapp", label: "WhatsApp (Conversation)" },
  { value: "chat", label: "Web chat (Conversation)" },
  { value: "conversation-sms", label: "SMS (Conversation)" },
];

/** The console action and argument for a text typed on `channel` (CONVERSATION_CHANNELS). */
export function textAction(channel: string, body: string): [string, unknown] {
  if (channel === "sms") return ["send", body];
  return ["chat", { body, channel: channel === "conversation-sms" ? "sms" : channel }];
}

/** What the contact did, as the transcript shows it on the right-hand side. */
export function youSaid(action: string, arg: unknown): TranscriptItem | null {
  switch (action) {
    case "send": return { kind: "you", body: String(arg ?? "") };
    case "chat": {
      const a = (arg ?? {}) as { body?: string; channel?: string };
      return { kind: "you", body: String(typeof arg === "string" ? arg : a.body ?? "") };
    }
    case "call": return { kind: "note", text: "You called the flow" };
    case "press": return { kind: "you", body: `pressed ${String(arg)}` };
    case "speak": return { kind: "you", body: `“${String(arg)}”` };
    case "no_input": return { kind: "you", body: "(stayed silent)" };
    case "hang_up": return { kind: "note", text: "You hung up" };
    case "end": return { kind: "note", text: "You ended the execution" };
    case "callback": {
      const a = (arg ?? {}) as Record<string, string>;
      if (a.DialCallStatus) return { kind: "note", text: `The other phone: ${a.DialCallStatus.replace("-", " ")}` };
      if (a.RecordingUrl) return { kind: "note", text: `You left a ${a.RecordingDuration ?? "short"} second message` };
      if (a.QueueResult) return { kind: "note", text: QUEUE_WORDS[a.QueueResult] ?? `Queue result: ${a.QueueResult}` };
      if (a.Result) return { kind: "note", text: PAY_WORDS[a.Result] ?? `Payment result: ${a.Result}` };
      if (a.VirtualAgentStatus) return { kind: "note", text: `The virtual agent: ${a.VirtualAgentStatus.replace(/-/g, " ")}` };
      return { kind: "note", text: "The call's widget got an answer" };
    }
    case "wait": return { kind: "time", text: `${durationWords(Number(arg))} passed` };
    default: return null;
  }
}

/**
 * The log rows of one answer: each transition (with the context at that step), errors on
 * the widget that caused them, what it waits for, how it ended. `nextId` numbers rows.
 */
export function logRows(report: Pick<Report, "steps" | "log" | "state" | "ended_reason" | "status">, nextId: number): LogRow[] {
  const rows: LogRow[] = [];
  const steps = [...report.steps];
  let lastAt = report.state?.now;
  const push = (row: Omit<LogRow, "id">) => rows.push({ ...row, id: nextId + rows.length });
  for (const entry of report.log) {
    if (entry.type === "transition") {
      const i = steps.findIndex((s) => s.from === entry.widget && s.event === entry.event && (s.to ?? null) === (entry.to ?? null));
      const step = i >= 0 ? steps.splice(i, 1)[0] : undefined;
      if (step) lastAt = step.at;
      const to = (entry.to as string | null) ?? null;
      push({ kind: "step", widget: entry.widget, event: String(entry.event), to, at: step?.at ?? lastAt,
        context: step?.context,
        text: to ? `${entry.widget} → ${to}` : `${entry.widget}: this branch ends here` });
    } else if (entry.type === "error") {
      push({ kind: "error", widget: entry.widget, at: lastAt, text: explainError(String(entry.message ?? "")) });
    } else if (entry.type === "waiting" && entry.waits_for !== "io") {
      const due = entry.due ? ` (times out after ${durationWords(secondsUntil(String(entry.due), lastAt ?? String(entry.due)) ?? 0)})` : "";
      const what = entry.waits_for === "message" ? "a reply" : entry.waits_for === "call" ? "the caller" : String(entry.waits_for);
      push({ kind: "wait", widget: entry.widget, at: lastAt, text: `waits for ${what}${due}` });
    } else if (entry.type === "ended") {
      const failed = entry.status === "failed";
      const reason = String(entry.reason ?? "");
      push({ kind: "end", widget: entry.widget, at: lastAt,
        text: failed ? `The execution failed: ${explainError(reason)}` : `The execution ended${endWords(reason)}` });
    } else if (entry.type === "note") {
      // Widgets note their failures ("the request failed: ..."): those are errors to a person.
      const message = String(entry.message ?? "");
      const failed = /failed|error/i.test(message);
      push({ kind: failed ? "error" : "note", widget: entry.widget, at: lastAt, text: failed ? explainError(message) : message });
    } else if (entry.type === "variables") {
      const values = entry.values as Record<string, unknown> | undefined;
      const text = values ? Object.entries(values).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(", ") : "";
      push({ kind: "variables", widget: entry.widget, at: lastAt, text: `set ${text}` });
    }
  }
  return rows;
}

function endWords(reason: string): string {
  if (!reason || reason === "the flow reached an end") return ": the flow reached its end";
  return `: ${reason}`;
}

/** Where the canvas highlight goes after a step log: visited widgets, the current one, the last move. */
export function highlightAfter(previous: Highlight, report: Pick<Report, "log" | "state">): Highlight {
  const visited = new Set(previous.visited);
  const failed = new Set(previous.failed ?? []);
  let current = previous.current;
  let lastEdge = previous.lastEdge;
  for (const e of report.log) {
    if (e.type === "error" && e.widget) failed.add(e.widget);
    if (e.type === "entered" && e.widget) {
      visited.add(e.widget);
      current = e.widget;
    } else if (e.type === "transition" && e.widget) {
      visited.add(e.widget);
      lastEdge = { from: e.widget, event: String(e.event), to: (e.to as string | null) ?? null };
      if (!current) current = e.widget;
    }
  }
  const waiting = report.state?.waiting;
  if (waiting && report.state.status === "active") current = waiting.widget;
  return { current, visited: [...visited], lastEdge, failed: [...failed] };
}

/** The highlight a replay shows at step `index` of a list of steps (executions view). */
export function highlightAt(steps: Pick<ServerStep, "from" | "event" | "to">[], index: number): Highlight {
  const visited: string[] = [];
  const upto = steps.slice(0, index + 1);
  for (const s of upto) {
    if (!visited.includes(s.from)) visited.push(s.from);
    if (s.to && !visited.includes(s.to)) visited.push(s.to);
  }
  const last = upto[upto.length - 1];
  if (!last) return EMPTY_HIGHLIGHT;
  return { current: last.to ?? last.from, visited, lastEdge: { from: last.from, event: last.event, to: last.to ?? null } };
}

/**
 * The React Flow edge id of a move (`<from>::<handle>`): the output named after the event,
 * or for a split's "match" the branch that leads to `to`.
 */
export function edgeIdOf(move: { from: string; event: string; to: string | null },
  edges: { id: string; source: string; target: string; sourceHandle?: string | null }[]): string | null {
  const from = edges.filter((e) => e.source === move.from);
  const exact = from.find((e) => e.sourceHandle === move.event && (move.to === null || e.target === move.to));
  if (exact) return exact.id;
  const byTarget = from.filter((e) => e.target === move.to);
  const branch = byTarget.find((e) => move.event === "match" && e.sourceHandle?.startsWith("match:"));
  return (branch ?? byTarget[0])?.id ?? null;
}

/** Which transcript controls make sense now. */
export function phoneMode(state: Pick<ConsoleState, "status" | "waiting" | "in_call"> | null): {
  canText: boolean; inCall: boolean; gather: boolean; canWait: boolean;
} {
  const active = state?.status === "active";
  const waiting = active ? state?.waiting : null;
  return {
    canText: !state?.in_call || !active,
    inCall: !!state?.in_call && active,
    gather: waiting?.kind === "call",
    canWait: !!waiting?.due,
  };
}

/** The HTTP widgets of a flow document (they can get a typed answer). */
export function httpWidgets(doc: { widgets: { name: string; type: string }[] } | null): string[] {
  return (doc?.widgets ?? []).filter((w) => w.type === "make-http-request" || w.type === "run-function").map((w) => w.name);
}

/** How a question on a call takes keys: after how many it goes on by itself, and which key
 * ends the input (Gather Input On Call's number_of_digits and finish_on_key; "#" unless set). */
export function keyRules(properties: Record<string, unknown> | undefined): { count: number | null; finish: string } {
  const n = Number(properties?.number_of_digits);
  const finish = properties?.finish_on_key;
  return { count: Number.isInteger(n) && n > 0 ? n : null, finish: typeof finish === "string" ? finish : "#" };
}

/** A key pressed on the test phone's keypad, as a real phone would send it: the keys so far,
 * and whether they go to the flow now (the question's number of keys is reached, or its
 * finishing key was pressed, which is not part of the answer, as with Twilio). */
export function pressKey(typed: string, key: string, rules: { count: number | null; finish: string }):
  { keys: string; send: boolean } {
  if (rules.finish && key === rules.finish && typed) return { keys: typed, send: true };
  const keys = typed + key;
  return { keys, send: rules.count !== null && keys.length >= rules.count };
}

/** What the keypad does, in words, under it. */
export function keypadHint(rules: { count: number | null; finish: string }): string {
  if (rules.count !== null) {
    const n = rules.count === 1 ? "one key" : `${rules.count} keys`;
    if (rules.count === 1) return `This question takes ${n}: it goes to the flow as soon as you press it.`;
    const fewer = rules.finish ? `, or press ${rules.finish} to send fewer` : "";
    return `This question takes ${n}: they go to the flow as soon as you press them${fewer}.`;
  }
  return rules.finish ? `Press ${rules.finish} when done (or Press), as a caller would.`
    : "Press the keys, then Press.";
}
