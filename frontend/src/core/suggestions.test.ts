import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import catalogFile from "../test/catalog.json";
import appointmentYaml from "../../../flows/appointment-confirmation.yaml?raw";
import ivrYaml from "../../../flows/ivr-menu.yaml?raw";
import type { CatalogEntry, FlowDoc } from "./types";
import {
  filterSuggestions,
  flowVariableKeys,
  insertVariable,
  openTemplateAt,
  suggestionsFor,
  upstreamWidgets,
} from "./suggestions";

const catalog = (catalogFile as { widgets: CatalogEntry[] }).widgets;
const catalogOf = (type: string) => catalog.find((e) => e.type === type);
const appointment = parse(appointmentYaml) as FlowDoc;
const ivr = parse(ivrYaml) as FlowDoc;
const paths = (flow: FlowDoc, name: string) => suggestionsFor(flow, name, catalogOf).map((s) => s.path);

describe("upstream widgets", () => {
  it("follows transitions and split branches backwards, nearest first", () => {
    // check_reply is on a loop (noMatch -> not_understood -> ask again), so it is its own predecessor.
    expect(upstreamWidgets(appointment, "check_reply")).toEqual([
      "save_reply", "save_reminder_reply", "ask_confirmation", "send_reminder", "Trigger", "not_understood", "check_reply",
    ]);
    expect(upstreamWidgets(appointment, "cancel_appointment")).toContain("check_reply");
  });

  it("includes the widget itself only when it is on a loop", () => {
    expect(upstreamWidgets(appointment, "ask_confirmation")).toContain("ask_confirmation");
    expect(upstreamWidgets(appointment, "confirmed_message")).not.toContain("confirmed_message");
  });
});

describe("suggestions for a template field", () => {
  it("offers message and REST variables when the flow starts by SMS or REST", () => {
    const got = paths(appointment, "check_reply");
    expect(got).toContain("trigger.message.Body");
    expect(got).toContain("trigger.request.parameters");
    expect(got).not.toContain("trigger.call.From");
    expect(got).toEqual(expect.arrayContaining(["flow.data.first_name", "flow.data.appointment_id"]));
    expect(got).toEqual(expect.arrayContaining(["flow.channel.address", "contact.channel.address"]));
  });

  it("offers the outputs of widgets that run before first, and those after marked as not yet", () => {
    const all = suggestionsFor(appointment, "check_reply", catalogOf);
    const got = all.map((s) => s.path);
    expect(got).toContain("widgets.ask_confirmation.inbound.Body");
    expect(got).toContain("widgets.send_reminder.inbound.MediaUrl0");
    const later = all.filter((s) => s.path.startsWith("widgets.cancel_appointment."));
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((s) => s.notYet)).toBe(true);
    expect(all.filter((s) => s.path.startsWith("widgets.ask_confirmation.")).every((s) => !s.notYet)).toBe(true);
    expect(got.indexOf("widgets.ask_confirmation.inbound.Body")).toBeLessThan(got.indexOf("widgets.cancel_appointment.status_code"));
    expect(paths(appointment, "cancelled_message")).toContain("widgets.cancel_appointment.status_code");
    expect(paths(appointment, "cancelled_message")).toContain("widgets.cancel_appointment.parsed");
  });

  it("offers every Set Variables key as flow.variables", () => {
    expect(flowVariableKeys(appointment)).toEqual(["reply"]);
    expect(paths(appointment, "check_reply")).toContain("flow.variables.reply");
  });

  it("offers call variables and gather outputs in a voice flow", () => {
    const got = paths(ivr, "route_keypress");
    expect(got).toContain("trigger.call.From");
    expect(got).not.toContain("trigger.message.Body");
    expect(got).toEqual(expect.arrayContaining(["widgets.main_menu.Digits", "widgets.main_menu.SpeechResult", "widgets.main_menu.Confidence"]));
  });

  it("offers every way to start for a widget not connected yet", () => {
    const flow: FlowDoc = {
      spec_version: 1, name: "x",
      widgets: [
        { name: "Trigger", type: "trigger", transitions: { incomingCall: "a" } },
        { name: "a", type: "say-play" },
        { name: "loose", type: "send-message" },
      ],
    };
    expect(paths(flow, "loose")).toContain("trigger.call.From");
  });

  it("offers a widget not connected yet every widget's outputs, marked as not yet run", () => {
    const flow: FlowDoc = {
      spec_version: 1, name: "x",
      widgets: [
        { name: "Trigger", type: "trigger", transitions: { incomingMessage: null } },
        { name: "ask_size", type: "send-and-wait-for-reply", properties: { body: "Size?" } },
        { name: "confirm", type: "send-message" },
      ],
    };
    const got = suggestionsFor(flow, "confirm", catalogOf).filter((s) => s.path.startsWith("widgets."));
    expect(got.map((s) => s.path)).toContain("widgets.ask_size.inbound.Body");
    expect(got.every((s) => s.notYet)).toBe(true);
    expect(got.some((s) => s.path.startsWith("widgets.confirm."))).toBe(false);
  });

  it("groups and describes suggestions in plain words", () => {
    const s = suggestionsFor(appointment, "check_reply", catalogOf).find((x) => x.path === "widgets.ask_confirmation.inbound.Body")!;
    expect(s.group).toBe("ask_confirmation (Send & Wait For Reply)");
    expect(s.description).toBe("the reply: the text");
  });
});

describe("typing {{ in a field", () => {
  it("finds the unfinished variable before the caret", () => {
    expect(openTemplateAt("Hi {{wid", 8)).toEqual({ start: 3, partial: "wid" });
    expect(openTemplateAt("Hi {{ flow.va", 13)).toEqual({ start: 3, partial: "flow.va" });
    expect(openTemplateAt("Hi {{x}} there", 14)).toBeNull();
    expect(openTemplateAt("Hi {{x | upcase", 15)).toBeNull();
  });

  it("inserts the variable, closing braces once", () => {
    expect(insertVariable("Hi {{wid", 8, 3, "widgets.ask.inbound.Body")).toEqual({ text: "Hi {{widgets.ask.inbound.Body}}", caret: 31 });
    expect(insertVariable("Hi {{wid}}!", 8, 3, "widgets.a.b").text).toBe("Hi {{widgets.a.b}}!");
    expect(insertVariable("Hi !", 3, null, "contact.channel.address")).toEqual({ text: "Hi {{contact.channel.address}}!", caret: 30 });
  });

  it("filters by what was typed, prefix matches first", () => {
    const all = suggestionsFor(appointment, "check_reply", catalogOf);
    const got = filterSuggestions(all, "body").map((s) => s.path);
    expect(got).toContain("trigger.message.Body");
    expect(got).toContain("widgets.ask_confirmation.inbound.Body");
    expect(filterSuggestions(all, "flow.v")[0].path).toBe("flow.variables.reply");
  });
});
