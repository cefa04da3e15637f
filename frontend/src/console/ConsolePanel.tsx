// The test-run console: a panel beside the canvas with three tabs (Phone, Steps,
// Executions), and "Save as flow test". See flowstudio/console.py for what runs.
import { useEffect, useState } from "react";
import "./console.css";
import { ExecutionsView } from "./ExecutionsView";
import { Phone } from "./Phone";
import { StepLog } from "./StepLog";
import { clearError, closeConsole, openConsole, saveTest, setTab, useRun, type ConsoleTab } from "./store";

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

const TABS: [ConsoleTab, string][] = [["phone", "Phone"], ["steps", "Steps"], ["executions", "Executions"]];

export function ConsolePanel({ flowId, onClose }: { flowId: string; onClose(): void }) {
  const tab = useRun((s) => s.tab);
  const error = useRun((s) => s.error);
  const connected = useRun((s) => s.connected);
  const rows = useRun((s) => s.rows.length);
  const errors = useRun((s) => s.rows.filter((r) => r.kind === "error").length);

  useEffect(() => {
    openConsole(flowId);
    return () => closeConsole();
  }, [flowId]);

  return (
    <aside className="console-panel" aria-label="Test console" data-testid="console">
      <header className="console-head">
        <h2>Test this flow</h2>
        <span className={"conn " + (connected ? "on" : "off")} title={connected ? "Connected" : "Not connected: reconnecting…"} />
        <div className="spacer" />
        <button type="button" className="icon" onClick={onClose} aria-label="Close the test console">×</button>
      </header>
      <nav className="console-tabs" role="tablist">
        {TABS.map(([id, label]) => (
          <button key={id} type="button" role="tab" aria-selected={tab === id} className={tab === id ? "active" : ""} onClick={() => setTab(id)}>
            {label}{id === "steps" && rows ? ` (${rows})` : ""}{id === "steps" && errors ? <span className="badge badge-error">{errors}</span> : null}
          </button>
        ))}
      </nav>
      {error && (
        <div className="console-error" role="alert" data-testid="console-error">
          <span>{error}</span>
          <button type="button" className="icon" onClick={clearError} aria-label="Dismiss">×</button>
        </div>
      )}
      <div className="console-body">
        {tab === "phone" && <Phone />}
        {tab === "steps" && <StepLog />}
        {tab === "executions" && <ExecutionsView />}
      </div>
      {tab !== "executions" && <SaveTest />}
    </aside>
  );
}
