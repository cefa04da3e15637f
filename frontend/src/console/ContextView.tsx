// The context of an execution at one step (trigger, widgets, flow.variables, contact) as
// readable, collapsible JSON: objects and lists fold, the first levels open.
import { useState } from "react";

function Scalar({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span className="j-null">null</span>;
  if (typeof value === "string") return <span className="j-str">"{value}"</span>;
  if (typeof value === "number") return <span className="j-num">{value}</span>;
  if (typeof value === "boolean") return <span className="j-bool">{String(value)}</span>;
  return <span>{String(value)}</span>;
}

function Node({ name, value, depth, openDepth }: { name: string | null; value: unknown; depth: number; openDepth: number }) {
  const isObj = value !== null && typeof value === "object";
  const [open, setOpen] = useState(depth < openDepth);
  const label = name !== null && <span className="j-key">{name}</span>;
  if (!isObj) {
    return <div className="j-row">{label}{label && ": "}<Scalar value={value} /></div>;
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as object);
  const summary = Array.isArray(value) ? `[${entries.length}]` : entries.length ? `{${entries.length}}` : "{}";
  return (
    <div className="j-row">
      <button type="button" className="j-toggle" onClick={() => setOpen(!open)} aria-expanded={open} disabled={!entries.length}>
        {entries.length ? (open ? "▾" : "▸") : "·"} {label}{label && ": "}{!open && <span className="j-summary">{summary}</span>}
      </button>
      {open && <div className="j-children">{entries.map(([k, v]) => <Node key={k} name={k} value={v} depth={depth + 1} openDepth={openDepth} />)}</div>}
    </div>
  );
}

/** The context object, with its top levels open. */
export function ContextView({ context, title }: { context: Record<string, unknown> | undefined; title?: string }) {
  if (!context) return <p className="muted small">No context recorded for this line.</p>;
  const order = ["trigger", "widgets", "flow", "contact"];
  const keys = [...order.filter((k) => k in context), ...Object.keys(context).filter((k) => !order.includes(k))];
  return (
    <div className="context-view" data-testid="context-view">
      {title && <div className="context-title">{title}</div>}
      {keys.map((k) => <Node key={k} name={k} value={context[k]} depth={0} openDepth={3} />)}
    </div>
  );
}
