// The problems list: everything the server's validator found, errors first. Clicking a
// problem selects its widget, centres it and tells the inspector which field to focus.
import { issueWords, problemsLabel } from "../core/issues";
import { useEditor } from "../store/editor";

export function ProblemsPanel({ onClose }: { onClose(): void }) {
  const issues = useEditor((s) => s.issues);
  const revealWidget = useEditor((s) => s.revealWidget);
  const doc = useEditor((s) => s.doc);
  const catalog = useEditor((s) => s.catalog);
  const typeOf = (name: string | null) => doc?.widgets.find((w) => w.name === name)?.type;
  const sorted = [...issues].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
  return (
    <section className="panel problems" aria-label="Problems">
      <header>
        <h2>{problemsLabel(issues.length)}</h2>
        <button type="button" className="icon" onClick={onClose} aria-label="Close problems">×</button>
      </header>
      {!issues.length && <p className="muted pad">Everything looks good. This flow is ready to publish.</p>}
      <ul className="problem-list">
        {sorted.map((issue, i) => (
          <li key={i}>
            <button type="button" className={"problem " + issue.severity} disabled={!issue.widget}
              onClick={() => issue.widget && revealWidget(issue.widget, issue.path ?? undefined)}>
              <span className={"dot " + issue.severity} aria-label={issue.severity === "error" ? "Error" : "Warning"} />
              <span>
                {issue.widget && <b>{issue.widget}</b>}
                {issue.widget && ": "}
                {issueWords(issue.message, typeOf(issue.widget), catalog)}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
