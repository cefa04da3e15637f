// Where each of a widget's outputs leads ("Reply", "No Reply", the Trigger's "Incoming
// Message"...): one "goes to" list per output, so a flow can be wired without dragging a
// line on the canvas (keyboard only, a touch pad, a small screen). A split's branches have
// their own "Goes to" in ConditionsEditor; its "No Condition Matches" is here.
import type { CatalogEntry, WidgetDoc } from "../core/types";
import { MATCH_PREFIX, outputHandles, type OutputHandle } from "../core/handles";
import { useForm } from "./context";
import { Problems } from "./fields";

/** The outputs of `widget` listed here: every event but a split's branches. */
export function connectionEvents(widget: WidgetDoc, catalog: CatalogEntry): OutputHandle[] {
  return outputHandles(widget, catalog).filter((h) => !h.id.startsWith(MATCH_PREFIX));
}

export function Connections({ widget, catalog, targets }: {
  widget: WidgetDoc; catalog: CatalogEntry;
  /** The widgets an output may lead to. */
  targets: string[];
}) {
  const form = useForm();
  const outputs = connectionEvents(widget, catalog);
  if (!outputs.length) return null;
  return (
    <section className="insp-section insp-connections" data-path="transitions">
      <h3 className="insp-h3">{widget.type === "trigger" ? "How the flow starts" : "What happens next"}</h3>
      <p className="insp-help">
        {widget.type === "trigger"
          ? "Choose the widget each kind of start goes to. "
          : "Choose where the flow goes after each outcome; an outcome left not connected ends the "
            + "conversation there. "}
        You can also drag from an output at the bottom of the widget on the canvas.
      </p>
      {outputs.map((o) => {
        const id = `insp-next-${o.id}`;
        const path = `transitions.${o.id}`;
        // The catalog says "widgets.<name>.inbound": this widget's own name reads better.
        const help = catalog.events?.find((e) => e.name === o.id)?.description?.replaceAll("<name>", widget.name);
        return (
          <div className="insp-field insp-connection" data-path={path} key={o.id}>
            <label className="insp-label" htmlFor={id}>{o.label} <span className="insp-muted">goes to</span></label>
            <select id={id} className="insp-input" value={o.target ?? ""}
              onChange={(e) => form.commit(path, e.target.value === "" ? null : e.target.value)}>
              <option value="">Not connected (the flow ends)</option>
              {o.target && !targets.includes(o.target) && <option value={o.target}>{o.target} (missing)</option>}
              {targets.map((t) => <option key={t} value={t}>{t}</option>)}
            </select>
            {help && <p className="insp-help">{help}</p>}
            <Problems issues={form.issues.get(path)} />
          </div>
        );
      })}
    </section>
  );
}
