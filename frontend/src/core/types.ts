// The shapes the server speaks (flow documents, the widget catalog, problems), shared by
// every part of the editor. A flow document is the flow file's data as JSON.

/** A split's branch: the first condition list that matches sends the execution to `next`. */
export interface MatchBranch {
  next: string | null;
  conditions: Condition[];
}

export interface Condition {
  type: string;
  value?: string;
  friendly_name?: string;
  arguments?: string[];
}

/**
 * Where each event leads: event name -> widget name (null: listed, not connected).
 * Splits also carry `match`, one branch (and one output handle) per condition list.
 */
export type Transitions = Record<string, string | null | MatchBranch[] | undefined> & {
  match?: MatchBranch[];
};

export interface WidgetDoc {
  name: string;
  type: string;
  description?: string;
  properties?: Record<string, unknown>;
  transitions?: Transitions;
}

export interface FlowDoc {
  spec_version: number;
  name: string;
  description?: string;
  widgets: WidgetDoc[];
  /** Canvas positions by widget name. */
  ui?: Record<string, { x: number; y: number }>;
  [key: string]: unknown;
}

export interface CatalogEvent {
  name: string;
  label: string;
  description?: string;
}

/** One entry of GET /api/widgets. */
export interface CatalogEntry {
  type: string;
  title: string;
  category: string;
  description: string;
  channels: string[];
  events: CatalogEvent[];
  /** JSON Schema of `properties`; fields may carry `x-ui` hints ({liquid: true}, {labels: {...}}). */
  properties: Record<string, any>;
  /** Split widgets: JSON Schema of one condition. */
  condition_schema?: Record<string, any>;
  example: WidgetDoc;
  supported: boolean;
  waits: boolean;
  /** Variables the widget exposes to later widgets, as paths under widgets.<name> (e.g. "inbound.Body"). */
  outputs?: string[];
}

/** A problem found by the server's validator. `path` is dotted, e.g. "properties.timeout". */
export interface Issue {
  code: string;
  severity: "error" | "warning";
  message: string;
  widget: string | null;
  path: string | null;
  file: string | null;
  line: number | null;
  column: number | null;
}
