// Problems grouped by widget, for the badges on the canvas and the problems list.
import type { Issue } from "./types";

export interface IssueCount {
  errors: number;
  warnings: number;
}

/** Count errors and warnings per widget name (issues about the whole flow are left out). */
export function countByWidget(issues: Issue[]): Map<string, IssueCount> {
  const counts = new Map<string, IssueCount>();
  for (const issue of issues) {
    if (!issue.widget) continue;
    const c = counts.get(issue.widget) ?? { errors: 0, warnings: 0 };
    if (issue.severity === "error") c.errors++;
    else c.warnings++;
    counts.set(issue.widget, c);
  }
  return counts;
}

/** A widget's own issues. */
export function issuesOf(issues: Issue[], widget: string): Issue[] {
  return issues.filter((i) => i.widget === widget);
}

/** "3 problems", "1 problem", "No problems". */
export function problemsLabel(n: number): string {
  return n === 0 ? "No problems" : n === 1 ? "1 problem" : `${n} problems`;
}

/**
 * An issue's message in the words of the form: "to is required" on a Send Message says
 * "Destination is required" (the field's label), not the property's key.
 */
export function issueWords(message: string, widgetType: string | undefined,
  catalog: Map<string, { properties?: { properties?: Record<string, { title?: string }> } }>): string {
  const req = /^'?([A-Za-z0-9_]+)'? is required(.*)$/.exec(message);
  const title = req && widgetType ? catalog.get(widgetType)?.properties?.properties?.[req[1]]?.title : undefined;
  return title ? `${title} is required${req![2]}` : message;
}
