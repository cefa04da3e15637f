// The step log: one line per move of the execution (widget, event, where to, time), errors
// on the widget that caused them, waits and the end. Clicking a line shows the context at
// that point and lights the move up on the canvas.
import { useEffect, useRef } from "react";
import { useEditor } from "../store/editor";
import { ContextView } from "./ContextView";
import { eventLabel, type LogRow } from "./model";
import { selectRow, useRun } from "./store";

function clock(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

const ICON: Record<LogRow["kind"], string> = { step: "→", error: "!", wait: "…", end: "■", note: "i", variables: "=" };

export function StepLog() {
  const rows = useRun((s) => s.rows);
  const selected = useRun((s) => s.selectedRow);
  const reveal = useEditor((s) => s.revealWidget);
  const doc = useEditor((s) => s.doc);
  const catalog = useEditor((s) => s.catalog);
  const typeOf = (name: string | null | undefined) => doc?.widgets.find((w) => w.name === name)?.type;
  const detail = useRef<HTMLDivElement>(null);
  // The context opens below the list: bring it into view (braces: scrollIntoView may return a promise).
  useEffect(() => { detail.current?.scrollIntoView?.({ block: "nearest" }); }, [selected]);
  if (!rows.length) {
    return <p className="muted pad">Nothing has run yet. Text or call the flow on the Phone tab: every step it takes shows up here.</p>;
  }
  const row = rows.find((r) => r.id === selected);
  // A line without its own context shows the context of the step before it.
  const context = row && (row.context ?? [...rows].reverse().find((r) => r.id < row.id && r.context)?.context);
  return (
    <div className="steplog">
      <ol className="steplog-rows" data-testid="step-log">
        {rows.map((r) => (
          <li key={r.id} className={`logrow log-${r.kind}${r.id === selected ? " selected" : ""}`} data-kind={r.kind}
            data-widget={r.widget ?? ""}>
            <button type="button" onClick={() => selectRow(r.id === selected ? null : r.id)} title="Show the context at this point">
              <span className="log-icon" aria-hidden>{ICON[r.kind]}</span>
              <span className="log-main">
                {r.widget && <b className="log-widget">{r.widget}</b>}
                <span className="log-text">{r.kind === "step" ? (r.to ? <>→ {r.to}</> : "the branch ends here") : r.text}</span>
                {r.kind === "step" && r.event && <span className="log-event">{eventLabel(r.event, typeOf(r.widget), catalog)}</span>}
              </span>
              <span className="log-time">{clock(r.at)}</span>
            </button>
          </li>
        ))}
      </ol>
      {row && (
        <div className="steplog-detail" ref={detail}>
          <div className="row-head">
            <b>{row.kind === "step" ? `${row.widget} → ${row.to ?? "end"}` : row.widget ?? "The execution"}</b>
            {row.widget && <button type="button" className="link small" onClick={() => reveal(row.widget!)}>Show on canvas</button>}
          </div>
          <ContextView context={context} title="What the flow knew at this point" />
        </div>
      )}
    </div>
  );
}
