// The test-run console: a panel beside the canvas with three tabs (Phone, Steps,
// Executions), and "Save as flow test". See flowstudio/console.py for what runs.
import { useEffect, useState } from "react";
import "./console.css";
import { ExecutionsView } from "./ExecutionsView";
import { Phone } from "./Phone";
import { StepLog } from "./StepLog";
import { clearError, closeConsole, openConsole, openTrial, restart, saveTest, setTab, showContact, useRun,
  type ConsoleTab } from "./store";
import { contactLabel, contactStatus, type TrialInput } from "./trial";

function SaveTest() {
  const hasSteps = useRun((s) => (s.state?.steps ?? 0) > 0);
  const [naming, setNaming] = useState(false);
  const [name, setName] = useState("");
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (!naming) {
    return (
      <div className="save-test">
        {result && <p className="ok small" role="status" data-testid="saved-test">{result}</p>}
        <button type="button" disabled={!hasSteps} onClick={() => { setNaming(true); setResult(null); }}
          title="Keep this conversation as an automatic test of the flow">Save as flow test</button>
      </div>
    );
  }
  return (
    <form className="save-test" onSubmit={async (e) => {
      e.preventDefault();
      try {
        const r = await saveTest(name);
        setResult(`Saved in ${r.file}. \`flowstudio test\` replays it.` +
          (r.draft ? " It checks your draft: it passes against the live flow once you publish." : ""));
        setNaming(false);
        setName("");
        setError(null);
      } catch (err) {
        setError((err as Error).message);
      }
    }}>
      <input autoFocus value={name} onChange={(e) => setName(e.target.value)} name="test-name"
        placeholder="What does this conversation check?" aria-label="Test name" />
      <button type="submit" className="primary">Save</button>
      <button type="button" onClick={() => setNaming(false)}>Cancel</button>
      {error && <p className="error small">{error}</p>}
    </form>
  );
}

/** A try of "Send to a list": what it is, the test contacts to switch between, start again, leave. */
function TrialBar({ onLeave, onBackToList }: { onLeave(): void; onBackToList?(): void }) {
  const trial = useRun((s) => s.trial);
  const shown = useRun((s) => s.state);
  const busy = useRun((s) => s.busy);
  const failed = useRun((s) => !!s.error && !s.trial && !s.busy);
  if (!trial) {
    return failed ? (
      <div className="trial-bar" data-testid="trial-bar">
        <p className="trial-title"><b>The try did not start; nothing was sent.</b></p>
        <p className="muted small">Change what the message below says, then try again.</p>
        <div className="button-row">
          {onBackToList && <button type="button" className="primary" onClick={onBackToList}>Back to Send to a list</button>}
          <button type="button" className="link" onClick={onLeave}>Ordinary test</button>
        </div>
      </div>
    ) : null;
  }
  return (
    <div className="trial-bar" data-testid="trial-bar">
      <p className="trial-title"><b>Trying “Send to a list”: nothing is sent.</b></p>
      <p className="muted small">Each test number gets the flow as the list would: the published version, started
        from {trial.from}, with its row's columns. Reply as any of them.</p>
      {shown?.draft_differs && (
        <p className="trial-warning small" data-testid="trial-draft-note">Your unpublished changes are not in this try:
          the list gets the published version. Publish first to send them.</p>
      )}
      <div className="trial-contacts" role="tablist" aria-label="Test numbers">
        {trial.contacts.map((c) => {
          const state = c.id === trial.active ? shown : c.state;
          return (
            <button key={c.id} type="button" role="tab" aria-selected={c.id === trial.active} disabled={busy && c.id !== trial.active}
              className={"trial-contact" + (c.id === trial.active ? " active" : "")} data-testid={`trial-contact-${c.id}`}
              onClick={() => showContact(c.id)}>
              <span className="trial-number">{contactLabel(c)}</span>
              <span className="trial-status small">{contactStatus(state)}</span>
            </button>
          );
        })}
      </div>
      <div className="button-row">
        <button type="button" disabled={busy} onClick={() => restart()} title="End these conversations and start every test number again">Start again</button>
        {onBackToList && <button type="button" className="link" onClick={onBackToList}>Back to Send to a list</button>}
        <button type="button" className="link" onClick={onLeave} title="Text or call the flow's draft as one contact">
          Ordinary test</button>
      </div>
    </div>
  );
}

const TABS: [ConsoleTab, string][] = [["phone", "Phone"], ["steps", "Steps"], ["executions", "Executions"]];

/** The console; with `trial`, a try of "Send to a list" with test numbers (`onLeaveTrial`
 *  goes back to the ordinary console). */
export function ConsolePanel({ flowId, onClose, trial = null, onLeaveTrial, onBackToList }: {
  flowId: string; onClose(): void; trial?: TrialInput | null; onLeaveTrial?(): void; onBackToList?(): void;
}) {
  const tab = useRun((s) => s.tab);
  const error = useRun((s) => s.error);
  const connected = useRun((s) => s.connected);
  const busy = useRun((s) => s.busy);
  const rows = useRun((s) => s.rows.length);
  const errors = useRun((s) => s.rows.filter((r) => r.kind === "error").length);
  // A try that is starting, or did not start: no phone to show yet.
  const noTrial = useRun((s) => !!trial && !s.trial);

  useEffect(() => {
    if (trial) openTrial(flowId, trial);
    else openConsole(flowId);
    return () => closeConsole();
  }, [flowId, trial]);

  return (
    <aside className="console-panel" aria-label="Test console" data-testid="console">
      <header className="console-head">
        <h2>{trial ? "Try with test numbers" : "Test this flow"}</h2>
        <span className={"conn " + (connected ? "on" : "off")} title={connected ? "Connected" : "Not connected: reconnecting…"} />
        <div className="spacer" />
        <button type="button" className="icon" onClick={onClose} aria-label="Close the test console">×</button>
      </header>
      {trial && <TrialBar onLeave={() => onLeaveTrial?.()} onBackToList={onBackToList} />}
      {!noTrial && <nav className="console-tabs" role="tablist">
        {TABS.map(([id, label]) => (
          <button key={id} type="button" role="tab" aria-selected={tab === id} className={tab === id ? "active" : ""} onClick={() => setTab(id)}>
            {label}{id === "steps" && rows ? ` (${rows})` : ""}{id === "steps" && errors ? <span className="badge badge-error">{errors}</span> : null}
          </button>
        ))}
      </nav>}
      {error && (
        <div className="console-error" role="alert" data-testid="console-error">
          <span>{error}</span>
          <button type="button" className="icon" onClick={clearError} aria-label="Dismiss">×</button>
        </div>
      )}
      {noTrial ? (
        busy && <p className="muted small pad" data-testid="trial-starting">Starting each test number as the list would…</p>
      ) : (
        <>
          <div className="console-body">
            {tab === "phone" && <Phone />}
            {tab === "steps" && <StepLog />}
            {tab === "executions" && <ExecutionsView />}
          </div>
          {tab !== "executions" && <SaveTest />}
        </>
      )}
    </aside>
  );
}
