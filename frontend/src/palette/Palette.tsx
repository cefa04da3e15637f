// The widget library on the left: every supported widget, grouped by category as in the
// catalog. Drag one onto the canvas, or click it to add it in the middle of the view.
import { useMemo, useState } from "react";
import { focusSettings } from "../app/InspectorSlot";
import { WIDGET_DRAG_TYPE } from "../core/dnd";
import type { CatalogEntry } from "../core/types";
import { useEditor } from "../store/editor";
import { categoryTone, WidgetIcon } from "../ui/icons";

const ORDER = ["Messaging", "Flow Control", "Voice", "Tools & Execute Code"];

export function groupCatalog(entries: Iterable<CatalogEntry>): [string, CatalogEntry[]][] {
  const groups = new Map<string, CatalogEntry[]>();
  for (const e of entries) {
    if (!e.supported || e.type === "trigger") continue;
    const list = groups.get(e.category) ?? [];
    list.push(e);
    groups.set(e.category, list);
  }
  const rank = (c: string) => (ORDER.indexOf(c) < 0 ? ORDER.length : ORDER.indexOf(c));
  return [...groups].sort((a, b) => rank(a[0]) - rank(b[0]));
}

export function Palette({ onAdd }: { onAdd(type: string): void }) {
  const catalog = useEditor((s) => s.catalog);
  const [filter, setFilter] = useState("");
  const groups = useMemo(() => {
    const q = filter.trim().toLowerCase();
    const list = [...catalog.values()].filter((e) => !q || e.title.toLowerCase().includes(q) || e.description.toLowerCase().includes(q));
    return groupCatalog(list);
  }, [catalog, filter]);
  return (
    <aside className="palette" aria-label="Widgets">
      <div className="palette-head">
        <h2>Widgets</h2>
        <p className="muted small">Drag a widget onto the canvas</p>
        <input type="search" placeholder="Search widgets" value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Search widgets" />
      </div>
      <div className="palette-groups">
        {groups.map(([category, entries]) => (
          <section key={category}>
            <h3>{category}</h3>
            {entries.map((e) => (
              <button key={e.type} type="button" className={`palette-item tone-${categoryTone(e.category)}`} draggable
                data-type={e.type} title={e.description}
                onDragStart={(ev) => {
                  ev.dataTransfer.setData(WIDGET_DRAG_TYPE, e.type);
                  ev.dataTransfer.effectAllowed = "copy";
                }}
                // Enter or Space (a click with no mouse press): the keyboard goes on to its settings.
                onClick={(ev) => { onAdd(e.type); if (ev.detail === 0) focusSettings(); }}>
                <span className="wnode-icon"><WidgetIcon type={e.type} category={e.category} /></span>
                <span>{e.title}</span>
              </button>
            ))}
          </section>
        ))}
        {!groups.length && <p className="muted small">No widget matches.</p>}
      </div>
    </aside>
  );
}
