// The editor screen: top bar (flow name, save status, Publish), palette, canvas,
// right-hand settings panel, and the problems / history panels and dialogs on demand.
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { useCallback, useEffect, useState } from "react";
import { useShallow } from "zustand/react/shallow";
import { api, ApiError } from "../api/client";
import { Canvas, fitPadding } from "../canvas/Canvas";
import { ConsolePanel } from "../console/ConsolePanel";
import { RunHighlight } from "../console/RunHighlight";
import { FollowRun } from "../console/FollowRun";
import { FindBox } from "../canvas/FindBox";
import { panIntoViewSoon } from "../canvas/inView";
import { problemsLabel } from "../core/issues";
import { shown, type Conflict } from "../core/merge";
import { HistoryPanel } from "../history/HistoryPanel";
import { SendToList } from "../campaigns/SendToList";
import type { TrialInput } from "../console/trial";
import { ResultsOverlay } from "../results/ResultsOverlay";
import { ResultsPanel } from "../results/ResultsPanel";
import { Palette } from "../palette/Palette";
import { ProblemsPanel } from "../problems/ProblemsPanel";
import { freeSpot } from "../core/edit";
import { addWidgetAt, layOutUnplaced, layoutAll } from "../store/actions";
import { useEditor, type EditorState } from "../store/editor";
import { Dialog } from "../ui/Dialog";
import { NoticeBar } from "../ui/notice";
import { InspectorSlot } from "./InspectorSlot";
import { installShortcuts, SHORTCUTS } from "./shortcuts";
import { AUTHOR_KEY, keepMine, publish, restore, startSync, takeTheirs } from "./sync";

function statusText(s: EditorState): { text: string; tone: string } {
  if (s.conflict) return { text: "Not saved: changed elsewhere", tone: "bad" };
  if (s.status === "error") return { text: "Not saved: " + (s.saveError ?? "error"), tone: "bad" };
  if (s.status === "saving" || s.status === "unsaved") return { text: "Saving…", tone: "busy" };
  if (s.draft) return { text: "Draft saved · Unpublished changes", tone: "draft" };
  return { text: s.published ? `Published · version ${s.published.number} is live` : "Not published yet", tone: "ok" };
}

function PublishDialog({ onClose }: { onClose(): void }) {
  const [message, setMessage] = useState("");
  const [name, setName] = useState(() => localStorage.getItem(AUTHOR_KEY) ?? "");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <Dialog title="Publish this flow" onClose={onClose}>
      <form onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        if (name) localStorage.setItem(AUTHOR_KEY, name);
        try {
          await publish(message.trim(), name || undefined);
          onClose();
        } catch (err) {
          setError(err instanceof ApiError && err.status === 422
            ? "The flow has errors, so it cannot go live yet. Fix the problems listed in red first."
            : (err as Error).message);
          setBusy(false);
        }
      }}>
        <p className="muted">Publishing makes your draft the version that answers texts and calls. Conversations already under way finish on the version they started with.</p>
        <label className="field">What did you change?
          <textarea value={message} onChange={(e) => setMessage(e.target.value)} rows={3} name="publish-message"
            placeholder="For example: ask for the date of birth before booking" />
        </label>
        <label className="field">Your name <input value={name} onChange={(e) => setName(e.target.value)} name="author" /></label>
        {error && <p className="error">{error}</p>}
        <div className="buttons">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={busy}>{busy ? "Publishing…" : "Publish"}</button>
        </div>
      </form>
    </Dialog>
  );
}

function HelpDialog({ onClose }: { onClose(): void }) {
  return (
    <Dialog title="Keyboard shortcuts" onClose={onClose}>
      <table className="shortcuts">
        <tbody>
          {SHORTCUTS.map(([keys, what]) => <tr key={keys}><td><kbd>{keys}</kbd></td><td>{what}</td></tr>)}
        </tbody>
      </table>
      <p className="muted small">On a Mac, use ⌘ instead of Ctrl.</p>
      <div className="buttons"><button type="button" className="primary" onClick={onClose}>Close</button></div>
    </Dialog>
  );
}

