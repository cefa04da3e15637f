// The one line under a widget's name on the canvas: what it says, tests or calls.
import type { WidgetDoc } from "./types";

const MAX = 80;

function clip(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > MAX ? flat.slice(0, MAX - 1) + "…" : flat;
}

/** A short description of what the widget does, from its most telling property. */
export function widgetSummary(widget: WidgetDoc): string {
  const p = (widget.properties ?? {}) as Record<string, unknown>;
  const str = (key: string) => (typeof p[key] === "string" || typeof p[key] === "number" ? String(p[key]) : "");
  switch (widget.type) {
    case "split-based-on":
      return str("input") ? clip("Checks " + str("input")) : "";
    case "make-http-request":
      return str("url") ? clip(`${str("method") || "GET"} ${str("url")}`) : "";
    case "set-variables": {
      const vars = Array.isArray(p.variables) ? (p.variables as { key?: string }[]) : [];
      return vars.length ? clip("Sets " + vars.map((v) => v?.key).filter(Boolean).join(", ")) : "";
    }
    case "run-subflow":
      return str("flow_sid") ? clip("Runs " + str("flow_sid")) : "";
    case "connect-call-to":
      return str("to") ? clip("Calls " + str("to")) : "";
    case "make-outgoing-call-v2":
      return str("to") ? clip("Calls " + str("to")) : "";
    case "send-message":
    case "send-and-wait-for-reply":
      return str("body") ? clip(str("body")) : "";
    case "enqueue-call":
      return str("queue_name") ? clip("Queue " + str("queue_name")) : "";
  }
  for (const key of ["body", "say", "play", "url", "to", "input"]) {
    if (str(key)) return clip(str(key));
  }
  return widget.description ? clip(widget.description) : "";
}
