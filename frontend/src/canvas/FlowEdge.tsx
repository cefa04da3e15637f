// How a connection is drawn. Forward (down the canvas): a rounded step whose horizontal
// run sits at its own height for each output of a widget ("lane"), so a split's branches
// do not merge into one line. Back up the canvas (a loop, "sorry" back to "ask"): around
// the right of both widgets, never behind the widgets in between.
import { BaseEdge, getSmoothStepPath, useInternalNode, type EdgeProps } from "@xyflow/react";

const LANE = 10;      // px between the runs of one widget's outputs
const CLEAR = 18;     // px a line leaves below a widget before turning
const AROUND = 36;    // px a loop keeps to the right of the widgets it goes around

/** The path of a loop from (sx, sy) below its widget to (tx, ty) above the target, around `right`. */
export function loopPath(sx: number, sy: number, tx: number, ty: number, right: number): string {
  const down = sy + CLEAR, up = ty - CLEAR;
  return `M ${sx} ${sy} L ${sx} ${down} L ${right} ${down} L ${right} ${up} L ${tx} ${up} L ${tx} ${ty}`;
}

export function FlowEdge(props: EdgeProps) {
  const { source, target, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, markerEnd, style,
    interactionWidth, data } = props;
  const lane = (data as { lane?: number } | undefined)?.lane ?? 0;
  const from = useInternalNode(source);
  const to = useInternalNode(target);
  let path: string;
  if (targetY > sourceY + 2 * CLEAR) {
    const centerY = Math.min(sourceY + CLEAR + lane * LANE, targetY - CLEAR);
    [path] = getSmoothStepPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, borderRadius: 10, centerY });
  } else {
    const edge = (n: typeof from) => (n ? n.internals.positionAbsolute.x + (n.measured.width ?? 260) : Math.max(sourceX, targetX));
    const right = Math.max(edge(from), edge(to)) + AROUND + lane * LANE;
    path = loopPath(sourceX, sourceY + lane * 3, targetX, targetY, right);
  }
  return <BaseEdge path={path} markerEnd={markerEnd} style={style} interactionWidth={interactionWidth} />;
}

export const edgeTypes = { flow: FlowEdge };