function ConflictBanner() {
  const [busy, setBusy] = useState(false);
  const conflicts = useEditor((s) => s.conflicts);
  const doc = useEditor((s) => s.doc);
  const catalog = useEditor((s) => s.catalog);
  // A property's name as its form labels it ("Message body", not "body").
  const label = (c: Conflict) => {
    const type = doc?.widgets.find((w) => w.name === c.widget)?.type;
    const title = c.property && type ? catalog.get(type)?.properties?.properties?.[c.property]?.title : undefined;
    return title ?? c.label;
  };
  const run = (f: () => Promise<void>) => async () => {
    setBusy(true);
    try { await f(); } finally { setBusy(false); }
  };
  return (
    <div className="banner conflict" role="alert">
      <div className="conflict-text">
        <b>This flow changed elsewhere, in the same place as your edit</b>
        <span>Someone saved it in another tab, published it, or its file changed on disk. Everything else was
          merged; for {conflicts.length === 1 ? "this field" : "these fields"}, choose which version to keep:</span>
        <ul className="conflict-list">
          {conflicts.map((c) => (
            <li key={c.key}>
              <b>{c.widget ?? "Flow"}</b> — {label(c)}: yours <q>{shown(c.mine)}</q>, theirs <q>{shown(c.theirs)}</q>
            </li>
          ))}
        </ul>
      </div>
      <button type="button" disabled={busy} onClick={run(takeTheirs)} title="Your value of these fields is lost">Use theirs</button>
      <button type="button" disabled={busy} className="primary" onClick={run(keepMine)} title="Their value of these fields is lost">Keep mine</button>
    </div>
  );
}

type Panel = "problems" | "history" | "send" | "results" | null;

