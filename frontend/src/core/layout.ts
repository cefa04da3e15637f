// Auto-layout: ELK's layered algorithm, top to bottom, outputs kept in their on-screen
// order (ports on the bottom side in a fixed order) so branches do not cross needlessly.
import type { ElkNode } from "elkjs/lib/elk-api";
import { outputHandles } from "./handles";
import type { FlowDoc } from "./types";
import type { Position } from "./edit";

export interface Size {
  width: number;
  height: number;
}

const DEFAULT_SIZE: Size = { width: 260, height: 110 };

/** The ELK graph of a flow (exported for the tests). */
export function elkGraph(doc: FlowDoc, sizes: Map<string, Size>): ElkNode {
  const names = new Set(doc.widgets.map((w) => w.name));
  const children: ElkNode[] = [];
  const edges: { id: string; sources: string[]; targets: string[] }[] = [];
  for (const w of doc.widgets) {
    const size = sizes.get(w.name) ?? DEFAULT_SIZE;
    const handles = outputHandles(w);
    children.push({
      id: w.name, width: size.width, height: size.height,
      layoutOptions: { "elk.portConstraints": "FIXED_ORDER" },
      ports: [
        { id: `${w.name}::in`, width: 1, height: 1, layoutOptions: { "elk.port.side": "NORTH" } },
        ...handles.map((h, i) => ({ id: `${w.name}::${h.id}`, width: 1, height: 1,
          layoutOptions: { "elk.port.side": "SOUTH", "elk.port.index": String(i) } })),
      ],
    });
    for (const h of handles) {
      if (h.target && names.has(h.target)) {
        edges.push({ id: `${w.name}::${h.id}`, sources: [`${w.name}::${h.id}`], targets: [`${h.target}::in`] });
      }
    }
  }
  return {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "DOWN",
      "elk.spacing.nodeNode": "60",
      "elk.layered.spacing.nodeNodeBetweenLayers": "90",
      "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
      "elk.layered.cycleBreaking.strategy": "DEPTH_FIRST",
    },
    children,
    edges,
  };
}

/** New positions for every widget. ELK is loaded on first use: most sessions never lay out. */
export async function autoLayout(doc: FlowDoc, sizes: Map<string, Size>): Promise<Record<string, Position>> {
  const { default: ELK } = await import("elkjs/lib/elk.bundled.js");
  const result = await new ELK().layout(elkGraph(doc, sizes));
  const positions: Record<string, Position> = {};
  for (const child of result.children ?? []) {
    positions[child.id] = { x: Math.round(child.x ?? 0), y: Math.round(child.y ?? 0) };
  }
  return positions;
}
