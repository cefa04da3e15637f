// The right-hand panel. With one widget selected it shows the Inspector (inspector/); with
// several, what can be done to all of them; with none, the flow itself (its webhook URL).
import { issuesOf } from "../core/issues";
import { Inspector } from "../inspector";
import { deleteSelection, duplicateSelection, renameSelected, updateWidget } from "../store/actions";
import { useEditor } from "../store/editor";
import { WebhookHelp } from "../ui/webhook";

/** The flow's description, as one undoable edit. */
function setDescription(description: string) {
  const s = useEditor.getState();
  if (s.doc) s.commit({ ...s.doc, description });
}

/** Move the keyboard focus to the selected widget's settings once they are drawn: after a
 * keyboard action selects a widget (Find, Enter on a palette item), Tab goes on through its
 * fields instead of starting again from the top of the page. */
export function focusSettings(): void {
  requestAnimationFrame(() => requestAnimationFrame(() =>
    document.querySelector<HTMLElement>('aside[aria-label="Widget settings"]')?.focus({ preventScroll: true })));
}

export function InspectorSlot() {
  const doc = useEditor((s) => s.doc);
  const selection = useEditor((s) => s.selection);
  const catalog = useEditor((s) => s.catalog);
  const issues = useEditor((s) => s.issues);
  const focusPath = useEditor((s) => s.focusPath);
  const webhookUrl = useEditor((s) => s.webhookUrl);
  if (!doc) return null;
  if (selection.size > 1) {
    return (
      <aside className="inspector-panel" aria-label="Selection">
        <div className="pad">
          <h2>{selection.size} widgets selected</h2>
          <div className="buttons left">
            <button type="button" onClick={duplicateSelection}>Duplicate</button>
            <button type="button" className="danger" onClick={deleteSelection}>Delete</button>
          </div>
        </div>
      </aside>
    );
  }
  const widget = selection.size === 1 ? doc.widgets.find((w) => selection.has(w.name)) : undefined;
  if (!widget) {
    return (
      <aside className="inspector-panel" aria-label="Flow">
        <div className="pad">
          <h2>{doc.name}</h2>
          <label className="insp-label" htmlFor="flow-description">Description</label>
          <p className="insp-help">What this flow is for, shown in the list of flows.</p>
          <textarea id="flow-description" className="insp-input" rows={3} key={doc.description ?? ""}
            defaultValue={doc.description ?? ""} placeholder="e.g. Takes pizza orders by SMS"
            onBlur={(e) => { if (e.target.value !== (doc.description ?? "")) setDescription(e.target.value); }} />
          <h3>Webhook URL</h3>
          <WebhookHelp url={webhookUrl} />
          <h3>Getting started</h3>
          <p className="muted small">Drag widgets from the left onto the canvas. Connect them by dragging from an output (at the bottom of a widget) to another widget. Click a widget to change its settings.</p>
        </div>
      </aside>
    );
  }
  const entry = catalog.get(widget.type);
  return (
    <aside className="inspector-panel" aria-label="Widget settings" tabIndex={-1}>
      <Inspector key={widget.name} widget={widget} catalog={entry} flow={doc} issues={issuesOf(issues, widget.name)}
        focusPath={focusPath} onChange={(next) => updateWidget(widget.name, next)}
        onRename={(name) => { const err = renameSelected(widget.name, name); if (err) alert(err); }} />
    </aside>
  );
}