function Editor({ onHome }: { onHome(): void }) {
  const flowId = useEditor((s) => s.flowId);
  // The name people gave the flow; its id (the webhook URL's end) only when it has none.
  const title = useEditor((s) => s.doc?.name || s.flowId);
  const status = useEditor(useShallow(statusText));
  const conflict = useEditor((s) => s.conflict);
  // Something to publish: a draft on the server (it exists only when it differs from the
  // live version) or edits not saved yet.
  const unpublished = useEditor((s) => !!s.draft || s.doc !== s.savedDoc || !s.published);
  const issueCount = useEditor((s) => s.issues.length);
  const errorCount = useEditor((s) => s.issues.filter((i) => i.severity === "error").length);
  const canUndo = useEditor((s) => s.past.length > 0);
  const selectedOne = useEditor((s) => s.selection.size === 1);
  const canRedo = useEditor((s) => s.future.length > 0);
  const [panel, setPanel] = useState<Panel>(null);
  const [dialog, setDialog] = useState<"publish" | "help" | null>(null);
  const [finding, setFinding] = useState(false);
  const [testing, setTesting] = useState(false); // the test-run console (console/)
  const [trial, setTrial] = useState<TrialInput | null>(null); // Send to a list tried with test numbers, in the console
  // Once tried, Send to a list stays mounted while hidden (the canvas gets the room to light
  // up), so going back to it finds the file, the numbers and the settings as they were.
  const [keepSend, setKeepSend] = useState(false);
  // Likewise Results while one of its conversations is replayed: beside the console it left
  // the canvas no room (none at 1024 px); its Results button brings it back as it was.
  const [keepResults, setKeepResults] = useState(false);
  const flow = useReactFlow();

  useEffect(() => startSync(), []);
  useEffect(() => installShortcuts({
    find: () => setFinding(true),
    help: () => setDialog("help"),
    escape: () => { setFinding(false); useEditor.getState().select([]); },
  }), []);

  const addInView = useCallback((type: string) => {
    const box = document.querySelector(".canvas")?.getBoundingClientRect();
    const p = flow.screenToFlowPosition({ x: (box?.left ?? 0) + (box?.width ?? 800) / 2, y: (box?.top ?? 0) + (box?.height ?? 600) / 2 });
    // Clicked, not dragged: the middle of the view, or the nearest free place below it
    // (never on top of the Trigger or of the widget added just before).
    const name = addWidgetAt(type, freeSpot({ x: p.x - 130, y: p.y - 40 }, useEditor.getState().nodes));
    // The free place may be below the fold or under the map: show the widget just added.
    if (name) panIntoViewSoon(flow, name);
  }, [flow]);

  const fitAfterLayout = useCallback(() => {
    // Once the new places are drawn, and again once widgets are measured at them.
    for (const wait of [50, 400]) {
      setTimeout(() => flow.fitView({ duration: 300, maxZoom: 1, padding: fitPadding() }), wait);
    }
  }, [flow]);

  const layout = useCallback(async () => {
    await layoutAll();
    fitAfterLayout();
  }, [fitAfterLayout]);

  // A flow file written without canvas places (by hand, in git) opens laid out as Tidy
  // up would, instead of on a grid where wide widgets cover each other. Once its widgets
  // are measured (a frame after they are first drawn).
  useEffect(() => {
    const timer = setTimeout(() => { void layOutUnplaced().then((done) => { if (done) fitAfterLayout(); }); }, 100);
    return () => clearTimeout(timer);
  }, [flowId, fitAfterLayout]);

  return (
    <div className="editor">
      <header className="topbar">
        <button type="button" className="link" onClick={onHome}>← All flows</button>
        <h1 className="flow-title" title={title !== flowId ? `Webhook URL ends in /webhooks/${flowId}` : undefined}>
          {title}
        </h1>
        <span className={"status " + status.tone} data-testid="save-status">{status.text}</span>
        <div className="spacer" />
        <button type="button" className={"problems-button" + (errorCount ? " bad" : issueCount ? " warn" : " ok")}
          onClick={() => setPanel(panel === "problems" ? null : "problems")} aria-pressed={panel === "problems"}>
          {problemsLabel(issueCount)}
        </button>
        <button type="button" onClick={() => setPanel(panel === "history" ? null : "history")} aria-pressed={panel === "history"}>History</button>
        <button type="button" onClick={() => setPanel(panel === "results" ? null : "results")} aria-pressed={panel === "results"}
          title="How many people took each path, in a time range">Results</button>
        <button type="button" onClick={() => setPanel(panel === "send" ? null : "send")} aria-pressed={panel === "send"}
          title="Start this flow for a list of contacts (a CSV file or numbers)">Send to a list</button>
        <button type="button" onClick={() => { setTesting(!testing); setTrial(null); }} aria-pressed={testing} data-testid="test-button"
          title="Try the flow here: text or call it as a contact and watch each step">▶ Test</button>
        <button type="button" className="primary" onClick={() => setDialog("publish")} disabled={conflict || !unpublished}
          title={unpublished ? undefined : "Nothing to publish: this is the live version"}>Publish</button>
      </header>
      {conflict && <ConflictBanner />}
      <div className={"workspace" + (testing ? " testing" : "")}>
        <Palette onAdd={addInView} />
        <main className="canvas-area">
          <div className="toolbar" role="toolbar" aria-label="Canvas tools">
            <button type="button" onClick={() => useEditor.getState().undo()} disabled={!canUndo} title="Undo (Ctrl+Z)">↶ Undo</button>
            <button type="button" onClick={() => useEditor.getState().redo()} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)">↷ Redo</button>
            <button type="button" onClick={layout} title="Arrange every widget neatly, top to bottom">Tidy up</button>
            <button type="button" onClick={() => setFinding(true)} title="Find a widget (Ctrl+F)">Find</button>
            <button type="button" onClick={() => setDialog("help")} title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts">?</button>
          </div>
          {finding && <FindBox onClose={() => setFinding(false)} />}
          <Canvas />
          <NoticeBar />
          {panel === "problems" && <ProblemsPanel onClose={() => setPanel(null)} />}
          {panel === "history" && <HistoryPanel onClose={() => setPanel(null)} onRestore={restore} />}
          {(panel === "send" || keepSend) && flowId && <SendToList flowId={flowId} hidden={panel !== "send"}
            onClose={() => { setPanel(null); setKeepSend(false); }}
            onTry={(t) => { setTrial(t); setTesting(true); setKeepSend(true); setPanel(null); }} />}
          {(panel === "results" || keepResults) && flowId && <ResultsPanel flowId={flowId} hidden={panel !== "results"}
            onClose={() => { setPanel(null); setKeepResults(false); }}
            onReplay={() => { setTesting(true); setKeepResults(true); setPanel(null); }} />}
          {panel === "results" && <ResultsOverlay />}
        </main>
        {/* While testing, a selected widget's settings stay at hand beside the phone: fix, then text again.
            Results and Send to a list leave the room to the canvas too, until a widget is selected. */}
        {((!testing && panel !== "results" && panel !== "send") || selectedOne) && <InspectorSlot />}
        {testing && flowId && <ConsolePanel flowId={flowId} trial={trial} onLeaveTrial={() => setTrial(null)}
          onBackToList={() => setPanel("send")}
          onClose={() => { setTesting(false); setTrial(null); }} />}
      </div>
      <RunHighlight />
      <FollowRun />
      {dialog === "publish" && <PublishDialog onClose={() => setDialog(null)} />}
      {dialog === "help" && <HelpDialog onClose={() => setDialog(null)} />}
    </div>
  );
}

/** Loads the flow (and the catalog once), then shows the editor. */
export function EditorPage({ flowId, onHome }: { flowId: string; onHome(): void }) {
  const [error, setError] = useState<string | null>(null);
  const loaded = useEditor((s) => s.flowId === flowId && !!s.doc);
  useEffect(() => {
    let live = true;
    (async () => {
      try {
        const store = useEditor.getState();
        const [catalog, flow] = await Promise.all([store.catalog.size ? null : api.widgets(), api.flow(flowId)]);
        if (!live) return;
        if (catalog) useEditor.getState().setCatalog(catalog.widgets);
        useEditor.getState().load(flow);
        document.title = `${flow.name || flow.id} · FlowStudio`;
      } catch (e) {
        if (live) setError((e as Error).message);
      }
    })();
    return () => { live = false; };
  }, [flowId]);
  if (error) return <div className="page"><p className="error">{error}</p><button type="button" onClick={onHome}>← All flows</button></div>;
  if (!loaded) return <div className="page muted">Opening {flowId}…</div>;
  return <ReactFlowProvider><Editor onHome={onHome} /></ReactFlowProvider>;
}
