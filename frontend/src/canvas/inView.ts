// Keeping a widget the person should see in view: when it is off the canvas or under
// something drawn over it (the map, the toolbar, the zoom buttons, a notice), the canvas
// pans, keeping its zoom, to show it in the part of the canvas those leave free.
import type { ReactFlowInstance } from "@xyflow/react";
import { clearSpot, hidden, type Box } from "../core/inView";

const COVERS = [".canvas .react-flow__minimap", ".canvas .react-flow__controls", ".canvas-area > .toolbar",
  ".canvas-area > .notice-bar"];

function box(el: Element): Box {
  const r = el.getBoundingClientRect();
  return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
}

/** Pan so that widget `name` is seen whole, if it is not; true when the canvas moved. */
type Flow = Pick<ReactFlowInstance, "getNode" | "getZoom" | "setCenter">;

export function panIntoView(flow: Flow, name: string): boolean {
  const canvas = document.querySelector(".canvas");
  const el = document.querySelector(`.react-flow__node[data-id="${CSS.escape(name)}"]`);
  const node = flow.getNode(name);
  if (!canvas || !el || !node) return false;
  const view = box(canvas);
  const covers = COVERS.flatMap((sel) => [...document.querySelectorAll<HTMLElement>(sel)])
    .filter((c) => c.offsetParent !== null).map(box);
  if (!hidden(box(el), view, covers)) return false;
  const spot = clearSpot(view, covers);
  const zoom = flow.getZoom();
  const w = node.measured?.width ?? 260;
  const h = node.measured?.height ?? 100;
  // setCenter puts a point at the middle of the canvas: aim that far from the widget's
  // middle so that the widget lands on the free spot instead.
  flow.setCenter(node.position.x + w / 2 + ((view.left + view.right) / 2 - spot.x) / zoom,
    node.position.y + h / 2 + ((view.top + view.bottom) / 2 - spot.y) / zoom, { zoom, duration: 300 });
  return true;
}

/** panIntoView once the widget is drawn and measured (a widget just added). */
export function panIntoViewSoon(flow: Flow, name: string): void {
  requestAnimationFrame(() => requestAnimationFrame(() => panIntoView(flow, name)));
}
