// The phone: a chat thread for texts, a transcript and keypad for calls, time that can be
// made to pass, typed answers for HTTP widgets, the contact's number, start over.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useEditor } from "../store/editor";
import { CONVERSATION_CHANNELS, durationWords, httpWidgets, keypadHint, keyRules, parseDuration, phoneMode, pressKey,
  secondsUntil, textAction, type TranscriptItem } from "./model";
import { act, restart, setMock, setMuted, useRun } from "./store";
import { columnsText } from "./trial";

const NO_MOCKS: Record<string, { status: number; body: unknown }> = {}; // one object: selectors must not make new ones
const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];

function Bubble({ item }: { item: TranscriptItem }) {
  switch (item.kind) {
    case "you":
      return <div className="bubble you" data-kind="you">{item.body}</div>;
    case "message":
      return (
        <div className="bubble flow" data-kind="message" data-widget={item.widget}>
          {item.author && <span className="author">{item.author}</span>}
          {item.body}
          {item.media?.map((url) => <a key={url} href={url} target="_blank" rel="noreferrer" className="media">↗ {url.split("/").pop() || url}</a>)}
        </div>
      );
    case "say":
      return <div className="bubble flow voice" data-kind="say" data-widget={item.widget}><span className="says">says</span>{item.text}</div>;
    case "play":
      return (
        <div className="bubble flow voice" data-kind="play" data-widget={item.widget}>
          {item.url ? <>plays <a href={item.url} target="_blank" rel="noreferrer">{item.url.split("/").pop()}</a></> : `plays the tones ${item.digits}`}
        </div>
      );
    case "error":
      return <div className="line error-line" data-kind="error">{item.text}</div>;
    default:
      return (
        <div className={`line line-${item.kind}`} data-kind={item.kind} data-widget={item.widget}>
          {item.text}
          {item.detail && <span className="detail">{item.detail}</span>}
        </div>
      );
  }
}

function statusLine(state: ReturnType<typeof useRun.getState>["state"]): string {
  if (!state) return "Connecting…";
  if (state.status === "active" && state.waiting) {
    const what = state.waiting.kind === "message" ? "a reply" : "the caller";
    return `Waiting at ${state.waiting.widget} for ${what}`;
  }
  if (state.status === "active") return "Running";
  if (state.status === "ended") return "Ended";
  if (state.status === "failed") return "Failed";
  return "Ready: text or call the flow";
}

function ContactBar() {
  const state = useRun((s) => s.state);
  const busy = useRun((s) => s.busy);
  const trial = useRun((s) => s.trial);
  const [contact, setContact] = useState(state?.contact ?? "");
  useEffect(() => { setContact(state?.contact ?? ""); }, [state?.contact]);
  if (trial) {
    const shown = trial.contacts.find((c) => c.id === trial.active);
    const cols = shown ? columnsText(shown.parameters) : "";
    return (
      <div className="contact-bar trial-you" data-testid="trial-you">
        <span>You are <b>{state?.contact}</b>{cols && <span className="muted small"> · {cols}</span>}</span>
      </div>
    );
  }
  return (
    <form className="contact-bar" onSubmit={(e) => { e.preventDefault(); restart(contact.trim() || undefined); }}>
      <label>You are <input name="contact" value={contact} onChange={(e) => setContact(e.target.value)} size={14}
        aria-label="The contact's phone number" /></label>
      <button type="submit" disabled={busy} title="End what runs and start a new conversation (with this number)">Start over</button>
    </form>
  );
}

