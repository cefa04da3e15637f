// The console's state, apart from the editor's store: the panel, this tab's console session,
// the transcript, the step log, and what the canvas highlights (from the console, or from
// an execution being replayed). Actions talk to the server through socket.ts.
import { create } from "zustand";
import { flush } from "../app/sync";
import type { ExecutionDetail } from "./api";
import { useEditor } from "../store/editor";
import {
  EMPTY_HIGHLIGHT, eventLabel, highlightAfter, highlightAt, logRows, youSaid,
  type ConsoleState, type Highlight, type LogRow, type Report, type TranscriptItem,
} from "./model";
import { ConsoleRequestError, getSocket, request } from "./socket";
import { speak, stopSpeaking } from "./speech";
import { firstTranscript, type TrialContact, type TrialInput } from "./trial";

export type ConsoleTab = "phone" | "steps" | "executions";

export interface Replay {
  execution: ExecutionDetail;
  index: number;
  /** The console's own highlight, shown again when the replay closes. */
  saved: Highlight;
}

/** A try of "Send to a list" with test numbers: one console session per test contact.
 *  The fields above (state, transcript, rows, highlight) are the shown contact's; the
 *  others wait in `contacts` until shown again. */
export interface Trial {
  input: TrialInput;
  from: string;
  contacts: TrialContact[];
  active: string;
}

export interface RunState {
  open: boolean;
  tab: ConsoleTab;
  flow: string | null;
  state: ConsoleState | null;
  transcript: TranscriptItem[];
  rows: LogRow[];
  selectedRow: number | null;
  /** What the canvas shows: the console's run, or the replayed execution's step. */
  highlight: Highlight;
  replay: Replay | null;
  busy: boolean;
  error: string | null;
  muted: boolean;
  connected: boolean;
  /** Bumped by every live event of the watched flow (the executions view reloads). */
  liveTick: number;
  trial: Trial | null;
}

const initial = {
  open: false, tab: "phone" as ConsoleTab, flow: null, state: null, transcript: [], rows: [], selectedRow: null,
  highlight: EMPTY_HIGHLIGHT, replay: null, busy: false, error: null, connected: false, liveTick: 0,
  trial: null as Trial | null,
};

export const useRun = create<RunState>()(() => ({
  ...initial,
  muted: typeof localStorage !== "undefined" && localStorage.getItem("flowstudio.console.muted") === "1",
}));

const set = useRun.setState;
const get = useRun.getState;
let animation: ReturnType<typeof setTimeout>[] = [];
const STEP_MS = 220; // how long the canvas lingers on each widget of a turn

function stopAnimation() {
  animation.forEach(clearTimeout);
  animation = [];
}

/** Light the widgets of a turn up one after the other, ending on where it waits. */
function animate(report: Report) {
  stopAnimation();
  const start = get().highlight;
  const frames: Highlight[] = [];
  report.log.forEach((e, i) => {
    if (e.type === "entered") frames.push(highlightAfter(start, { log: report.log.slice(0, i + 1), state: { ...report.state, waiting: null } }));
  });
  const last = highlightAfter(start, report);
  frames.push(last);
  frames.forEach((h, i) => {
    if (i === 0) set({ highlight: h });
    else animation.push(setTimeout(() => { if (!get().replay) set({ highlight: h }); }, i * STEP_MS));
  });
}

function fail(err: unknown) {
  const message = err instanceof ConsoleRequestError || err instanceof Error ? err.message : String(err);
  set({ busy: false, error: message });
}

/** Follow the flow's executions live and keep the connection state shown. */
function watch(flow: string) {
  const socket = getSocket();
  socket.off("connect").off("disconnect").off("run:turn");
  socket.on("connect", () => {
    set({ connected: true });
    request("watch", { flow }).catch(() => undefined);
  });
  socket.on("disconnect", () => set({ connected: false }));
  socket.on("run:turn", (event: { flow: string }) => {
    if (event.flow === get().flow) set({ liveTick: get().liveTick + 1 });
  });
  if (socket.connected) {
    set({ connected: true });
    request("watch", { flow }).catch(() => undefined);
  }
}

