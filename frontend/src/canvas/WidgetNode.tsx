// The one node component for every widget type: what it shows comes from the catalog
// entry and the document (icon, name, title, summary, one output per event). Memoized:
// React Flow passes a new `data` object only when buildNodes made one (that widget changed).
import { Handle, Position, type NodeProps } from "@xyflow/react";
import { memo } from "react";
import { INPUT_HANDLE, type WidgetNode as WidgetNodeType } from "../core/graph";
import { categoryTone, WidgetIcon } from "../ui/icons";

function Badge({ errors, warnings }: { errors: number; warnings: number }) {
  if (!errors && !warnings) return null;
  const n = errors || warnings;
  const what = errors ? (errors === 1 ? "1 error" : `${errors} errors`) : warnings === 1 ? "1 warning" : `${warnings} warnings`;
  return <span className={"badge " + (errors ? "badge-error" : "badge-warning")} title={what} aria-label={what}>{n}</span>;
}

function WidgetNodeView({ data, selected }: NodeProps<WidgetNodeType>) {
  const { widget, catalog, handles, summary, input, errors, warnings } = data;
  const tone = categoryTone(catalog?.category ?? (widget.type === "trigger" ? "Trigger" : undefined));
  return (
    <div className={`wnode tone-${tone}${selected ? " selected" : ""}${errors ? " has-error" : ""}`} data-widget={widget.name}>
      {input && <Handle type="target" position={Position.Top} id={INPUT_HANDLE} className="in-handle" />}
      <div className="wnode-head">
        <span className="wnode-icon"><WidgetIcon type={widget.type} category={catalog?.category} /></span>
        <div className="wnode-titles">
          <div className="wnode-name">{widget.name}</div>
          <div className="wnode-type">{catalog?.title ?? widget.type}{catalog && !catalog.supported ? " (not supported)" : ""}</div>
        </div>
        <Badge errors={errors} warnings={warnings} />
      </div>
      {summary && <div className="wnode-summary">{summary}</div>}
      {handles.length > 0 && (
        <div className="wnode-outputs">
          {handles.map((h) => (
            <div key={h.id} className={"port" + (h.target ? " connected" : "")} title={h.target ? `${h.label} → ${h.target}` : `${h.label} (not connected)`}>
              <span className="port-label">{h.label}</span>
              <Handle type="source" position={Position.Bottom} id={h.id} className="out-handle" />
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

export const WidgetNode = memo(WidgetNodeView);
export const nodeTypes = { widget: WidgetNode };
