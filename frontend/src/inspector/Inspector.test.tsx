// @vitest-environment jsdom
// The Inspector in a DOM: typing stays local (no onChange per key), a commit is one
// onChange, the input keeps focus when the app re-renders with the committed widget,
// and problems show next to their field.
import { act, useState } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import catalogFile from "../test/catalog.json";
import type { CatalogEntry, FlowDoc, Issue, WidgetDoc } from "../core/types";
import { useEditor } from "../store/editor";
import { Inspector } from "./index";
import { COMMIT_PAUSE_MS } from "./useDraft";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
const catalog = (catalogFile as { widgets: CatalogEntry[] }).widgets;
const entry = (type: string) => catalog.find((e) => e.type === type);

const flow: FlowDoc = {
  spec_version: 1,
  name: "t",
  widgets: [
    { name: "Trigger", type: "trigger", transitions: { incomingMessage: "ask" } },
    { name: "ask", type: "send-and-wait-for-reply", properties: { body: "Hi", timeout: "3600" }, transitions: { incomingMessage: "check" } },
    { name: "check", type: "split-based-on", properties: { input: "{{widgets.ask.inbound.Body}}" },
      transitions: { noMatch: "ask", match: [{ next: "ask", conditions: [{ type: "equal_to", value: "yes" }] }] } },
  ],
};

// The app's store holds the whole catalog: the outputs of the widgets before this one.
useEditor.getState().setCatalog(catalog);

let host: HTMLDivElement;
let root: Root;
beforeEach(() => {
  host = document.createElement("div");
  document.body.appendChild(host);
  root = createRoot(host);
});
afterEach(() => {
  act(() => root.unmount());
  host.remove();
  vi.useRealTimers();
});

/** Renders the Inspector like the app does: onChange replaces the widget in the document. */
function mount(name: string, issues: Issue[] = [], onChange = vi.fn(), onRename = vi.fn()) {
  function App() {
    const [doc, setDoc] = useState(flow);
    const widget = doc.widgets.find((w) => w.name === name)!;
    return (
      <Inspector widget={widget} catalog={entry(widget.type)} flow={doc} issues={issues}
        onChange={(next: WidgetDoc) => { onChange(next); setDoc((d) => ({ ...d, widgets: d.widgets.map((w) => (w.name === name ? next : w)) })); }}
        onRename={onRename} />
    );
  }
  act(() => root.render(<App />));
  return { onChange, onRename };
}

