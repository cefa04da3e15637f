// Ctrl+F: find a widget by name (or title), select it and centre it.
import { useMemo, useState } from "react";
import { focusSettings } from "../app/InspectorSlot";
import { useEditor } from "../store/editor";

export function FindBox({ onClose }: { onClose(): void }) {
  const doc = useEditor((s) => s.doc);
  const catalog = useEditor((s) => s.catalog);
  const revealWidget = useEditor((s) => s.revealWidget);
  const [query, setQuery] = useState("");
  const [index, setIndex] = useState(0);
  const matches = useMemo(() => {
    const q = query.trim().toLowerCase();
    if (!doc || !q) return [];
    return doc.widgets.filter((w) => w.name.toLowerCase().includes(q) || (catalog.get(w.type)?.title ?? "").toLowerCase().includes(q)).slice(0, 50);
  }, [doc, catalog, query]);
  const go = (i: number) => {
    const w = matches[i];
    if (w) revealWidget(w.name);
  };
  return (
    <div className="findbox" role="search">
      <input autoFocus placeholder="Find a widget by name" value={query} aria-label="Find a widget by name"
        onChange={(e) => { setQuery(e.target.value); setIndex(0); }}
        onKeyDown={(e) => {
          if (e.key === "Escape") onClose();
          if (e.key === "Enter") { go(index); if (matches.length) { onClose(); focusSettings(); } }
          if (e.key === "ArrowDown") { e.preventDefault(); setIndex((i) => Math.min(i + 1, matches.length - 1)); }
          if (e.key === "ArrowUp") { e.preventDefault(); setIndex((i) => Math.max(i - 1, 0)); }
        }} />
      {query && (
        <ul className="findbox-results">
          {matches.length === 0 && <li className="muted">No widget called that</li>}
          {matches.map((w, i) => (
            <li key={w.name} className={i === index ? "active" : ""} onMouseDown={(e) => { e.preventDefault(); go(i); onClose(); }}>
              <b>{w.name}</b> <span className="muted">{catalog.get(w.type)?.title ?? w.type}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
