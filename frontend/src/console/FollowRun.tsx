// While a test runs (or an execution is replayed), the widget it is at stays in view: when
// it is off screen or hidden under the map, the toolbar or the zoom buttons, the canvas pans
// (keeping its zoom) to show it in the free part of the canvas.
import { useReactFlow } from "@xyflow/react";
import { useEffect } from "react";
import { panIntoView } from "../canvas/inView";
import { useRun } from "./store";

export function FollowRun() {
  const open = useRun((s) => s.open);
  const current = useRun((s) => s.highlight.current);
  const flow = useReactFlow();
  useEffect(() => {
    if (!open || !current) return;
    // After the frame that lays out the console and the settings beside the canvas.
    const frame = requestAnimationFrame(() => panIntoView(flow, current));
    return () => cancelAnimationFrame(frame);
  }, [open, current, flow]);
  return null;
}