/** Open the console panel on a flow (a new console session for this tab). */
export async function openConsole(flow: string, contact?: string) {
  stopSpeaking();
  set({ ...initial, open: true, flow, busy: true, muted: get().muted });
  watch(flow);
  try {
    const state = await request<ConsoleState>("console:open", { flow, ...(contact ? { contact } : {}) });
    set({ state, busy: false });
  } catch (err) {
    fail(err);
  }
}

/** Close the panel: the console's execution ends, the canvas goes back to editing. */
export function closeConsole() {
  stopAnimation();
  stopSpeaking();
  request("console:close").catch(() => undefined);
  set({ ...initial, muted: get().muted });
}

/** One thing the contact does: send, call, press, speak, no_input, callback, hang_up, wait, end. */
export async function act(action: string, arg?: unknown) {
  if (get().busy) return;
  const replaying = get().replay;
  set({ busy: true, error: null, replay: null, ...(replaying ? { highlight: replaying.saved } : {}) });
  try {
    await flush().catch(() => undefined); // the console runs the draft as saved: save pending edits first
    const contact = get().trial?.active;
    const report = await request<Report>("console:act", { action, arg, ...(contact ? { contact } : {}) });
    const mine = youSaid(report.action, report.arg);
    const rows = logRows(report, get().rows.length);
    const transcript = [...get().transcript, ...(mine ? [mine] : []), ...report.transcript];
    if (report.status !== "active" && report.ended_reason && report.action !== "end") {
      transcript.push({ kind: "note", text: endNote(report.status, report.ended_reason, report) });
    }
    set({ state: report.state, transcript, rows: [...get().rows, ...rows], busy: false });
    animate(report);
    if (!get().muted) speak(report.transcript);
  } catch (err) {
    fail(err);
  }
}

/** Start over (perhaps as another contact): what runs ends, the transcript clears. In a
 *  try with test numbers: every test number starts again. */
export async function restart(contact?: string) {
  const trial = get().trial;
  if (trial) return openTrial(get().flow!, trial.input);
  stopAnimation();
  stopSpeaking();
  set({ busy: true, error: null });
  try {
    const state = await request<ConsoleState>("console:restart", contact ? { contact } : {});
    set({ state, transcript: [], rows: [], selectedRow: null, highlight: EMPTY_HIGHLIGHT, replay: null, busy: false });
  } catch (err) {
    fail(err);
  }
}

/** Give an HTTP widget a typed answer (null: call the real URL). */
export async function setMock(widget: string, answer: { status: string | number; body: string } | null) {
  try {
    const contact = get().trial?.active;
    const state = await request<ConsoleState>("console:mock", { widget, answer, ...(contact ? { contact } : {}) });
    set({ state, error: null });
  } catch (err) {
    fail(err);
  }
}

/** Save the conversation as a flow test beside the flow; returns the file name. */
export async function saveTest(name: string): Promise<{ file: string; draft: boolean }> {
  const contact = get().trial?.active;
  return request<{ file: string; draft: boolean }>("console:save_test", { name, ...(contact ? { contact } : {}) });
}

/** Try "Send to a list" with test numbers: each is started in this console as the list
 *  would start it (nothing is sent); the first one is shown. */
export async function openTrial(flow: string, input: TrialInput) {
  stopAnimation();
  stopSpeaking();
  set({ ...initial, open: true, flow, busy: true, muted: get().muted });
  watch(flow);
  try {
    const answer = await request<{ from: string; contacts: { id: string; to: string; row: number | null;
      parameters: Record<string, unknown>; skip: string | null; report: Report }[] }>(
      "console:trial", { flow, from: input.from, contacts: input.contacts, ...(input.country ? { country: input.country } : {}) });
    const contacts: TrialContact[] = answer.contacts.map((c) => ({
      id: c.id, to: c.to, row: c.row, parameters: c.parameters, skip: c.skip, state: c.report.state,
      transcript: [...firstTranscript(c, c.report), ...(c.report.status !== "active" && c.report.ended_reason
        ? [{ kind: "note" as const, text: endNote(c.report.status, c.report.ended_reason, c.report) }] : [])],
      rows: logRows(c.report, 0),
      highlight: highlightAfter(EMPTY_HIGHLIGHT, c.report),
    }));
    const first = contacts[0];
    set({ trial: { input, from: answer.from, contacts, active: first.id }, state: first.state,
      transcript: first.transcript, rows: first.rows, busy: false });
    animate(answer.contacts[0].report);
  } catch (err) {
    fail(err);
  }
}

