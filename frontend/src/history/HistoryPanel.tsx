// Published versions of the flow: who published what and when, which one is live, what
// changed between two versions (or a version and the current draft), and restore.
import { useCallback, useEffect, useState } from "react";
import { api, type DiffLine, type Revision } from "../api/client";
import type { FlowDoc } from "../core/types";
import { useEditor } from "../store/editor";
import { byWhom } from "../ui/authors";

type Side = number | "draft";

function DiffView({ lines }: { lines: DiffLine[] }) {
  if (!lines.length) return <p className="muted pad">No differences.</p>;
  return (
    <pre className="diff" aria-label="Changes">
      {lines.map((l, i) => (
        <div key={i} className={l.op === "+" ? "add" : l.op === "-" ? "del" : l.op === "@" ? "hunk" : ""}>
          <span className="op">{l.op === "@" ? "" : l.op}</span>{l.op === "@" ? "⋯" : l.text}
        </div>
      ))}
    </pre>
  );
}

/** The widgets that differ between two documents: added, removed, changed (settings, wiring or place). */
export function changedWidgets(a: FlowDoc, b: FlowDoc): { added: string[]; removed: string[]; changed: string[] } {
  const before = new Map(a.widgets.map((w) => [w.name, JSON.stringify([w, a.ui?.[w.name] ?? null])]));
  const after = new Map(b.widgets.map((w) => [w.name, JSON.stringify([w, b.ui?.[w.name] ?? null])]));
  return {
    added: [...after.keys()].filter((n) => !before.has(n)),
    removed: [...before.keys()].filter((n) => !after.has(n)),
    changed: [...after.keys()].filter((n) => before.has(n) && before.get(n) !== after.get(n)),
  };
}

const SAFE = /^[A-Za-z0-9_:.\-]+$/;

/** Outlines on the canvas the widgets a comparison shows as added or changed. */
function DiffHighlight({ added, changed }: { added: string[]; changed: string[] }) {
  const node = (n: string) => `.react-flow__node[data-id="${n}"] .wnode`;
  const rules: string[] = [];
  const a = added.filter((n) => SAFE.test(n)), c = changed.filter((n) => SAFE.test(n));
  if (a.length) rules.push(`${a.map(node).join(",")} { box-shadow: 0 0 0 4px #16a34a; }`);
  if (c.length) rules.push(`${c.map(node).join(",")} { box-shadow: 0 0 0 4px #2563eb; }`);
  return <style data-testid="diff-highlight" data-added={a.join(" ")} data-changed={c.join(" ")}>{rules.join("\n")}</style>;
}

export function HistoryPanel({ onClose, onRestore }: { onClose(): void; onRestore(n: number): Promise<void> }) {
  const flowId = useEditor((s) => s.flowId);
  const published = useEditor((s) => s.published);
  const draft = useEditor((s) => s.draft);
  const [revisions, setRevisions] = useState<Revision[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [from, setFrom] = useState<Side | null>(null);
  const [to, setTo] = useState<Side>("draft");
  const [lines, setLines] = useState<DiffLine[] | null>(null);
  const [widgets, setWidgets] = useState<ReturnType<typeof changedWidgets> | null>(null);

  useEffect(() => {
    if (!flowId) return;
    api.revisions(flowId).then((r) => {
      setRevisions(r.revisions);
      if (r.revisions[0]) setFrom(r.revisions[0].number);
    }, (e) => setError(e.message));
  }, [flowId, published?.id]);

  const compare = useCallback(async (a: Side, b: Side) => {
    if (!flowId) return;
    setFrom(a);
    setTo(b);
    setError(null);
    try {
      const side = async (x: Side) => (x === "draft" ? useEditor.getState().doc! : (await api.revision(flowId, x)).document);
      const [diff, docA, docB] = await Promise.all([api.diff(flowId, a, b), side(a), side(b)]);
      setLines(diff.lines);
      setWidgets(changedWidgets(docA, docB));
    } catch (e) {
      setError((e as Error).message);
    }
  }, [flowId]);

  // A comparison on screen follows the flow: a restore, an edit or a publish shows at once.
  const shown = lines !== null;
  useEffect(() => {
    if (shown && from !== null) void compare(from, to);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [draft?.version, published?.id]);

  const label = (side: Side) => (side === "draft" ? (draft ? "your draft" : "the current flow") : `version ${side}`);

  return (
    <section className="panel history" aria-label="History">
      <header>
        <h2>History</h2>
        <button type="button" className="icon" onClick={onClose} aria-label="Close history">×</button>
      </header>
      {error && <p className="error pad">{error}</p>}
      {revisions && !revisions.length && <p className="muted pad">Nothing published yet. Publish to record a first version.</p>}
      <ol className="revisions">
        {revisions?.map((r) => (
          <li key={r.number} className={r.current ? "live" : ""}>
            <div className="rev-line">
              <b>Version {r.number}</b>
              {r.current && <span className="pill live">Live</span>}
              <span className="muted small">{byWhom(r.author, r.created_at, flowId ?? undefined)}</span>
            </div>
            {r.message && <div className="rev-message">{r.message}</div>}
            <div className="rev-actions">
              {r.number > 1 && <button type="button" className="small" onClick={() => compare(r.number - 1, r.number)}>What changed</button>}
              <button type="button" className="small" onClick={() => compare(r.number, "draft")}>Compare with draft</button>
              <button type="button" className="small" onClick={async () => {
                if (confirm(`Restore version ${r.number} into your draft? You can undo this.`)) await onRestore(r.number);
              }}>Restore</button>
            </div>
          </li>
        ))}
      </ol>
      {revisions && revisions.length > 0 && from !== null && (
        <div className="diff-box">
          <div className="diff-pick">
            <label>From <select value={String(from)} onChange={(e) => compare(Number(e.target.value), to)} aria-label="Compare from">
              {revisions.map((r) => <option key={r.number} value={r.number}>Version {r.number}</option>)}
            </select></label>
            <label>to <select value={String(to)} aria-label="Compare to"
              onChange={(e) => compare(from, e.target.value === "draft" ? "draft" : Number(e.target.value))}>
              {draft && <option value="draft">Your draft</option>}
              {!draft && <option value="draft">Current flow</option>}
              {revisions.map((r) => <option key={r.number} value={r.number}>Version {r.number}</option>)}
            </select></label>
            <button type="button" className="small" onClick={() => compare(from, to)}>Show changes</button>
          </div>
          {lines && <p className="muted small">Changes from {label(from)} to {label(to)}: <span className="add-text">+ added</span>, <span className="del-text">− removed</span></p>}
          {widgets && (widgets.added.length + widgets.changed.length + widgets.removed.length > 0) && (
            <p className="small" data-testid="diff-widgets">On the canvas:{" "}
              {widgets.changed.length > 0 && <><span className="chg-text">changed</span> {widgets.changed.join(", ")}{" "}</>}
              {widgets.added.length > 0 && <><span className="add-text">added</span> {widgets.added.join(", ")}{" "}</>}
              {widgets.removed.length > 0 && <><span className="del-text">removed</span> {widgets.removed.join(", ")}</>}
            </p>
          )}
          {widgets && <DiffHighlight added={widgets.added} changed={widgets.changed} />}
          {lines && <DiffView lines={lines} />}
        </div>
      )}
    </section>
  );
}
