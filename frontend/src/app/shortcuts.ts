// Keyboard shortcuts of the editor. Keys typed into a form field belong to the field.
// Copy and paste go through the browser's copy/paste events so the system clipboard
// carries the YAML (between tabs and flows) without asking for clipboard permission.
import { clipboardFallback, copySelection, deleteSelection, duplicateSelection, pasteText, selectAll } from "../store/actions";
import { useEditor } from "../store/editor";

export interface ShortcutHandlers {
  find(): void;
  help(): void;
  escape(): void;
}

export const SHORTCUTS: [string, string][] = [
  ["Ctrl + Z", "Undo"],
  ["Ctrl + Shift + Z  or  Ctrl + Y", "Redo"],
  ["Ctrl + C", "Copy the selected widgets"],
  ["Ctrl + V", "Paste widgets (also from another flow or tab)"],
  ["Ctrl + D", "Duplicate the selected widgets"],
  ["Ctrl + A", "Select every widget"],
  ["Delete  or  Backspace", "Delete the selected widgets or connections"],
  ["Shift + drag", "Select several widgets with a box"],
  ["Shift + click", "Add a widget to the selection"],
  ["Ctrl + F", "Find a widget by name"],
  ["?", "Show this list"],
  ["Esc", "Close a panel, clear the selection"],
];

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
}

/** Install the shortcuts on the window; returns the function that removes them. */
export function installShortcuts(h: ShortcutHandlers): () => void {
  let pasteSeen = false;
  const onKey = (e: KeyboardEvent) => {
    if (typing(e.target) || document.querySelector(".backdrop")) return;
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.toLowerCase();
    const s = useEditor.getState();
    if (mod && key === "z") { e.preventDefault(); if (e.shiftKey) s.redo(); else s.undo(); }
    else if (mod && key === "y") { e.preventDefault(); s.redo(); }
    else if (mod && key === "d") { e.preventDefault(); duplicateSelection(); }
    else if (mod && key === "a") { e.preventDefault(); selectAll(); }
    else if (mod && key === "f") { e.preventDefault(); h.find(); }
    else if (mod && key === "c") copySelection(); // the copy event below fills the system clipboard
    else if (mod && key === "v") {
      // Browsers that fire no paste event here (no clipboard access) fall back to memory.
      pasteSeen = false;
      setTimeout(() => { if (!pasteSeen) { const t = clipboardFallback(); if (t) pasteText(t); } }, 150);
    }
    else if (!mod && (e.key === "Delete" || e.key === "Backspace")) { e.preventDefault(); deleteSelection(); }
    else if (!mod && e.key === "?") { e.preventDefault(); h.help(); }
    else if (e.key === "Escape") h.escape();
  };
  const onCopy = (e: ClipboardEvent) => {
    if (typing(e.target) || window.getSelection()?.toString()) return;
    const text = copySelection();
    if (text && e.clipboardData) {
      e.clipboardData.setData("text/plain", text);
      e.preventDefault();
    }
  };
  const onPaste = (e: ClipboardEvent) => {
    if (typing(e.target)) return;
    pasteSeen = true;
    const text = e.clipboardData?.getData("text/plain");
    if (text && pasteText(text)) { e.preventDefault(); return; }
    const fallback = clipboardFallback();
    if (fallback && !text) pasteText(fallback);
  };
  window.addEventListener("keydown", onKey);
  document.addEventListener("copy", onCopy);
  document.addEventListener("paste", onPaste);
  return () => {
    window.removeEventListener("keydown", onKey);
    document.removeEventListener("copy", onCopy);
    document.removeEventListener("paste", onPaste);
  };
}
