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
