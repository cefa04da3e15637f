// The Results view's counts drawn on the canvas: above each widget how many entered it and
// how many stopped there, and under each output how many took it. Drawn in the flow's
// coordinates (ViewportPortal), from the widgets' measured (or estimated) places.
import { ViewportPortal } from "@xyflow/react";
import { estimateNode, widgetView } from "../core/graph";
import { MATCH_PREFIX } from "../core/handles";
import { useEditor } from "../store/editor";
import { useResults } from "./ResultsPanel";

export function ResultsOverlay() {
  const stats = useResults((s) => s.stats);
  const pick = useResults((s) => s.pick);
  const nodes = useEditor((s) => s.nodes);
  if (!stats) return null;
  const widgets = new Map(stats.widgets.map((w) => [w.name, w]));
  return (
    <ViewportPortal>
      {nodes.map((node) => {
        const w = widgets.get(node.id);
        const widget = node.data.widget;
        const view = widgetView(widget, node.data.catalog);
        const guess = estimateNode(widget, view);
        const width = node.measured?.width ?? guess.width;
        const height = node.measured?.height ?? guess.height;
        const ports = guess.handles.filter((h) => h.type === "source");
        const scale = width / guess.width;
        return (
          <div key={node.id}>
            {(w || widget.type !== "trigger") && (
              <div className="rc-widget" data-testid={`results-${node.id}`}
                style={{ transform: `translate(${node.position.x}px, ${node.position.y - 34}px)`, width }}>
                <button type="button" className="rc-pill" onClick={() => pick?.({ widget: node.id }, `Entered ${node.id}`)}
                  title="How many entered this widget">{w?.entered ?? 0} in</button>
                {!!w?.stopped_here && (
                  <button type="button" className="rc-pill rc-stop" onClick={() => pick?.({ widget: node.id, stopped: "any" }, `Stopped at ${node.id}`)}
                    title={Object.entries(w.stopped).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`).join(", ")}>
                    {w.stopped_here} stopped</button>
                )}
              </div>
            )}
            {view.handles.map((h, i) => {
              const event = h.id.startsWith(MATCH_PREFIX) ? "match" : h.id;
              const taken = stats.transitions.filter((t) => t.from === node.id && t.event === event &&
                (event !== "match" || t.to === h.target)).reduce((a, t) => a + t.count, 0);
              const port = ports[i];
              if (!port) return null;
              return (
                <button key={h.id} type="button" className={"rc-edge" + (taken ? "" : " zero")}
                  data-testid={`results-${node.id}-${h.id}`}
                  style={{ transform: `translate(${node.position.x + (port.x + 5) * scale - 15}px, ${node.position.y + height + 6}px)` }}
                  onClick={() => pick?.({ transition_from: node.id, event, ...(h.target ? { transition_to: h.target } : {}) },
                    `${node.id}: ${h.label}`)}
                  title={`${taken} took "${h.label}"`}>{taken}</button>
              );
            })}
          </div>
        );
      })}
    </ViewportPortal>
  );
}
