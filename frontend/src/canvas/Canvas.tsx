// The flow canvas: React Flow on the store's nodes and edges. The store owns the document;
// this component turns gestures (drop, connect, drag end) into store actions.
import {
  Background, BackgroundVariant, ControlButton, Controls, MiniMap, ReactFlow, useReactFlow,
  type Connection, type FinalConnectionState, type FitViewOptions, type Node, type OnConnectEnd,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useCallback, useEffect, useState, type DragEvent } from "react";
import { WIDGET_DRAG_TYPE } from "../core/dnd";
import { freeSpot } from "../core/edit";
import { addWidgetAt, connectOutput, moveTo } from "../store/actions";
import { useEditor } from "../store/editor";
import { edgeTypes } from "./FlowEdge";
import { nodeTypes } from "./WidgetNode";

/** Room kept around the flow when it is fitted to the screen: the top for the toolbar. */
export const FIT_PADDING = { top: "72px", right: "32px", bottom: "32px", left: "32px" } as const;

/** FIT_PADDING, and on the right the width of the map when it is shown (in the bottom
 * right corner): a flow fitted to the screen ends up beside the map, never under it. */
export function fitPadding(): FitViewOptions["padding"] {
  const map = document.querySelector<HTMLElement>(".canvas .react-flow__minimap");
  const width = map && map.offsetParent ? map.getBoundingClientRect().width : 0;
  return width ? { ...FIT_PADDING, right: `${Math.round(width) + 32}px` as const } : FIT_PADDING;
}

const BIG = 300; // from this many widgets, only what is on screen is rendered

function minimapColor(node: Node): string {
  const d = node.data as { errors?: number };
  return d.errors ? "#e5484d" : "#b8c2d6";
}

export function Canvas() {
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  const onNodesChange = useEditor((s) => s.onNodesChange);
  const onEdgesChange = useEditor((s) => s.onEdgesChange);
  const reveal = useEditor((s) => s.reveal);
  const flow = useReactFlow();
  // A big flow opens at reading size on its trigger: fitting thousands of widgets on screen
  // would render every one of them at once, unreadably small.
  const [big] = useState(() => nodes.length > BIG);
  // A new flow (the Trigger alone) opens with the Trigger at the top, room below it to build.
  const [alone] = useState(() => nodes.length <= 1);
  // The map redraws every widget on each pan: off by default on big flows (a button shows it).
  const [showMap, setShowMap] = useState(() => !big);
  const startAtTrigger = useCallback(() => {
    const trigger = useEditor.getState().nodes.find((n) => n.data.widget.type === "trigger") ?? useEditor.getState().nodes[0];
    if (!trigger) return;
    const box = document.querySelector(".canvas")?.getBoundingClientRect();
    flow.setViewport({ x: (box?.width ?? 1000) / 2 - (trigger.position.x + 130) * 0.8, y: 80 - trigger.position.y * 0.8, zoom: 0.8 });
  }, [flow]);

  useEffect(() => {
    if (!reveal) return;
    const node = flow.getNode(reveal.name);
    if (!node) return;
    const w = node.measured?.width ?? 260;
    const h = node.measured?.height ?? 100;
    flow.setCenter(node.position.x + w / 2, node.position.y + h / 2, { zoom: Math.max(flow.getZoom(), 0.9), duration: 300 });
  }, [reveal, flow]);

  const onConnect = useCallback((c: Connection) => {
    if (c.source && c.sourceHandle && c.target) connectOutput(c.source, c.sourceHandle, c.target);
  }, []);

  // Dropping a connection anywhere on a widget (not only on its small input dot) connects it.
  const onConnectEnd: OnConnectEnd = useCallback((event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
    if (state.isValid || !state.fromNode || !state.fromHandle?.id || state.fromHandle.type !== "source") return;
    const point = "changedTouches" in event ? event.changedTouches[0] : event;
    const el = document.elementFromPoint(point.clientX, point.clientY)?.closest(".react-flow__node");
    const target = el?.getAttribute("data-id");
    if (target && target !== "Trigger" && useEditor.getState().doc?.widgets.some((w) => w.name === target && w.type !== "trigger")) {
      connectOutput(state.fromNode.id, state.fromHandle.id, target);
    }
  }, []);

  const onNodeDragStop = useCallback((_e: unknown, _node: Node, dragged: Node[]) => {
    moveTo(Object.fromEntries(dragged.map((n) => [n.id, n.position])));
  }, []);

  const onDragOver = useCallback((e: DragEvent) => {
    if (e.dataTransfer.types.includes(WIDGET_DRAG_TYPE)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
    }
  }, []);

  const onDrop = useCallback((e: DragEvent) => {
    const type = e.dataTransfer.getData(WIDGET_DRAG_TYPE);
    if (!type) return;
    e.preventDefault();
    const p = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
    // Dropped on another widget: it lands just below, not hidden under it.
    addWidgetAt(type, freeSpot({ x: p.x - 130, y: p.y - 30 }, useEditor.getState().nodes));
  }, [flow]);

  return (
    <div className="canvas" onDragOver={onDragOver} onDrop={onDrop}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        onNodeDragStop={onNodeDragStop}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={["Shift", "Meta", "Control"]}
        onlyRenderVisibleElements={nodes.length > BIG}
        connectionRadius={30}
        minZoom={0.05}
        maxZoom={2}
        fitView={!big && !alone}
        fitViewOptions={{ maxZoom: 1, padding: FIT_PADDING }}
        onInit={big || alone ? startAtTrigger : undefined}
        defaultEdgeOptions={{ type: "flow" }}
        proOptions={{ hideAttribution: false }}
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1.4} color="#c5ccd8" />
        <Controls position="bottom-left" showInteractive={false}>
          <ControlButton onClick={() => setShowMap((v) => !v)} title={showMap ? "Hide the map" : "Show the map"} aria-label="Map">
            <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2}><path d="M3 6l6-3 6 3 6-3v15l-6 3-6-3-6 3z M9 3v15 M15 6v15" /></svg>
          </ControlButton>
        </Controls>
        {showMap && <MiniMap position="bottom-right" pannable zoomable nodeColor={minimapColor} nodeStrokeWidth={0} />}
      </ReactFlow>
    </div>
  );
}