/** Show another test contact's phone (the canvas shows where that one is). */
export function showContact(id: string) {
  const trial = get().trial;
  if (!trial || trial.active === id || get().busy) return; // busy: an answer is on its way for the shown one
  stopAnimation();
  stopSpeaking();
  const { state, transcript, rows, highlight } = get();
  const contacts = trial.contacts.map((c) => (c.id === trial.active ? { ...c, state, transcript, rows, highlight } : c));
  const next = contacts.find((c) => c.id === id);
  if (!next) return;
  set({ trial: { ...trial, active: id, contacts },
    state: next.state, transcript: next.transcript, rows: next.rows, highlight: next.highlight, selectedRow: null,
    replay: null, error: null });
}

export function setTab(tab: ConsoleTab) {
  set({ tab });
}

export function selectRow(id: number | null) {
  stopAnimation(); // the person looks at one step: the turn's animation must not move on from it
  set({ selectedRow: id });
  const row = get().rows.find((r) => r.id === id);
  if (row?.kind === "step") set({ highlight: { ...get().highlight, current: row.to ?? row.widget, lastEdge: { from: row.widget!, event: row.event!, to: row.to ?? null } } });
}

export function setMuted(muted: boolean) {
  localStorage.setItem("flowstudio.console.muted", muted ? "1" : "0");
  if (muted) stopSpeaking();
  set({ muted });
}

/** Replay an execution on the canvas, from its first step. */
export function startReplay(execution: ExecutionDetail) {
  stopAnimation();
  const saved = get().replay?.saved ?? get().highlight;
  set({ replay: { execution, index: 0, saved }, highlight: highlightAt(execution.steps, 0) });
}

export function replayTo(index: number) {
  const replay = get().replay;
  if (!replay) return;
  const i = Math.max(0, Math.min(index, replay.execution.steps.length - 1));
  set({ replay: { ...replay, index: i }, highlight: highlightAt(replay.execution.steps, i) });
}

export function stopReplay() {
  const saved = get().replay?.saved ?? EMPTY_HIGHLIGHT;
  set({ replay: null, highlight: saved });
}

export function clearError() {
  set({ error: null });
}

/** What the phone says when the conversation ends: the reason, or where the flow reached an
 * end (the output of its last step leads nowhere: a first-time builder sees that the
 * conversation stopped because an output is not connected, and which one). */
export function endNote(status: string, reason: string, report?: Pick<Report, "steps">): string {
  if (status === "failed") return `The execution failed: ${reason} (see Steps)`;
  if (reason !== "the flow reached an end") return `The conversation ended: ${reason}`;
  const last = report?.steps.at(-1);
  const { doc, catalog } = useEditor.getState();
  // The engine names the end "Ended" (as Studio does), unless a widget has that name.
  const nowhere = !last?.to || (last.to === "Ended" && !doc?.widgets.some((w) => w.name === "Ended"));
  if (!last || !nowhere || !last.from || !last.event) return "The conversation ended";
  const type = doc?.widgets.find((w) => w.name === last.from)?.type;
  const output = eventLabel(last.event, type, catalog);
  // A message sent, a call put through: the natural last step of a path, not a mistake.
  // (A Trigger start left unconnected, a call to an SMS flow say, is named too.)
  if (!UNHAPPY.has(last.event) && !last.event.startsWith("incoming")) return `The conversation ended after ${last.from}, the last widget of this path`;
  return `The conversation ended after ${last.from}: its “${output}” output is not connected to another widget`;
}

/** The outputs taken when something did not go as planned (no reply, a failure, no
 *  condition matched...): left unconnected, they end a conversation by mistake, so the
 *  phone names them. */
const UNHAPPY = new Set(["timeout", "failed", "fail", "deliveryFailure", "noMatch", "callFailure", "failedToEnqueue",
  "busy", "noAnswer", "hangup", "error"]);
