// Output handles of a widget: one per transition event, labelled as the catalog says.
// Splits get one handle per condition branch (transitions.match[i]) plus "No Condition
// Matches". Handle ids are what the document edits need to find the transition again.
import type { CatalogEntry, Condition, MatchBranch, WidgetDoc } from "./types";

export interface OutputHandle {
  /** Event name, or `match:<index>` for a split's branch. */
  id: string;
  label: string;
  /** The widget this output leads to (null: not connected). */
  target: string | null;
}

export const MATCH_PREFIX = "match:";

/** Words shown for a condition type ("matches_any_of" -> "Matches Any Of"). */
export function conditionLabel(type: string, catalog?: CatalogEntry): string {
  const labels = catalog?.condition_schema?.properties?.type?.["x-ui"]?.labels as Record<string, string> | undefined;
  if (labels?.[type]) return labels[type];
  return type.split("_").map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(" ");
}

/** A branch's label: its first condition's friendly name, else "<type> <value>". */
export function branchLabel(branch: MatchBranch, catalog?: CatalogEntry): string {
  const first: Condition | undefined = branch.conditions?.[0];
  if (!first) return "Condition";
  if (first.friendly_name) return first.friendly_name;
  const value = first.value ?? "";
  return `${conditionLabel(first.type, catalog)} ${value}`.trim();
}

function targetOf(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/**
 * The output handles of `widget`, in the catalog's event order. Events present in the
 * document but unknown to the catalog (an imported or unsupported widget) are shown too,
 * so no connection is ever hidden.
 */
export function outputHandles(widget: WidgetDoc, catalog?: CatalogEntry): OutputHandle[] {
  const transitions = widget.transitions ?? {};
  const handles: OutputHandle[] = [];
  const seen = new Set<string>();
  for (const event of catalog?.events ?? []) {
    seen.add(event.name);
    if (event.name === "match") continue;
    handles.push({ id: event.name, label: event.label, target: targetOf(transitions[event.name]) });
  }
  for (const [name, value] of Object.entries(transitions)) {
    if (seen.has(name) || name === "match") continue;
    handles.push({ id: name, label: name, target: targetOf(value) });
  }
  (transitions.match ?? []).forEach((branch, i) => {
    handles.push({ id: MATCH_PREFIX + i, label: branchLabel(branch, catalog), target: branch?.next ?? null });
  });
  return handles;
}

/** Whether a widget can be entered (the trigger cannot: it is where a flow starts). */
export function hasInput(widget: WidgetDoc): boolean {
  return widget.type !== "trigger";
}
