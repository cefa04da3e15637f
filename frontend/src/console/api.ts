// The REST calls of the executions view (flowstudio/web/api.py): list, one with its steps
// and contexts, end. Its own CSRF token (GET /api/session of the same cookie session).
export interface ExecutionSummary {
  id: string;
  flow_id: string;
  revision_id: string;
  status: string;
  contact: string;
  channel: string;
  source: "console" | "phone";
  waiting: { widget: string; kind: string; due: string | null } | null;
  created_at: string;
  updated_at: string;
  ended_at: string | null;
  ended_reason: string | null;
}

export interface ExecutionDetail extends ExecutionSummary {
  context: Record<string, unknown>;
  steps: { index: number; flow: string; event: string; from: string; to: string | null; at: string; context: Record<string, unknown> }[];
  log: { type: string; widget: string | null; [k: string]: unknown }[];
}

let csrf: string | null = null;

async function call<T>(method: string, path: string): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (method !== "GET") {
    csrf ??= ((await (await fetch("/api/session", { credentials: "same-origin" })).json()) as { csrf: string }).csrf;
    headers["X-CSRF-Token"] = csrf;
  }
  const r = await fetch(path, { method, headers, credentials: "same-origin" });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(data?.error?.message ?? `The server answered ${r.status}.`);
  return data as T;
}

const enc = encodeURIComponent;

export const executionsApi = {
  list: (flow: string) => call<{ executions: ExecutionSummary[] }>("GET", `/api/flows/${enc(flow)}/executions?limit=30`),
  get: (flow: string, id: string) => call<ExecutionDetail>("GET", `/api/flows/${enc(flow)}/executions/${enc(id)}`),
  end: (flow: string, id: string) => call<ExecutionSummary>("POST", `/api/flows/${enc(flow)}/executions/${enc(id)}/end`),
};
