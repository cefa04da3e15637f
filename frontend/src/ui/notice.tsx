// A brief, unobtrusive message at the bottom of the canvas, with one action: "Deleted
// “ask”. Undo". It goes by itself after a few seconds, and as soon as the flow changes
// again (the action would no longer do what it says).
import { useEffect } from "react";
import { create } from "zustand";
import { useEditor } from "../store/editor";

const SHOWN_MS = 8000;

export interface Notice {
  text: string;
  /** The button's words and what it does. */
  action?: { label: string; hint?: string; run(): void };
  /** The document the notice is about: any other one hides it. */
  doc: unknown;
  n: number;
}

export const useNotice = create<{ notice: Notice | null }>(() => ({ notice: null }));

let count = 0;

/** Show `text` (replacing any notice) while the document stays as it is now. */
export function showNotice(text: string, action?: Notice["action"]): void {
  useNotice.setState({ notice: { text, action, doc: useEditor.getState().doc, n: ++count } });
}

export function clearNotice(): void {
  useNotice.setState({ notice: null });
}

/** What a deletion took away, in words: "Deleted “ask”", "Deleted 3 widgets and a connection". */
export function deletedText(widgets: string[], connections: number): string | null {
  const parts: string[] = [];
  if (widgets.length === 1) parts.push(`“${widgets[0]}”`);
  else if (widgets.length > 1) parts.push(`${widgets.length} widgets`);
  if (connections === 1) parts.push("a connection");
  else if (connections > 1) parts.push(`${connections} connections`);
  if (!parts.length) return null;
  return (widgets.length ? "Deleted " : "Removed ") + parts.join(" and ");
}

export function NoticeBar() {
  const notice = useNotice((s) => s.notice);
  const doc = useEditor((s) => s.doc);
  useEffect(() => {
    if (notice && doc !== notice.doc) clearNotice();
  }, [doc, notice]);
  useEffect(() => {
    if (!notice) return;
    const t = setTimeout(() => { if (useNotice.getState().notice?.n === notice.n) clearNotice(); }, SHOWN_MS);
    return () => clearTimeout(t);
  }, [notice]);
  if (!notice || doc !== notice.doc) return null;
  return (
    <div className="notice-bar" role="status">
      <span>{notice.text}</span>
      {notice.action && (
        <button type="button" className="link" onClick={() => { notice.action!.run(); clearNotice(); }}>
          {notice.action.label}
        </button>
      )}
      {notice.action?.hint && <kbd className="muted small">{notice.action.hint}</kbd>}
      <button type="button" className="icon" aria-label="Dismiss" onClick={clearNotice}>×</button>
    </div>
  );
}
