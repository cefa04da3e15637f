// The editor's HTTP client (docs/editor-api.md): JSON in and out, the CSRF header on every
// request that changes something, and errors turned into ApiError with the server's words.
import type { FlowDoc, Issue } from "../core/types";

export interface Revision {
  id: string;
  number: number;
  author: string | null;
  message: string | null;
  created_at: string;
  current: boolean;
}

export interface Draft {
  version: number;
  base_revision: string | null;
  author: string | null;
  updated_at: string;
}

/** A file in the flows folder that looks like a flow but is not served, and why. */
export interface IgnoredFile {
  file: string;
  reason: string;
}

export interface FlowSummary {
  id: string;
  name: string;
  description?: string;
  valid: boolean;
  issues: Issue[];
  webhook_url: string;
  published?: Revision | null;
  draft?: Draft | null;
  /** The flows its Run Subflow widgets run. */
  subflows?: string[];
}

export interface Flow {
  id: string;
  name: string;
  webhook_url: string;
  published: Revision | null;
  draft: Draft | null;
  document: FlowDoc;
  yaml: string;
  issues: Issue[];
}

export interface Session {
  login_required: boolean;
  authenticated: boolean;
  csrf: string;
  user: string | null;
}

export interface DiffLine {
  op: " " | "+" | "-" | "@";
  text: string;
  old: number | null;
  new: number | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: Record<string, any> = {},
  ) {
    super(message);
  }
}

let csrf = "";

/** Remember the CSRF token that /api/session gave. */
export function setCsrf(token: string) {
  csrf = token;
}

/** Browsers carry a `keepalive` request past the page's unload up to 64 KB of body. */
const KEEPALIVE_MAX = 60_000;

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  const text = body === undefined ? undefined : JSON.stringify(body);
  let response: Response;
  try {
    // A save still under way when the page is closed or reloaded is finished by the browser.
    response = await fetch(path, { method, headers, body: text, credentials: "same-origin",
      keepalive: method !== "GET" && (text?.length ?? 0) < KEEPALIVE_MAX });
  } catch {
    throw new ApiError(0, "Cannot reach the FlowStudio server. Check your connection and try again.");
  }
  if (response.status === 204) return undefined as T;
  const answer = await response.text();
  let data: any = {};
  try {
    data = answer ? JSON.parse(answer) : {};
  } catch {
    data = {};
  }
  if (!response.ok) {
    const message = data?.error?.message ?? `The server answered ${response.status}.`;
    throw new ApiError(response.status, message, data?.error ? { ...data, ...data.error } : data);
  }
  return data as T;
}

const enc = encodeURIComponent;

export const api = {
  session: () => request<Session>("GET", "/api/session"),
  login: (password: string, name?: string) => request<Session>("POST", "/api/login", { password, name }),
  logout: () => request<void>("POST", "/api/logout"),
  widgets: () => request<{ widgets: import("../core/types").CatalogEntry[] }>("GET", "/api/widgets"),
  flows: () => request<{ flows: FlowSummary[]; ignored?: IgnoredFile[] }>("GET", "/api/flows"),
  examples: () => request<{ examples: { id: string; name: string; description?: string }[] }>("GET", "/api/examples"),
  createFlow: (body: { id: string; name?: string; example?: string; copy_of?: string; studio?: unknown }) =>
    request<Flow>("POST", "/api/flows", body),
  flow: (id: string) => request<Flow>("GET", `/api/flows/${enc(id)}`),
  status: (id: string) =>
    request<{ published: { id: string; number: number } | null; draft: { version: number } | null }>(
      "GET", `/api/flows/${enc(id)}/status`),
  saveDraft: (id: string, body: { document: FlowDoc; version: number; base_revision: string | null; author?: string }) =>
    request<{ draft: Draft; issues: Issue[] }>("PUT", `/api/flows/${enc(id)}/draft`, body),
  discardDraft: (id: string) => request<void>("DELETE", `/api/flows/${enc(id)}/draft`),
  validate: (id: string, document: FlowDoc) => request<{ issues: Issue[] }>("POST", `/api/flows/${enc(id)}/validate`, { document }),
  publish: (id: string, body: { message: string; version: number; author?: string }) =>
    request<Flow>("POST", `/api/flows/${enc(id)}/publish`, body),
  /** A new name (what people read), a new id (the file name and webhook URL), or both. */
  rename: (id: string, to: { name?: string; id?: string }) => request<Flow>("POST", `/api/flows/${enc(id)}/rename`, to),
  deleteFlow: (id: string) => request<void>("DELETE", `/api/flows/${enc(id)}`),
  revisions: (id: string) => request<{ revisions: Revision[] }>("GET", `/api/flows/${enc(id)}/revisions`),
  revision: (id: string, n: number) =>
    request<{ revision: Revision; document: FlowDoc; yaml: string }>("GET", `/api/flows/${enc(id)}/revisions/${n}`),
  diff: (id: string, from: number | "draft", to: number | "draft") =>
    request<{ from: unknown; to: unknown; lines: DiffLine[] }>("GET", `/api/flows/${enc(id)}/diff?from=${from}&to=${to}`),
  restore: (id: string, n: number, version: number) =>
    request<{ draft: Draft; document: FlowDoc }>("POST", `/api/flows/${enc(id)}/revisions/${n}/restore`, { version }),
};
