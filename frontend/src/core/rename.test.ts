import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import appointmentYaml from "../../../flows/appointment-confirmation.yaml?raw";
import type { FlowDoc } from "./types";
import { renameInTemplate, renameWidget, validWidgetName } from "./rename";

const appointment = parse(appointmentYaml) as FlowDoc;

const flow: FlowDoc = {
  spec_version: 1,
  name: "t",
  widgets: [
    { name: "Trigger", type: "trigger", transitions: { incomingMessage: "ask" } },
    {
      name: "ask", type: "send-and-wait-for-reply",
      properties: { body: "Hi" },
      transitions: { incomingMessage: "check", timeout: "ask", deliveryFailure: null },
    },
    { name: "ask_two", type: "send-message", properties: { body: "{{widgets.ask_two.outbound.Body}}" } },
    {
      name: "check", type: "split-based-on",
      properties: { input: "{{widgets.ask.inbound.Body | downcase}}" },
      transitions: {
        noMatch: "ask",
        match: [
          { next: "ask", conditions: [{ type: "equal_to", value: "{{widgets.ask.inbound.From}}", arguments: ["{{ widgets['ask'].inbound.Body }}"] }] },
          { next: null, conditions: [{ type: "is_blank", friendly_name: "ask again" }] },
        ],
      },
    },
    {
      name: "save", type: "set-variables",
      properties: { variables: [{ key: "ask", value: '{% if widgets["ask"].inbound.Body %}{{widgets.ask}}{% endif %} ask widgets.ask.x' }] },
    },
  ],
  ui: { Trigger: { x: 0, y: 0 }, ask: { x: 0, y: 100 }, check: { x: 0, y: 200 } },
};

describe("renameWidget", () => {
  const out = renameWidget(flow, "ask", "question");
  const w = (name: string) => out.widgets.find((x) => x.name === name)!;

  it("renames the widget and every transition to it", () => {
    expect(out.widgets.map((x) => x.name)).toEqual(["Trigger", "question", "ask_two", "check", "save"]);
    expect(w("Trigger").transitions).toEqual({ incomingMessage: "question" });
    expect(w("question").transitions).toEqual({ incomingMessage: "check", timeout: "question", deliveryFailure: null });
    expect(w("check").transitions!.noMatch).toBe("question");
    expect(w("check").transitions!.match!.map((b) => b.next)).toEqual(["question", null]);
  });

  it("moves the canvas position, keeping the order", () => {
    expect(Object.keys(out.ui!)).toEqual(["Trigger", "question", "check"]);
    expect(out.ui!.question).toEqual({ x: 0, y: 100 });
  });

  it("rewrites Liquid references, including in conditions", () => {
    expect(w("check").properties!.input).toBe("{{widgets.question.inbound.Body | downcase}}");
    const cond = w("check").transitions!.match![0].conditions[0];
    expect(cond.value).toBe("{{widgets.question.inbound.From}}");
    expect(cond.arguments).toEqual(["{{ widgets['question'].inbound.Body }}"]);
    expect(w("check").transitions!.match![1].conditions[0].friendly_name).toBe("ask again");
    expect((w("save").properties!.variables as any)[0]).toEqual({
      key: "ask",
      value: '{% if widgets["question"].inbound.Body %}{{widgets.question}}{% endif %} ask widgets.ask.x',
    });
  });

  it("leaves other widgets' references and the original document alone", () => {
    expect(w("ask_two").properties!.body).toBe("{{widgets.ask_two.outbound.Body}}");
    expect(flow.widgets[1].name).toBe("ask");
    expect(flow.ui!.ask).toEqual({ x: 0, y: 100 });
    expect(w("ask_two")).toBe(flow.widgets[2]);
  });

  it("works on a real flow", () => {
    const renamed = renameWidget(appointment, "ask_confirmation", "ask");
    expect(JSON.stringify(renamed)).not.toContain("ask_confirmation");
    expect(renamed.widgets.find((x) => x.name === "save_reply")!.properties!.variables).toEqual([
      { key: "reply", value: "{{widgets.ask.inbound.Body}}" },
    ]);
    expect(renamed.widgets.find((x) => x.name === "not_understood")!.transitions).toEqual({ sent: "ask" });
  });

  it("refuses a taken or invalid name, and does nothing for the same name", () => {
    expect(() => renameWidget(flow, "ask", "check")).toThrow(/already called "check"/);
    expect(() => renameWidget(flow, "ask", "two words")).toThrow(/spaces/);
    expect(renameWidget(flow, "ask", "ask")).toBe(flow);
  });
});

describe("renameInTemplate", () => {
  it("only touches whole names inside Liquid blocks", () => {
    expect(renameInTemplate("{{widgets.a.b}} {{widgets.ab.c}} {{widgets.a-b.c}} widgets.a.b", "a", "z")).toBe(
      "{{widgets.z.b}} {{widgets.ab.c}} {{widgets.a-b.c}} widgets.a.b",
    );
    expect(renameInTemplate("{{ widgets.a | to_json }}", "a", "z")).toBe("{{ widgets.z | to_json }}");
    expect(renameInTemplate("{{flow.variables.a}}", "a", "z")).toBe("{{flow.variables.a}}");
  });
});

describe("validWidgetName", () => {
  it("explains what is wrong in words", () => {
    expect(validWidgetName("")).toMatch(/name/);
    expect(validWidgetName("ask name")).toMatch(/spaces/);
    expect(validWidgetName("1st")).toMatch(/letter/);
    expect(validWidgetName("ask.name")).toMatch(/letters, digits, _ and -/);
    expect(validWidgetName("ask_name-2")).toBeNull();
    expect(validWidgetName("check", flow, "ask")).toMatch(/already/);
    expect(validWidgetName("ask", flow, "ask")).toBeNull();
  });
});
