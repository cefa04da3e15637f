// Test data: the server's real catalog (saved from GET /api/widgets) and the example flows.
import { parse } from "yaml";
import type { CatalogEntry, FlowDoc } from "../core/types";
import data from "./catalog.json";

export const catalogList = (data as { widgets: CatalogEntry[] }).widgets;
export const catalog = new Map(catalogList.map((e) => [e.type, e]));

// The example flows of the repository, read by Vite at test time (no Node APIs needed).
const files = import.meta.glob("../../../flows/*.yaml", { query: "?raw", import: "default", eager: true }) as Record<string, string>;
const flows = new Map(
  Object.entries(files)
    .filter(([path]) => !path.endsWith(".test.yaml"))
    .map(([path, text]) => [path.replace(/^.*\//, "").replace(/\.yaml$/, ""), text]),
);

export function exampleIds(): string[] {
  return [...flows.keys()];
}

export function example(id: string): FlowDoc {
  return parse(flows.get(id)!) as FlowDoc;
}