function type(el: HTMLInputElement | HTMLTextAreaElement, text: string) {
  const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  const setter = Object.getOwnPropertyDescriptor(proto, "value")!.set!;
  act(() => {
    setter.call(el, text);
    el.setSelectionRange(text.length, text.length);
    el.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

const field = (path: string) => host.querySelector<HTMLElement>(`[data-path="${path}"]`)!;

describe("Inspector", () => {
  it("offers a split branch every widget but itself and the Trigger", () => {
    mount("check");
    const select = field("transitions.match.0.next").querySelector("select")!;
    const options = [...select.options].map((o) => o.value);
    expect(options).toEqual(["", "ask"]);
  });

  it("connects every output from the form, without dragging on the canvas", () => {
    const { onChange } = mount("ask");
    const select = host.querySelector<HTMLSelectElement>("select#insp-next-timeout")!;
    expect(host.querySelector(`label[for="insp-next-timeout"]`)!.textContent).toBe("No Reply goes to");
    expect(field("transitions.incomingMessage").textContent).toContain("the reply is in widgets.ask.inbound");
    expect([...select.options].map((o) => o.value)).toEqual(["", "check"]);
    act(() => { select.value = "check"; select.dispatchEvent(new Event("change", { bubbles: true })); });
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({
      transitions: { incomingMessage: "check", timeout: "check" } }));
    act(() => { select.value = ""; select.dispatchEvent(new Event("change", { bubbles: true })); });
    expect(onChange.mock.lastCall![0].transitions.timeout).toBeNull();
  });

  it("connects the Trigger's starts and a split's No Condition Matches from the form", () => {
    mount("Trigger");
    expect(host.querySelector<HTMLSelectElement>("select#insp-next-incomingMessage")!.value).toBe("ask");
    act(() => root.unmount());
    root = createRoot(host);
    mount("check");
    expect(host.querySelector<HTMLSelectElement>("select#insp-next-noMatch")!.value).toBe("ask");
    expect(host.querySelector("select#insp-next-match")).toBeNull();
  });

  it("names every control, even those shown without a label above them (a condition's type)", () => {
    mount("check");
    const unnamed = [...host.querySelectorAll<HTMLElement>("input, select, textarea")].filter((el) =>
      !el.getAttribute("aria-label") && !(el as HTMLInputElement).labels?.length);
    expect(unnamed.map((el) => el.outerHTML)).toEqual([]);
  });

  it("folds the settings most flows leave alone under More settings, open once one is used", () => {
    mount("ask");
    const more = host.querySelector<HTMLDetailsElement>("details.insp-more")!;
    expect(more.open).toBe(false);
    const folded = ["properties.service", "properties.channel", "properties.attributes", "properties.content_sid"];
    for (const path of folded) {
      expect(more.contains(field(path)), path).toBe(true);
    }
    for (const path of ["properties.body", "properties.timeout"]) expect(more.contains(field(path)), path).toBe(false);
    act(() => root.unmount());
    root = createRoot(host);
    const issue = { severity: "error", code: "x", message: "must be a JSON object", widget: "ask",
      path: "properties.attributes" };
    mount("ask", [issue as Issue]);
    expect(host.querySelector<HTMLDetailsElement>("details.insp-more")!.open).toBe(true);
  });

  it("commits a text edit once, on blur, and keeps the input", () => {
    const { onChange } = mount("ask");
    const body = field("properties.body").querySelector("textarea")!;
    act(() => body.focus());
    type(body, "Hi t");
    type(body, "Hi th");
    type(body, "Hi there");
    expect(onChange).not.toHaveBeenCalled();
    act(() => body.blur());
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(onChange.mock.calls[0][0].properties).toEqual({ body: "Hi there", timeout: "3600" });
    expect(field("properties.body").querySelector("textarea")).toBe(body);
  });

  it("commits after a pause in typing, without losing focus", () => {
    vi.useFakeTimers();
    const { onChange } = mount("ask");
    const body = field("properties.body").querySelector("textarea")!;
    act(() => body.focus());
    type(body, "Hello");
    act(() => { vi.advanceTimersByTime(COMMIT_PAUSE_MS + 10); });
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(document.activeElement).toBe(body);
    expect(body.value).toBe("Hello");
  });

  it("stores a typed number as a number (even where a numeric string was) and explains a wrong one", () => {
    const { onChange } = mount("ask");
    const timeout = field("properties.timeout").querySelector("input")!;
    act(() => timeout.focus());
    type(timeout, "60");
    act(() => timeout.blur());
    expect(onChange.mock.calls[0][0].properties.timeout).toBe(60);
    act(() => timeout.focus());
    type(timeout, "soon");
    act(() => timeout.blur());
    expect(field("properties.timeout").textContent).toContain("Must be a whole number of seconds.");
  });

  it("'Test a different value…' gives a box to type that value in", () => {
    const { onChange } = mount("check");
    const button = [...host.querySelectorAll("button")].find((b) => b.textContent === "Test a different value…")!;
    act(() => button.click());
    expect(onChange).toHaveBeenCalledTimes(1);
    const branch = (onChange.mock.calls[0][0].transitions as { match: { conditions: { arguments?: string[] }[] }[] }).match[0];
    expect(branch.conditions[0].arguments).toEqual([""]);
    expect(host.querySelector('[data-path="transitions.match.0.conditions.0.arguments"] input, [data-path="transitions.match.0.conditions.0.arguments"] textarea')).not.toBeNull();
  });

  it("says a required field is missing once, in the words of its label", () => {
    const issue: Issue = { code: "property", severity: "error", message: "body is required", widget: "ask", path: "properties", file: null, line: null, column: null };
    mount("ask", [issue]);
    const body = field("properties.body").querySelector("textarea")!;
    act(() => body.focus());
    type(body, "");
    act(() => body.blur());
    const problems = [...field("properties.body").querySelectorAll(".insp-problems li")].map((li) => li.textContent);
    expect(problems).toEqual(["Message body is required."]);
  });

  it("shows the server's problems next to their field, and the rest on top", () => {
    const issue = (path: string | null, message: string): Issue => ({ code: "x", severity: "error", message, widget: "ask", path, file: null, line: null, column: null });
    mount("ask", [issue("properties", "body is required"), issue(null, "this widget cannot be reached")]);
    expect(field("properties.body").textContent).toContain("Message body is required.");
    expect(host.querySelector(".insp-rest")!.textContent).toContain("This widget cannot be reached.");
  });

  it("renames only with a valid name, on Enter", () => {
    const { onRename } = mount("ask");
    const name = host.querySelector<HTMLInputElement>("#insp-name")!;
    type(name, "check");
    expect(field("name").textContent).toContain('Another widget is already called "check".');
    act(() => { name.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true })); });
    expect(onRename).not.toHaveBeenCalled();
    type(name, "question");
    act(() => { name.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true })); });
    expect(onRename).toHaveBeenCalledWith("question");
  });

  it("adds a branch with next: null and leaves noMatch alone", () => {
    const { onChange } = mount("check");
    const add = [...host.querySelectorAll("button")].find((b) => b.textContent === "+ Add branch")!;
    act(() => add.click());
    const next = onChange.mock.calls[0][0] as WidgetDoc;
    expect(next.transitions!.noMatch).toBe("ask");
    expect(next.transitions!.match!.map((b) => b.next)).toEqual(["ask", null]);
  });

  it("suggests variables after {{ and inserts the chosen one", () => {
    const { onChange } = mount("check");
    const input = field("properties.input").querySelector("input")!;
    act(() => input.focus());
    type(input, "Say {{widgets.ask.inbound.B");
    const option = host.querySelector<HTMLElement>("[role=option]")!;
    expect(option.textContent).toContain("widgets.ask.inbound.Body");
    act(() => { option.dispatchEvent(new MouseEvent("mousedown", { bubbles: true, cancelable: true })); });
    expect(input.value).toBe("Say {{widgets.ask.inbound.Body}}");
    act(() => input.blur());
    expect(onChange.mock.calls.at(-1)![0].properties.input).toBe("Say {{widgets.ask.inbound.Body}}");
  });

  it("lists voices and languages in words, Twilio's name in small print, and still takes any other", () => {
    flow.widgets.push({ name: "hello", type: "say-play", properties: { say: "Hi", voice: "Polly.Joanna" } },
      { name: "odd", type: "say-play", properties: { say: "Hi", voice: "Polly.Kevin" } });
    const { onChange } = mount("hello");
    const voice = field("properties.voice");
    const select = voice.querySelector("select")!;
    expect(select.selectedOptions[0].textContent).toBe("Joanna: a woman, American English");
    expect(voice.textContent).toContain("In the flow file: Polly.Joanna");
    expect(field("properties.language").querySelector("select")!.selectedOptions[0].textContent)
      .toBe("Default: English (United States)");
    act(() => { select.value = "Polly.Amy"; select.dispatchEvent(new Event("change", { bubbles: true })); });
    expect(onChange.mock.lastCall![0].properties.voice).toBe("Polly.Amy");
    act(() => { select.value = "\u0000other"; select.dispatchEvent(new Event("change", { bubbles: true })); });
    const typed = voice.querySelector("input")!;
    expect(typed.getAttribute("aria-label")).toBe("Another voice (type Twilio's name for it)");
    act(() => root.unmount());
    root = createRoot(host);
    mount("odd");   // a voice not in the list: shown as typed, nothing lost
    expect(field("properties.voice").querySelector("input")!.value).toBe("Polly.Kevin");
    flow.widgets.splice(-2, 2);
  });

  it("folds a call question's speech-recognition settings, leaving the question, keys and timeout in view", () => {
    flow.widgets.push({ name: "menu", type: "gather-input-on-call", properties: { say: "Press 1", language: "en-US" } });
    mount("menu");
    const more = host.querySelector<HTMLDetailsElement>("details.insp-more")!;
    expect(more.open).toBe(false);
    for (const key of ["speech_model", "hints", "profanity_filter", "speech_timeout", "finish_on_key", "loop"]) {
      expect(more.contains(field(`properties.${key}`)), key).toBe(true);
    }
    for (const key of ["say", "number_of_digits", "timeout", "voice"]) {
      expect(more.contains(field(`properties.${key}`)), key).toBe(false);
    }
    flow.widgets.pop();
  });

  it("explains a branch's value for the test chosen, not for every test at once", () => {
    flow.widgets.push({ name: "score", type: "split-based-on", properties: { input: "{{widgets.ask.inbound.Body}}" },
      transitions: { noMatch: null, match: [{ next: null, conditions: [{ type: "matches_any_of", value: "4, 5" }] }] } });
    mount("score");
    const value = field("transitions.match.0.conditions.0.value");
    expect(value.querySelector(".insp-help")!.textContent).toBe("Several values separated by commas, e.g. 4, 5 or yes, y, ok.");
    flow.widgets.pop();
  });

  it("shows a widget type it does not know read-only", () => {
    flow.widgets.push({ name: "pay", type: "send-to-auto-pilot", properties: { amount: "5" } });
    mount("pay");
    expect(host.textContent).toContain("kept");
    expect(host.querySelector("#insp-name")!.hasAttribute("readonly")).toBe(true);
    flow.widgets.pop();
  });
});

describe("a choice with older Studio values", () => {
  const FORM = "application/x-www-form-urlencoded;charset=utf-8";
  function mountRequest(properties: Record<string, unknown>) {
    const widget: WidgetDoc = { name: "call", type: "make-http-request", properties };
    const doc: FlowDoc = { ...flow, widgets: [...flow.widgets, widget] };
    act(() => root.render(
      <Inspector widget={widget} catalog={entry("make-http-request")} flow={doc} issues={[]}
        onChange={vi.fn()} onRename={vi.fn()} />));
    return [...host.querySelectorAll("select")].find((s) => [...s.options].some((o) => o.value === FORM))!;
  }

  it("offers a new request only Studio's current content types", () => {
    const select = mountRequest({ url: "https://example.com" });
    expect([...select.options].map((o) => o.value)).toEqual([FORM, "application/json;charset=utf-8"]);
  });

  it("shows an imported request's older content type as itself, chosen", () => {
    const select = mountRequest({ url: "https://example.com", content_type: "application/json" });
    expect(select.value).toBe("application/json");
    expect([...select.options].map((o) => o.text)).toEqual(
      ["Form URL Encoded", "Application/JSON", "Application/JSON (without charset)"]);
  });
});
