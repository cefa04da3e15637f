// The campaigns and stats API (flowstudio/web/campaigns_api.py, stats_api.py): JSON, and
// a multipart upload for a CSV file. Its own CSRF token (GET /api/session of the same
// cookie session), as the console's calls do.
export interface Campaign {
  id: string;
  status: "scheduled" | "running" | "paused" | "done" | "cancelled";
  total: number;
  started: number;
  skipped: number;
  failed: number;
  pending: number;
  rate: number;
  from: string;
  start_at: string;
  created_at: string;
}

export interface Preview {
  rows: number;
  valid: number;
  invalid: { row: number; error: string }[];
  invalid_count: number;
  skipped: { row: number; to: string; reason: string }[];
  skipped_count: number;
  to_send: number;
  /** The rows that will be sent, each number as it will be texted (at most 1,000). */
  contacts: { row: number; to: string; shown: string }[];
  country: string | null;
}

export interface OptOut {
  address: string;
  flow_id: string;
  keyword: string;
  created_at: string;
}

export interface FlowStats {
  executions: { started: number; ended: number; failed: number; active: number; expired: number };
  transitions: { from: string; event: string; to: string | null; count: number }[];
  widgets: { name: string; entered: number; stopped_here: number; stopped: Record<string, number> }[];
}

export interface StatsExecution {
  id: string;
  contact: string;
  status: string;
  started: string;
  ended: string | null;
  last_widget: string | null;
}

export class CampaignError extends Error {
  constructor(message: string, readonly field?: string, readonly body: Record<string, any> = {}) {
    super(message);
  }
}

let csrf: string | null = null;

async function call<T>(method: string, path: string, body?: FormData | object): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (method !== "GET") {
    csrf ??= ((await (await fetch("/api/session", { credentials: "same-origin" })).json()) as { csrf: string }).csrf;
    headers["X-CSRF-Token"] = csrf;
  }
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  } catch {
    throw new CampaignError("Cannot reach the FlowStudio server. Check your connection and try again.");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new CampaignError(data?.error?.message ?? `The server answered ${response.status}.`, data?.error?.field, data?.error ?? {});
  }
  return data as T;
}

const enc = encodeURIComponent;

export interface CampaignInput {
  file?: File | null;
  numbers?: string;
  from: string;
  rate: string;
  start_at: string;
  /** The country of the numbers written without + (US, GB...), or "" for none. */
  country: string;
}

function form(input: CampaignInput, dryRun: boolean): FormData {
  const f = new FormData();
  if (input.file) f.append("file", input.file);
  else f.append("numbers", input.numbers ?? "");
  f.append("from", input.from);
  f.append("rate", input.rate);
  if (input.start_at) f.append("start_at", new Date(input.start_at).toISOString());
  if (input.country) f.append("country", input.country);
  if (dryRun) f.append("dry_run", "1");
  return f;
}

export const campaignsApi = {
  preview: (flow: string, input: CampaignInput) => call<Preview>("POST", `/api/flows/${enc(flow)}/campaigns`, form(input, true)),
  create: (flow: string, input: CampaignInput) =>
    call<Campaign & { invalid: Preview["invalid"] }>("POST", `/api/flows/${enc(flow)}/campaigns`, form(input, false)),
  list: (flow: string) => call<{ campaigns: Campaign[] }>("GET", `/api/flows/${enc(flow)}/campaigns`),
  get: (flow: string, id: string) => call<Campaign>("GET", `/api/flows/${enc(flow)}/campaigns/${enc(id)}`),
  act: (flow: string, id: string, what: "pause" | "resume" | "cancel") =>
    call<Campaign>("POST", `/api/flows/${enc(flow)}/campaigns/${enc(id)}/${what}`, {}),
  optouts: () => call<{ optouts: OptOut[]; total: number }>("GET", "/api/optouts"),
  stats: (flow: string, from: string, to: string) =>
    call<FlowStats>("GET", `/api/flows/${enc(flow)}/stats?from=${enc(from)}&to=${enc(to)}`),
  statsExecutions: (flow: string, query: Record<string, string>) =>
    call<{ executions: StatsExecution[]; more: boolean }>("GET", `/api/flows/${enc(flow)}/stats/executions?${new URLSearchParams(query)}`),
  // With the browser's time zone: times in the file as the clinic's clock shows them, in a
  // form spreadsheets read as dates (not ISO 8601 UTC).
  csvUrl: (flow: string, from: string, to: string) => `/api/flows/${enc(flow)}/executions.csv?from=${enc(from)}&to=${enc(to)}`
    + `&tz=${enc(Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC")}`,
};
