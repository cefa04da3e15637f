// Keeping the browser and the server in agreement: autosave the draft ~600 ms after the
// last edit (the answer carries the validator's problems), notice when the flow changed
// elsewhere (a 409, or a poll that sees a newer draft or version), and publish.
import { api, ApiError, type Flow } from "../api/client";
import { useEditor } from "../store/editor";

const DEBOUNCE_MS = 600;
const POLL_MS = 4000;
export const AUTHOR_KEY = "flowstudio.author";

export function author(): string | undefined {
  return localStorage.getItem(AUTHOR_KEY) || undefined;
}

let timer: ReturnType<typeof setTimeout> | undefined;
let inFlight: Promise<void> | null = null;

const st = () => useEditor.getState();

async function saveNow(): Promise<void> {
  const s = st();
  if (!s.flowId || !s.doc || s.conflict || s.doc === s.savedDoc) {
    if (s.doc === s.savedDoc && s.status === "unsaved") s.set({ status: "saved" });
    return;
  }
  const doc = s.doc;
  const flowId = s.flowId;
  s.set({ status: "saving" });
  try {
    const r = await api.saveDraft(flowId, { document: doc, version: s.draft?.version ?? 0,
      base_revision: s.published?.id ?? null, author: author() });
    if (st().flowId !== flowId) return;
    st().set({ draft: r.draft, savedDoc: doc, saveError: null, status: st().doc === doc ? "saved" : "unsaved" });
    st().setIssues(r.issues);
  } catch (e) {
    if (st().flowId !== flowId) return;
    if (e instanceof ApiError && e.status === 409) st().set({ conflict: true, status: "unsaved" });
    else st().set({ status: "error", saveError: (e as Error).message });
    return;
  }
  if (st().doc !== doc) schedule();
}

/** Save soon (each call pushes the save back: one request after a burst of edits). */
function schedule(delay = DEBOUNCE_MS) {
  clearTimeout(timer);
  timer = setTimeout(() => void flush(), delay);
}

/** Save now if anything is unsaved, waiting for a save already under way. */
export async function flush(): Promise<void> {
  clearTimeout(timer);
  while (inFlight) await inFlight;
  inFlight = saveNow().finally(() => { inFlight = null; });
  await inFlight;
}

/** Whether the server's flow moved on from what this tab edits (published or saved elsewhere). */
function changedElsewhere(flow: Pick<Flow, "published" | "draft">): boolean {
  const s = st();
  return (flow.published?.id ?? null) !== (s.published?.id ?? null) || (flow.draft?.version ?? 0) > (s.draft?.version ?? 0);
}

async function poll() {
  const s = st();
  if (!s.flowId || s.conflict || inFlight || document.hidden) return;
  const flowId = s.flowId;
  try {
    // The status carries the published revision and draft version without the document,
    // so polling stays cheap however big the flow (or the number of flows) is.
    const flow = await api.status(flowId);
    if (st().flowId === flowId && !inFlight && !st().conflict && changedElsewhere(flow as Pick<Flow, "published" | "draft">)) {
      st().set({ conflict: true });
    }
  } catch {
    // A failed poll is retried on the next tick; saving reports real trouble.
  }
}

/** Autosave and polling for the open flow; returns the function that stops both. */
export function startSync(): () => void {
  const unsubscribe = useEditor.subscribe((s, prev) => {
    if (s.doc !== prev.doc && s.flowId === prev.flowId && s.doc !== s.savedDoc) schedule();
    if (s.doc !== prev.doc && s.doc === s.savedDoc && s.status === "unsaved") s.set({ status: "saved" });
  });
  const interval = setInterval(poll, POLL_MS);
  const beforeUnload = (e: BeforeUnloadEvent) => {
    const s = st();
    if (s.doc !== s.savedDoc) {
      void flush();
      e.preventDefault();
    }
  };
  window.addEventListener("beforeunload", beforeUnload);
  return () => {
    unsubscribe();
    clearInterval(interval);
    clearTimeout(timer);
    window.removeEventListener("beforeunload", beforeUnload);
  };
}

/** "Reload": take the server's version, dropping this tab's unsaved edits. */
export async function takeTheirs(): Promise<void> {
  const s = st();
  if (!s.flowId) return;
  st().load(await api.flow(s.flowId));
}

/** "Keep mine": save this tab's document on top of the server's newest version. */
export async function keepMine(): Promise<void> {
  const s = st();
  if (!s.flowId) return;
  const flow = await api.flow(s.flowId);
  st().set({ draft: flow.draft, published: flow.published, conflict: false, savedDoc: null });
  await flush();
}

/** Publish the draft; throws ApiError (422 carries the problems). */
export async function publish(message: string, name: string | undefined): Promise<void> {
  await flush();
  const s = st();
  if (!s.flowId) return;
  if (s.conflict) throw new Error("This flow changed elsewhere. Choose Reload or Keep mine first.");
  try {
    const flow = await api.publish(s.flowId, { message, version: s.draft?.version ?? 0, author: name });
    st().set({ draft: flow.draft, published: flow.published, webhookUrl: flow.webhook_url });
    st().setIssues(flow.issues ?? []);
  } catch (e) {
    if (e instanceof ApiError && e.status === 422 && Array.isArray(e.body.issues)) st().setIssues(e.body.issues);
    if (e instanceof ApiError && e.status === 409) st().set({ conflict: true });
    throw e;
  }
}

/** Restore a published version into the draft, as one undoable edit. */
export async function restore(number: number): Promise<void> {
  await flush();
  const s = st();
  if (!s.flowId) return;
  const r = await api.restore(s.flowId, number, s.draft?.version ?? 0);
  st().commit(r.document);
  st().set({ draft: r.draft, savedDoc: r.document, status: "saved" });
  await api.validate(s.flowId, r.document).then((v) => st().setIssues(v.issues), () => undefined);
}
