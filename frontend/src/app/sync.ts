// Keeping the browser and the server in agreement: autosave the draft ~600 ms after the
// last edit (the answer carries the validator's problems), notice when the flow changed
// elsewhere (a 409, or a poll that sees a newer draft or version) and merge that change
// with this tab's (core/merge.ts: only the same field changed both ways asks), and publish.
import { api, ApiError, type Flow } from "../api/client";
import { merge3, type Conflict } from "../core/merge";
import type { FlowDoc } from "../core/types";
import { commitTypedText } from "../inspector/useDraft";
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
    if (e instanceof ApiError && e.status === 409) await reconcile();
    else st().set({ status: "error", saveError: (e as Error).message });
    if (st().doc !== st().savedDoc && !st().conflict) schedule();
    return;
  }
  if (st().doc !== doc) schedule();
}

/** The flow changed elsewhere: take that change in, with this tab's edits merged onto it.
 * A tab with no edits of its own simply shows the new version; edits to other fields
 * merge and are saved; the same field changed both ways stops and asks (`conflicts`).
 * A draft begun on an older published version (the file changed on disk, or another tab
 * published) takes the newer version's changes in the same way. */
async function reconcile(prefer?: "mine" | "theirs"): Promise<void> {
  const flowId = st().flowId;
  if (!flowId) return;
  const theirs = await api.flow(flowId);
  const server = await withPublished(flowId, theirs, prefer);
  const s = st();
  if (s.flowId !== flowId || !s.doc) return;
  const local = s.doc === s.savedDoc || !s.savedDoc ? { doc: server.doc, conflicts: [] }
    : merge3(s.savedDoc, s.doc, server.doc, prefer ?? "mine");
  const conflicts = [...server.conflicts, ...local.conflicts];
  if (conflicts.length && !prefer) {
    s.set({ conflict: true, conflicts, status: "unsaved" });
    return;
  }
  s.adopt(theirs, local.doc);
}

/** The server's draft with the changes of a newer published version merged in, when the
 * draft was begun on an older one; else the server's document as it is. */
async function withPublished(flowId: string, theirs: Flow, prefer?: "mine" | "theirs"): Promise<{ doc: FlowDoc; conflicts: Conflict[] }> {
  const base = theirs.draft?.base_revision;
  if (!theirs.draft || !theirs.published || !base || base === theirs.published.id) return { doc: theirs.document, conflicts: [] };
  const number = (await api.revisions(flowId)).revisions.find((r) => r.id === base)?.number;
  if (number === undefined) return { doc: theirs.document, conflicts: [] };
  const [older, newer] = await Promise.all([api.revision(flowId, number), api.revision(flowId, theirs.published.number)]);
  return merge3(older.document, theirs.document, newer.document, prefer ?? "mine");
}

/** Save soon (each call pushes the save back: one request after a burst of edits). */
function schedule(delay = DEBOUNCE_MS) {
  clearTimeout(timer);
  timer = setTimeout(() => void flush(), delay);
}

/** Save now if anything is unsaved, waiting for a save already under way. */
export async function flush(): Promise<void> {
  clearTimeout(timer);
  await exclusive(saveNow);
}

/** Run `f` when no save or merge is under way, and hold the others off meanwhile. */
async function exclusive(f: () => Promise<void>): Promise<void> {
  while (inFlight) await inFlight;
  inFlight = f().finally(() => { inFlight = null; });
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
      await exclusive(() => reconcile());
      if (st().doc !== st().savedDoc && !st().conflict) schedule(0);
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
  const opened = st();
  if (opened.draft && opened.published && opened.draft.base_revision !== opened.published.id) {
    // A draft begun on an older version than the live one: bring the newer changes in now.
    void exclusive(() => reconcile()).then(() => { if (st().doc !== st().savedDoc && !st().conflict) schedule(0); });
  }
  const beforeUnload = (e: BeforeUnloadEvent) => {
    commitTypedText();   // text still in a field, typed a moment ago, joins the document
    const s = st();
    if (s.doc !== s.savedDoc) {
      void flush();   // sent with keepalive: it completes even if the person leaves anyway
      e.preventDefault();
      e.returnValue = "";
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

/** "Use theirs": the other side's value for each conflicting field (this tab's other edits stay). */
export async function takeTheirs(): Promise<void> {
  await exclusive(() => reconcile("theirs"));
  await flush();
}

/** "Keep mine": this tab's value for each conflicting field (the other side's other edits stay). */
export async function keepMine(): Promise<void> {
  await exclusive(() => reconcile("mine"));
  await flush();
}

/** Publish the draft; throws ApiError (422 carries the problems). */
export async function publish(message: string, name: string | undefined): Promise<void> {
  await flush();
  const s = st();
  if (!s.flowId) return;
  if (s.conflict) throw new Error("This flow changed elsewhere. Choose Keep mine or Use theirs first.");
  try {
    const flow = await api.publish(s.flowId, { message, version: s.draft?.version ?? 0, author: name });
    st().set({ draft: flow.draft, published: flow.published, webhookUrl: flow.webhook_url });
    st().setIssues(flow.issues ?? []);
  } catch (e) {
    if (e instanceof ApiError && e.status === 422 && Array.isArray(e.body.issues)) st().setIssues(e.body.issues);
    if (e instanceof ApiError && e.status === 409) await exclusive(() => reconcile());
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