function CallControls({ waitingType, waitingProps }: {
  waitingType: string | undefined; waitingProps?: Record<string, unknown>;
}) {
  const busy = useRun((s) => s.busy);
  const rules = keyRules(waitingProps);
  const [digits, setDigits] = useState("");
  const [words, setWords] = useState("");
  if (waitingType === "connect-call-to") {
    return (
      <div className="call-controls">
        <p className="muted small">The flow is connecting the caller to someone. What happens on their side?</p>
        <div className="button-row">
          <button type="button" disabled={busy} onClick={() => act("callback", { DialCallStatus: "completed" })}>They answer, then hang up</button>
          <button type="button" disabled={busy} onClick={() => act("callback", { DialCallStatus: "busy" })}>Busy</button>
          <button type="button" disabled={busy} onClick={() => act("callback", { DialCallStatus: "no-answer" })}>No answer</button>
        </div>
      </div>
    );
  }
  if (waitingType === "send-to-flex" || waitingType === "enqueue-call") {
    return (
      <div className="call-controls" data-testid="agent-side">
        <p className="muted small">The caller waits for an agent. What happens on the agent's side?</p>
        <div className="button-row">
          <button type="button" disabled={busy} onClick={() => act("callback", { QueueResult: "bridged", QueueTime: "30" })}>An agent takes the call</button>
          <button type="button" disabled={busy} onClick={() => act("callback", { QueueResult: "hangup", QueueTime: "45" })}>Caller gives up waiting</button>
          <button type="button" disabled={busy} onClick={() => act("callback", { QueueResult: "error" })}>Cannot be queued</button>
        </div>
      </div>
    );
  }
  if (waitingType === "capture-payments") {
    const pay = (Result: string) => act("callback", Result === "success"
      ? { Result, PaymentCardNumber: "xxxx-xxxx-xxxx-4242", PaymentCardType: "visa", PaymentConfirmationCode: "ch_test" }
      : { Result });
    return (
      <div className="call-controls" data-testid="payment-side">
        <p className="muted small">The flow asks for a card. How does the payment go?</p>
        <div className="button-row">
          <button type="button" disabled={busy} onClick={() => pay("success")}>Pay</button>
          <button type="button" disabled={busy} onClick={() => pay("too-many-failed-attempts")}>Wrong card, too many times</button>
          <button type="button" disabled={busy} onClick={() => pay("caller-interrupted-with-star")}>Press * to stop</button>
          <button type="button" disabled={busy} onClick={() => pay("payment-connector-error")}>Provider error</button>
        </div>
      </div>
    );
  }
  if (waitingType === "connect-virtual-agent" || waitingType === "connect-virtual-agent-v2") {
    const agent = (VirtualAgentStatus: string) => act("callback", { VirtualAgentStatus });
    return (
      <div className="call-controls" data-testid="virtual-agent-side">
        <p className="muted small">The caller talks with the virtual agent. How does it end?</p>
        <div className="button-row">
          <button type="button" disabled={busy} onClick={() => agent("completed")}>The agent is done</button>
          <button type="button" disabled={busy} onClick={() => agent("live-agent-handoff")}>Asks for a person</button>
          <button type="button" disabled={busy} onClick={() => agent("failed")}>The agent fails</button>
        </div>
      </div>
    );
  }
  if (waitingType === "record-voicemail") {
    return (
      <div className="call-controls">
        <p className="muted small">The flow is recording you.</p>
        <div className="button-row">
          <button type="button" disabled={busy} onClick={() => act("callback", { RecordingUrl: "https://example.com/recording.mp3", RecordingDuration: "12", Digits: "#" })}>Leave a 12-second message</button>
          <button type="button" disabled={busy} onClick={() => act("no_input")}>Say nothing</button>
        </div>
      </div>
    );
  }
  return (
    <div className="call-controls">
      <div className="keypad" role="group" aria-label="Keypad">
        {KEYS.map((k) => (
          <button type="button" key={k} disabled={busy} aria-label={`key ${k}`} onClick={() => {
            // As on a phone: the keys go as soon as the question has what it waits for.
            const next = pressKey(digits, k, rules);
            if (next.send) { act("press", next.keys); setDigits(""); } else setDigits(next.keys);
          }}>{k}</button>
        ))}
      </div>
      {waitingType === "gather-input-on-call" && <p className="muted small keypad-hint">{keypadHint(rules)}</p>}
      <form className="composer" onSubmit={(e) => { e.preventDefault(); if (digits) { act("press", digits); setDigits(""); } }}>
        <input value={digits} onChange={(e) => setDigits(e.target.value.replace(/[^0-9*#]/g, ""))} placeholder="Keys" name="digits" aria-label="Keys to press" />
        <button type="submit" className="primary" disabled={busy || !digits}>Press</button>
      </form>
      <form className="composer" onSubmit={(e) => { e.preventDefault(); if (words.trim()) { act("speak", words.trim()); setWords(""); } }}>
        <input value={words} onChange={(e) => setWords(e.target.value)} placeholder="Say something…" name="speech" aria-label="What you say" />
        <button type="submit" className="primary" disabled={busy || !words.trim()}>Say</button>
      </form>
      <button type="button" disabled={busy} onClick={() => act("no_input")} title="Say nothing until the flow stops listening">Stay silent</button>
    </div>
  );
}

function TimeControl() {
  const state = useRun((s) => s.state);
  const busy = useRun((s) => s.busy);
  const [text, setText] = useState("");
  const left = state?.status === "active" ? secondsUntil(state.waiting?.due, state.now) : null;
  const seconds = parseDuration(text);
  return (
    <div className="time-control" data-testid="time-control">
      <span className="time-label">Let time pass</span>
      {left !== null && (
        <button type="button" disabled={busy} onClick={() => act("wait")} data-testid="skip-timeout"
          title="Jump to the moment the flow stops waiting">Skip to the timeout ({durationWords(left)})</button>
      )}
      <form onSubmit={(e) => { e.preventDefault(); if (seconds !== null) { act("wait", seconds); setText(""); } }}>
        <input value={text} onChange={(e) => setText(e.target.value)} placeholder="e.g. 10m" size={6} aria-label="How much time passes" name="wait" />
        <button type="submit" disabled={busy || seconds === null}>Pass</button>
      </form>
    </div>
  );
}

function HttpMocks() {
  const doc = useEditor((s) => s.doc);
  const mocks = useRun((s) => s.state?.mocks ?? NO_MOCKS);
  const widgets = httpWidgets(doc);
  const [drafts, setDrafts] = useState<Record<string, { status: string; body: string }>>({});
  if (!widgets.length) return null;
  return (
    <details className="http-mocks">
      <summary>HTTP requests ({Object.keys(mocks).length ? `${Object.keys(mocks).length} answered here` : "real addresses"})</summary>
      {widgets.map((w) => {
        const mocked = mocks[w];
        const d = drafts[w] ?? { status: String(mocked?.status ?? 200), body: mocked ? (typeof mocked.body === "string" ? mocked.body : JSON.stringify(mocked.body)) : "" };
        const change = (p: Partial<typeof d>) => setDrafts({ ...drafts, [w]: { ...d, ...p } });
        return (
          <div className="mock" key={w} data-widget={w}>
            <div className="mock-head"><b>{w}</b>
              <label className="choice"><input type="radio" checked={!mocked} onChange={() => setMock(w, null)} /> call the real address</label>
              <label className="choice"><input type="radio" checked={!!mocked} onChange={() => setMock(w, d)} /> answer with</label>
            </div>
            <div className="mock-body">
              <label>Status <input value={d.status} onChange={(e) => change({ status: e.target.value })} size={4} name={`status-${w}`} /></label>
              <textarea rows={2} value={d.body} onChange={(e) => change({ body: e.target.value })} placeholder='{"ok": true}' name={`body-${w}`} aria-label={`Answer body for ${w}`} />
              <button type="button" className="small" onClick={() => setMock(w, d)}>Use this answer</button>
            </div>
          </div>
        );
      })}
    </details>
  );
}

export function Phone() {
  const state = useRun((s) => s.state);
  const transcript = useRun((s) => s.transcript);
  const busy = useRun((s) => s.busy);
  const muted = useRun((s) => s.muted);
  const doc = useEditor((s) => s.doc);
  const [text, setText] = useState("");
  const [channel, setChannel] = useState("sms");
  const end = useRef<HTMLDivElement>(null);
  const mode = phoneMode(state);
  const waitingWidget = state?.waiting ? doc?.widgets.find((w) => w.name === state.waiting!.widget) : undefined;
  const waitingType = waitingWidget?.type;

  useEffect(() => { end.current?.scrollIntoView?.({ block: "end" }); }, [transcript.length]);

  const send = (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim()) return;
    const [action, arg] = textAction(channel, text);
    act(action, arg);
    setText("");
  };

  return (
    <div className="phone">
      <ContactBar />
      <div className={"phone-status " + (state?.status ?? "idle")} data-testid="console-status">{statusLine(state)}</div>
      <div className="transcript" data-testid="transcript" aria-live="polite">
        {!transcript.length && (
          <p className="muted small center">Type a message as the contact, or call the flow. It runs your current draft; nothing is sent to a real phone.</p>
        )}
        {transcript.map((item, i) => <Bubble key={i} item={item} />)}
        <div ref={end} />
      </div>
      {mode.inCall ? (
        <div className="call-area">
          <div className="call-head">
            <span className="in-call">● In a call</span>
            <label className="choice small"><input type="checkbox" checked={!muted} onChange={(e) => setMuted(!e.target.checked)} /> speak aloud</label>
            <button type="button" className="danger" disabled={busy} onClick={() => act("hang_up")}>Hang up</button>
          </div>
          {mode.gather ? <CallControls waitingType={waitingType} waitingProps={waitingWidget?.properties} />
            : <p className="muted small">The flow is busy with the call…</p>}
        </div>
      ) : (
        <div className="sms-area">
          <label className="channel-select small">Write as
            <select value={channel} onChange={(e) => setChannel(e.target.value)} name="channel" aria-label="Write on"
              title="SMS to the flow's number, or a message in a Twilio Conversation (WhatsApp, web chat, SMS)">
              {CONVERSATION_CHANNELS.map((c) => <option key={c.value} value={c.value}>{c.label}</option>)}
            </select>
          </label>
          <form className="composer" onSubmit={send}>
            <input value={text} onChange={(e) => setText(e.target.value)} placeholder="Text the flow…" name="message" aria-label="Your message" autoComplete="off" />
            <button type="submit" className="primary" disabled={busy || !text.trim()}>Send</button>
          </form>
          <button type="button" onClick={() => act("call")} disabled={busy} title="Call the flow's number">Call</button>
        </div>
      )}
      <TimeControl />
      <HttpMocks />
    </div>
  );
}
