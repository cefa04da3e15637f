// Lights the run up on the canvas without touching the canvas components: a style sheet
// aimed at React Flow's `data-id` attributes of nodes and edges. The current widget glows,
// visited ones are marked, the move just made is drawn animated.
import { useEditor } from "../store/editor";
import { edgeIdOf } from "./model";
import { useRun } from "./store";

const SAFE = /^[A-Za-z0-9_:.\-]+$/; // widget names and edge ids, as the validator allows them

export function RunHighlight() {
  const highlight = useRun((s) => s.highlight);
  const open = useRun((s) => s.open);
  const edges = useEditor((s) => s.edges);
  if (!open) return null;
  const node = (name: string) => `.react-flow__node[data-id="${name}"] .wnode`;
  const rules: string[] = [];
  const visited = highlight.visited.filter((n) => SAFE.test(n) && n !== highlight.current);
  if (visited.length) rules.push(`${visited.map(node).join(",")} { box-shadow: 0 0 0 3px var(--run-visited); }`);
  if (highlight.current && SAFE.test(highlight.current)) {
    rules.push(`${node(highlight.current)} { box-shadow: 0 0 0 4px var(--run-current), 0 0 18px 4px var(--run-glow); }`);
  }
  const failed = (highlight.failed ?? []).filter((n) => SAFE.test(n));
  if (failed.length) rules.push(`${failed.map(node).join(",")} { box-shadow: 0 0 0 4px var(--error), 0 0 16px 4px rgba(220, 38, 38, .35); }`);
  const edge = highlight.lastEdge && edgeIdOf(highlight.lastEdge, edges);
  if (edge && SAFE.test(edge)) {
    rules.push(`.react-flow__edge[data-id="${edge}"] .react-flow__edge-path { stroke: var(--run-current); stroke-width: 3; stroke-dasharray: 8 6; animation: run-dash .6s linear infinite; }`);
  }
  return (
    <style data-testid="run-highlight" data-current={highlight.current ?? ""} data-edge={edge ?? ""}
      data-visited={highlight.visited.join(" ")} data-failed={failed.join(" ")}>{rules.join("\n")}</style>
  );
}
