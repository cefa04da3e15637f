// Trying "Send to a list" with a few test numbers in the test console (the server's
// flowstudio/console_trial.py): the pure parts, tested with vitest. Which part of the
// list is sent to pick test rows from, the test numbers the picker starts with, and
// the words each test contact is shown with.
import type { ConsoleState, Highlight, LogRow, Report, TranscriptItem } from "./model";

/** At most this many test numbers in one try (console_trial.MAX_TEST_CONTACTS). */
export const MAX_TEST_NUMBERS = 5;
/** How many test numbers the picker starts with, from the list's first rows. */
export const PREFILLED = 2;
/** Characters of the list's beginning sent to pick rows from (console_trial.MAX_SAMPLE). */
export const MAX_SAMPLE = 256 * 1024;

/** A row of the list, as the server read it: its number as a spreadsheet shows it. */
export interface ListRow {
  row: number;
  to: string;
  parameters: Record<string, unknown>;
}

export interface ListSample {
  rows: ListRow[];
  columns: string[];
  max: number;
  invalid: { row: number; error: string }[];
  invalid_count: number;
}

/** A test number being picked: the row it stands for (its columns), its number editable. */
export interface TestNumber {
  to: string;
  row: number | null;
  parameters: Record<string, unknown>;
}

/** What the Send to a list panel hands to the console. */
export interface TrialInput {
  from: string;
  contacts: TestNumber[];
  /** The country of test numbers written without + (as the list's), if any. */
  country?: string;
}

/** One test contact of a running try, with its own conversation. */
export interface TrialContact {
  id: string;
  to: string;
  row: number | null;
  parameters: Record<string, unknown>;
  /** Why a real send would skip this number now (opted out...), or null. */
  skip: string | null;
  state: ConsoleState | null;
  transcript: TranscriptItem[];
  rows: LogRow[];
  highlight: Highlight;
}

/** The beginning of a list to send for picking test rows: whole lines only, at most
 *  `max` characters; `partial` when the list goes on (past `max`, or `more`: `text` is
 *  only the first part of a bigger file). */
export function sampleOf(text: string, kind: "csv" | "numbers", max = MAX_SAMPLE, more = false): { text: string; partial: boolean } {
  if (text.length <= max && !more) return { text, partial: false };
  const head = text.slice(0, max);
  const cut = kind === "csv" ? head.lastIndexOf("\n") : Math.max(head.lastIndexOf("\n"), head.lastIndexOf(","), head.lastIndexOf(";"));
  return { text: cut > 0 ? head.slice(0, cut + 1) : head, partial: true };
}

/** Plain words for a NUL character in what would be sent, or null when there is none. */
export function nulProblem(text: string, what: string): string | null {
  const at = text.indexOf("\u0000");
  if (at < 0) return null;
  const line = text.slice(0, at).split("\n").length;
  return `${what} holds a NUL character (line ${line}): it is not a text file. Save it as CSV (UTF-8) and choose it again.`;
}

/** The test numbers the picker starts with: the list's first rows. */
export function prefill(sample: ListSample, count = PREFILLED): TestNumber[] {
  return sample.rows.slice(0, count).map((r) => ({ to: r.to, row: r.row, parameters: r.parameters }));
}

/** The next test number to add: the next row of the sample not picked yet, or a blank
 *  one (no columns); null when there are MAX_TEST_NUMBERS already. */
export function nextTestNumber(picked: TestNumber[], sample: ListSample | null): TestNumber | null {
  if (picked.length >= MAX_TEST_NUMBERS) return null;
  const used = new Set(picked.map((p) => p.row));
  const row = sample?.rows.find((r) => !used.has(r.row));
  return row ? { to: row.to, row: row.row, parameters: row.parameters } : { to: "", row: null, parameters: {} };
}

/** A row's columns in a line: `first_name: Ana · date: May 2` (long values cut). */
export function columnsText(parameters: Record<string, unknown>, max = 80): string {
  const text = Object.entries(parameters).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join(" · ");
  return text.length > max ? text.slice(0, max - 1) + "…" : text;
}

/** The short name of a test contact: its number, and the row it came from. */
export function contactLabel(c: Pick<TrialContact, "to" | "row">): string {
  return c.row ? `${c.to} (row ${c.row})` : c.to;
}

/** Where a test contact's conversation stands, in a few words. */
export function contactStatus(state: ConsoleState | null): string {
  if (!state) return "";
  if (state.status === "active" && state.waiting?.kind === "message") return "waits for a reply";
  if (state.status === "active") return "running";
  if (state.status === "failed") return "failed";
  if (state.status === "ended") return "ended";
  return "";
}

/** The first lines of a test contact's phone: a note saying who they are, and why a
 *  real send would skip them (if it would), then what the flow sent; when the Trigger's
 *  REST API output leads nowhere (the list would start nothing), that, in words. */
export function firstTranscript(c: { to: string; row: number | null; parameters: Record<string, unknown>; skip: string | null },
  report: Pick<Report, "transcript"> & Partial<Pick<Report, "steps" | "status">>): TranscriptItem[] {
  const cols = columnsText(c.parameters, 200);
  const notes: TranscriptItem[] = [{ kind: "note", text: `Started as the list would start ${c.to}` +
    (c.row ? `, with row ${c.row}` : "") + (cols ? ` (flow.data: ${cols})` : "") }];
  if (c.skip) notes.push({ kind: "error", text: `A real send would skip this number: ${c.skip}.` });
  const first = report.steps?.[0];
  if (report.status && report.status !== "active" && report.steps?.length === 1 && first?.from === "Trigger"
    && (!first.to || first.to === "Ended") && !report.transcript.length) {
    notes.push({ kind: "error", text: "The Trigger's “Started by a list or app” output leads nowhere, so each contact of the list " +
      "would get nothing. Connect it to the first widget, then publish." });
  }
  return [...notes, ...report.transcript];
}
