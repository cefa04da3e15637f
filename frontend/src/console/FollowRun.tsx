// While a test runs (or an execution is replayed), the widget it is at stays in view: when
// it is off screen or hidden under the map, the toolbar or the zoom buttons, the canvas pans
// (keeping its zoom) to show it in the free part of the canvas.
import { useReactFlow } from "@xyflow/react";
import { useEffect } from "react";
import { clearSpot, hidden, type Box } from "./follow";
import { useRun } from "./store";

const COVERS = [".canvas .react-flow__minimap", ".canvas .react-flow__controls", ".canvas-area > .toolbar", ".canvas-area > .notice-bar"];

function box(el: Element): Box {
  const r = el.getBoundingClientRect();
  return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
}

export function FollowRun() {
  const open = useRun((s) => s.open);
  const current = useRun((s) => s.highlight.current);
  const flow = useReactFlow();
  useEffect(() => {
    if (!open || !current) return;
    // After the frame that lays out the console and the settings beside the canvas.
    const frame = requestAnimationFrame(() => {
      const canvas = document.querySelector(".canvas");
      const el = document.querySelector(`.react-flow__node[data-id="${CSS.escape(current)}"]`);
      const node = flow.getNode(current);
      if (!canvas || !el || !node) return;
      const view = box(canvas);
      const covers = COVERS.flatMap((sel) => [...document.querySelectorAll<HTMLElement>(sel)])
        .filter((c) => c.offsetParent !== null).map(box);
      if (!hidden(box(el), view, covers)) return;
      const spot = clearSpot(view, covers);
      const zoom = flow.getZoom();
      const w = node.measured?.width ?? 260;
      const h = node.measured?.height ?? 100;
      // setCenter puts a point at the middle of the canvas: aim that far from the node's
      // middle so the node lands on the free spot instead.
      const cx = node.position.x + w / 2 + ((view.left + view.right) / 2 - spot.x) / zoom;
      const cy = node.position.y + h / 2 + ((view.top + view.bottom) / 2 - spot.y) / zoom;
      flow.setCenter(cx, cy, { zoom, duration: 300 });
    });
    return () => cancelAnimationFrame(frame);
  }, [open, current, flow]);
  return null;
}
