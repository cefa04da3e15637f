// The one node component for every widget type: what it shows comes from the catalog
// entry and the document (icon, name, title, summary, one output per event). Memoized:
// React Flow passes a new `data` object only when buildNodes made one (that widget changed).
//
// Zoomed out (below FAR_ZOOM) a widget is drawn as a plain box of its category's colour,
// the same size as its card, with its handles where the card has them (hidden): hundreds
// of them on screen then cost little to paint, and nothing is measured again. Each node
// reads the zoom as a boolean, so it re-renders only when the zoom crosses the threshold.
import { Handle, Position, useStore, useUpdateNodeInternals, type NodeProps, type ReactFlowState } from "@xyflow/react";
import { memo, useEffect, useRef } from "react";
import { estimateNode, INPUT_HANDLE, widgetView, type WidgetNode as WidgetNodeType } from "../core/graph";
import { categoryTone, WidgetIcon } from "../ui/icons";

function Badge({ errors, warnings }: { errors: number; warnings: number }) {
  if (!errors && !warnings) return null;
  const n = errors || warnings;
  const what = errors ? (errors === 1 ? "1 error" : `${errors} errors`) : warnings === 1 ? "1 warning" : `${warnings} warnings`;
  return <span className={"badge " + (errors ? "badge-error" : "badge-warning")} title={what} aria-label={what}>{n}</span>;
}

export const FAR_ZOOM = 0.35;
const isFar = (s: ReactFlowState) => s.transform[2] < FAR_ZOOM;

function FarWidget({ data, selected, width, height, tone }: NodeProps<WidgetNodeType> & { tone: string }) {
  const { widget, catalog, input, errors, warnings } = data;
  // Handles where the card has them (estimated), should React Flow measure the node in this form.
  const guess = estimateNode(widget, widgetView(widget, catalog));
  const sx = width ? width / guess.width : 1;
  const what = errors ? `${errors} error${errors === 1 ? "" : "s"}` : warnings ? `${warnings} warning${warnings === 1 ? "" : "s"}` : undefined;
  return (
    <div className={`wnode wnode-far tone-${tone}${selected ? " selected" : ""}${errors ? " has-error" : warnings ? " has-warning" : ""}`}
      data-widget={widget.name} style={{ width: width ?? guess.width, height: height ?? guess.height }} title={what}>
      {input && <Handle type="target" position={Position.Top} id={INPUT_HANDLE} className="in-handle" />}
      {guess.handles.filter((h) => h.type === "source").map((h) => (
        <Handle key={h.id} type="source" position={Position.Bottom} id={h.id ?? undefined} className="out-handle" style={{ left: (h.x + 5) * sx }} />
      ))}
    </div>
  );
}

function WidgetNodeView(props: NodeProps<WidgetNodeType>) {
  const { data, selected } = props;
  const { widget, catalog, handles, summary, input, errors, warnings } = data;
  const tone = categoryTone(catalog?.category ?? (widget.type === "trigger" ? "Trigger" : undefined));
  const far = useStore(isFar);
  // A node first drawn (and so measured) as a box has its handles measured where the box
  // guessed them: measure it again once it shows as a card.
  const firstFar = useRef<boolean | null>(null);
  firstFar.current ??= far;
  const updateInternals = useUpdateNodeInternals();
  useEffect(() => {
    if (!far && firstFar.current) {
      firstFar.current = false;
      updateInternals(props.id);
    }
  }, [far, props.id, updateInternals]);
  if (far) return <FarWidget {...props} tone={tone} />;
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
