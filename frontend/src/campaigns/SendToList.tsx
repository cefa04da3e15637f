// "Send to a list": start the flow for every contact of a CSV file or of pasted numbers,
// at a rate, now or later. A preview first (rows, invalid ones and why, skipped ones),
// then the campaign's progress with Pause, Resume and Cancel. Campaigns run on the
// server (flowstudio/campaigns.py): closing this panel or the page does not stop them.
import { useCallback, useEffect, useRef, useState } from "react";
import { campaignsApi, CampaignError, type Campaign, type CampaignInput, type OptOut, type Preview } from "./api";
import { request } from "../console/socket";
import {
  columnsText, MAX_SAMPLE, MAX_TEST_NUMBERS, nextTestNumber, nulProblem, prefill, sampleOf,
  type ListSample, type TestNumber, type TrialInput,
} from "../console/trial";
import { browserCountry, countryOptions, example } from "./countries";
import "./campaigns.css";

const LIVE = new Set(["scheduled", "running", "paused"]);
// Where each field's error is shown: right under the box it is about.
const ERROR_IDS: Record<string, string> = {
  from: "send-from-error", rate: "send-rate-error", start_at: "send-start-error",
  file: "send-list-error", numbers: "send-list-error", contacts: "send-list-error", country: "send-country-error",
};

/** A field's error in the words of the box it is shown under: the API names the field
 *  for scripts ("from '555' needs..."), which the label above already says. */
export function fieldWords(field: string, message: string): string {
  const rest = message.startsWith(field + " ") ? message.slice(field.length + 1) : message;
  const said = rest.replace(/^is required: /, "Required: ");
  return said.charAt(0).toUpperCase() + said.slice(1);
}

/** A row's problem in plain words: the API names the "to" column for scripts
 *  ("to '555' needs...", "to is empty"); the number quoted says enough. */
export function rowWords(error: string): string {
  if (!error.startsWith("to ")) return error;
  const rest = error.slice(3);
  return rest.startsWith("is ") ? "the phone number " + rest : rest;
}
const STATUS_WORDS: Record<Campaign["status"], string> = {
  scheduled: "Scheduled", running: "Sending", paused: "Paused", done: "Finished", cancelled: "Cancelled",
};

function Progress({ flowId, campaign, onChange, onDone }: {
  flowId: string; campaign: Campaign; onChange(c: Campaign): void; onDone(): void;
}) {
  const [error, setError] = useState<string | null>(null);
  // Cancelling cannot be undone, and "Cancel" reads as "close" to some: asked first.
  const [asking, setAsking] = useState(false);
  const done = campaign.started + campaign.skipped + campaign.failed;
  const share = campaign.total ? Math.round((done / campaign.total) * 100) : 100;
  const act = async (what: "pause" | "resume" | "cancel") => {
    try {
      onChange(await campaignsApi.act(flowId, campaign.id, what));
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div className="campaign-progress" data-testid="campaign-progress" data-status={campaign.status}>
      <div className="row-head">
        <b>{STATUS_WORDS[campaign.status]}</b>
        <span className="muted small">{campaign.rate} per second · from {campaign.from}</span>
      </div>
      {campaign.status === "scheduled" && <p className="muted small">Starts {new Date(campaign.start_at).toLocaleString()}</p>}
      <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={campaign.total} aria-valuenow={done}>
        <div className="bar-fill" style={{ width: `${share}%` }} />
      </div>
      <dl className="campaign-counts">
        <div><dt>Started</dt><dd data-testid="count-started">{campaign.started}</dd></div>
        <div><dt>Skipped</dt><dd data-testid="count-skipped">{campaign.skipped}</dd></div>
        <div><dt>Failed</dt><dd data-testid="count-failed">{campaign.failed}</dd></div>
        <div><dt>{campaign.status === "cancelled" ? "Not sent" : "To go"}</dt><dd data-testid="count-pending">{campaign.pending}</dd></div>
      </dl>
      {asking && LIVE.has(campaign.status) ? (
        <div className="confirm-cancel" role="alertdialog" aria-label="Stop sending">
          <p className="small">Stop this send for good? The {campaign.pending} not sent yet will not get it, and it
            cannot be started again (Pause stops it for a while instead).</p>
          <div className="buttons">
            <button type="button" className="danger primary" onClick={() => { setAsking(false); act("cancel"); }}>
              Yes, stop sending</button>
            <button type="button" onClick={() => setAsking(false)}>Keep sending</button>
          </div>
        </div>
      ) : (
      <div className="buttons">
        {(campaign.status === "running" || campaign.status === "scheduled") &&
          <button type="button" onClick={() => act("pause")}>Pause</button>}
        {campaign.status === "paused" && <button type="button" className="primary" onClick={() => act("resume")}>Resume</button>}
        {LIVE.has(campaign.status) && <button type="button" onClick={() => setAsking(true)}>Cancel sending</button>}
        {!LIVE.has(campaign.status) && <button type="button" className="primary" onClick={onDone}>Send to another list</button>}
      </div>
      )}
      {error && <p className="error">{error}</p>}
    </div>
  );
}

function PreviewView({ preview }: { preview: Preview }) {
  // Shown under the form: brought into view, or a click on Preview seems to do nothing.
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => { box.current?.scrollIntoView?.({ block: "start" }); }, [preview]);   // its top: how many, then why not
  return (
    <div className="campaign-preview" data-testid="campaign-preview" ref={box}>
      <p><b>{preview.to_send}</b> {preview.to_send === 1 ? "contact" : "contacts"} will get the flow
        <span className="muted"> · {preview.rows} {preview.rows === 1 ? "row" : "rows"} read</span></p>
      {preview.contacts.length > 0 && (
        <details open={preview.contacts.length <= 10} className="texted-as" data-testid="texted-as">
          <summary>The numbers as they will be texted</summary>
          <ul className="small">{preview.contacts.map((c) => <li key={c.row}>Row {c.row}: {c.shown}</li>)}
            {preview.to_send > preview.contacts.length &&
              <li className="muted">and {preview.to_send - preview.contacts.length} more</li>}</ul>
        </details>
      )}
      {preview.invalid_count > 0 && (
        <details open>
          <summary className="error">{preview.invalid_count} invalid {preview.invalid_count === 1 ? "row" : "rows"} (left out)</summary>
          <ul className="small">{preview.invalid.map((i) => <li key={i.row}>Row {i.row}: {rowWords(i.error)}</li>)}</ul>
        </details>
      )}
      {preview.skipped_count > 0 && (
        <details>
          <summary>{preview.skipped_count} skipped</summary>
          <ul className="small">{preview.skipped.map((s) => <li key={s.row}>Row {s.row} ({s.to}): {s.reason}</li>)}</ul>
        </details>
      )}
    </div>
  );
}

/** The list's first rows, read by the server as the campaign would read them. */
async function listSample(input: CampaignInput): Promise<ListSample> {
  let sample: { text: string; partial: boolean };
  let kind: "csv" | "numbers";
  if (input.file) {
    kind = "csv";
    const head = await input.file.slice(0, MAX_SAMPLE).text();
    sample = sampleOf(head, kind, MAX_SAMPLE, input.file.size > MAX_SAMPLE);
  } else {
    kind = "numbers";
    sample = sampleOf(input.numbers ?? "", kind);
  }
  const nul = nulProblem(sample.text, kind === "csv" ? "The CSV file" : "The pasted numbers");
  if (nul) throw new Error(nul);
  return request<ListSample>("console:trial_rows", { [kind]: sample.text, partial: sample.partial,
    ...(input.country ? { country: input.country } : {}) });
}

/** Pick a few test numbers (the list's first rows, editable) and try the flow with them
 *  in the test console: nothing is sent. */
function TryPicker({ input, onTry, onCancel }: { input: CampaignInput; onTry(t: TrialInput): void; onCancel(): void }) {
  const [sample, setSample] = useState<ListSample | null>(null);
  const [picked, setPicked] = useState<TestNumber[]>([]);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => { box.current?.scrollIntoView?.({ block: "nearest" }); }, [sample]);
  useEffect(() => {
    let live = true;
    listSample(input).then((s) => {
      if (!live) return;
      setSample(s);
      setPicked(s.rows.length ? prefill(s) : [{ to: "", row: null, parameters: {} }]);
      if (!s.rows.length) setError("No valid number in the first rows of your list: type a test number.");
    }).catch((e) => live && setError((e as Error).message));
    return () => { live = false; };
  }, [input.file, input.numbers, input.country]);
  const change = (i: number, to: string) => setPicked(picked.map((p, j) => (j === i ? { ...p, to } : p)));
  const next = nextTestNumber(picked, sample);
  const ready = picked.length > 0 && picked.every((p) => p.to.trim());
  return (
    <div className="try-picker" data-testid="try-picker" ref={box}>
      <h3>Try with test numbers: nothing is sent</h3>
      <p className="muted small">Each test number gets the flow in the test console, the way the list would: the same
        start, the columns of its row. You see what each one would receive, and can reply as them. No message leaves
        FlowStudio, and nothing is added to your sends.</p>
      {!sample && !error && <p className="muted small">Reading the first rows of your list…</p>}
      {sample && (
        <ol className="try-numbers">
          {picked.map((p, i) => (
            <li key={i}>
              <div className="try-number">
                <input value={p.to} onChange={(e) => change(i, e.target.value)} aria-label={`Test number ${i + 1}`}
                  name={`test-number-${i + 1}`} placeholder="+15555550142" maxLength={64} />
                <button type="button" className="icon" aria-label={`Remove test number ${i + 1}`} title="Remove"
                  onClick={() => setPicked(picked.filter((_, j) => j !== i))}>×</button>
              </div>
              <span className="muted small">{p.row ? `Row ${p.row}` : "No row"}{Object.keys(p.parameters).length
                ? `: ${columnsText(p.parameters)}` : ": no columns"}</span>
            </li>
          ))}
        </ol>
      )}
      {sample && sample.invalid_count > 0 && (
        <p className="muted small">{sample.invalid_count} of the first rows {sample.invalid_count === 1 ? "is" : "are"} invalid
          and left out{sample.invalid[0] ? ` (row ${sample.invalid[0].row}: ${sample.invalid[0].error})` : ""}.</p>
      )}
      {error && <p className="error" role="alert">{error}</p>}
      <div className="buttons">
        {sample && next && <button type="button" onClick={() => setPicked([...picked, next])}>+ Add a test number</button>}
        {sample && !next && <span className="muted small">At most {MAX_TEST_NUMBERS} test numbers</span>}
      </div>
      <div className="buttons">
        <button type="button" className="primary" disabled={!ready}
          onClick={() => onTry({ from: input.from.trim(), contacts: picked.map((p) => ({ ...p, to: p.to.trim() })),
            ...(input.country ? { country: input.country } : {}) })}>
          Try in the test console</button>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
    </div>
  );
}

/** "Numbers without + are in": the country of the list's numbers written as people
 *  write them at home ("(212) 555-0142"); the common countries first, then all. */
function CountrySelect({ value, onChange, marks }: {
  value: string; onChange(country: string): void; marks: Record<string, unknown>;
}) {
  const [options] = useState(() => countryOptions());
  return (
    <label className="field">Numbers without + are in
      <select name="country" value={value} onChange={(e) => onChange(e.target.value)} {...marks}>
        <option value="">No country: every number starts with + and its country code</option>
        <optgroup label="Common">
          {options.common.map((c) => <option key={c.code} value={c.code}>{c.name}</option>)}
        </optgroup>
        <optgroup label="All countries">
          {options.all.map((c) => <option key={c.code} value={c.code}>{c.name}</option>)}
        </optgroup>
      </select>
      <span className="muted small hint">{value ? <>
        Numbers written the local way{example(value)
          ? <>, like <span className="nowrap">{example(value)}</span>,</> : " (without +)"} get this country's
        code. Numbers starting with + keep their own.</> : "Every number needs + and its country code, like +12125550142."}
      </span>
    </label>
  );
}

export function SendToList({ flowId, onClose, onTry, hidden = false }: {
  flowId: string; onClose(): void; onTry?(t: TrialInput): void; hidden?: boolean;
}) {
  const [input, setInput] = useState<CampaignInput>(
    { file: null, numbers: "", from: "", rate: "1", start_at: "", country: browserCountry() ?? "" });
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<{ message: string; field?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [campaigns, setCampaigns] = useState<Campaign[]>([]);
  const [optouts, setOptouts] = useState<OptOut[]>([]);
  const [optoutTotal, setOptoutTotal] = useState(0);
  const [trying, setTrying] = useState(false);
  const current = campaigns.find((c) => LIVE.has(c.status)) ?? null;
  // The send watched here stays on screen once it is over (finished or cancelled), with its
  // counts, until "Send to another list": it used to vanish into "Earlier sends", closed,
  // and whoever watched it could not tell whether it had worked.
  const [watched, setWatched] = useState<string | null>(null);
  useEffect(() => { if (current) setWatched(current.id); }, [current?.id]);
  const shown = current ?? campaigns.find((c) => c.id === watched) ?? null;
  const earlier = campaigns.filter((c) => c !== shown);

  const load = useCallback(async () => {
    try {
      setCampaigns((await campaignsApi.list(flowId)).campaigns);
    } catch (e) {
      setError({ message: (e as Error).message });
    }
  }, [flowId]);
  useEffect(() => {
    load();
    campaignsApi.optouts().then((o) => { setOptouts(o.optouts); setOptoutTotal(o.total); }).catch(() => undefined);
  }, [load]);
  // While a campaign sends, its counts are fetched every second.
  useEffect(() => {
    if (!current) return;
    const timer = setInterval(load, 1000);
    return () => clearInterval(timer);
  }, [current?.id, load]);

  const change = (patch: Partial<CampaignInput>) => {
    setInput((i) => ({ ...i, ...patch }));
    setPreview(null);
    setError(null);   // what it said was about the value just changed, or is now stale
    if ("file" in patch || "numbers" in patch || "country" in patch) setTrying(false);
  };
  const run = async (send: boolean) => {
    setBusy(true);
    setError(null);
    try {
      if (send) {
        await campaignsApi.create(flowId, input);
        setPreview(null);
        setInput((i) => ({ ...i, file: null, numbers: "" }));
        await load();
      } else {
        setPreview(await campaignsApi.preview(flowId, input));
      }
    } catch (e) {
      setError({ message: (e as Error).message, field: e instanceof CampaignError ? e.field : undefined });
    } finally {
      setBusy(false);
    }
  };
  const replace = (c: Campaign) => setCampaigns((all) => all.map((x) => (x.id === c.id ? c : x)));
  const hasList = !!input.file || !!input.numbers?.trim();
  const errorId = error?.field ? ERROR_IDS[error.field] : undefined;
  /** The error of a box, under it, and the attributes tying the box to it. */
  const mistake = (id: string) => (errorId === id && error
    ? <p className="field-error" id={id} role="alert">{fieldWords(error.field!, error.message)}</p> : null);
  const marks = (id: string) => (errorId === id ? { "aria-invalid": true, "aria-describedby": id } : {});

  return (
    <section className="panel send-to-list" aria-label="Send to a list" hidden={hidden}>
      <header><h2>Send to a list</h2><button type="button" className="link" onClick={onClose}>Close</button></header>
      <div className="pad scroll">
        {shown ? <Progress flowId={flowId} campaign={shown} onChange={replace} onDone={() => setWatched(null)} /> : (
          <form onSubmit={(e) => { e.preventDefault(); run(!!preview); }}>
            {/* In the words of someone who did not build the flow; the details in the tooltip. */}
            <p className="muted small" title="As if started through the REST API: the columns become flow.data.<column>">
              Everyone on the list gets this flow's published version, one after the other. The other columns of
              your file (a first name, an appointment time…) can fill in the messages.</p>
            <label className="field"><span>A CSV file (a spreadsheet saved as CSV) with the phone numbers in a column
              named <code>to</code></span>
              <input type="file" accept=".csv,text/csv" name="file" {...marks("send-list-error")}
                onChange={(e) => change({ file: e.target.files?.[0] ?? null })} />
            </label>
            <label className="field">or numbers, one per line
              <textarea name="numbers" rows={3} value={input.numbers} disabled={!!input.file}
                placeholder={"+15555550142\nwhatsapp:+15555550143"} onChange={(e) => change({ numbers: e.target.value })} />
            </label>
            {mistake("send-list-error")}
            <CountrySelect value={input.country} marks={marks("send-country-error")}
              onChange={(country) => change({ country })} />
            {mistake("send-country-error")}
            <label className="field">Send from (your Twilio number)
              <input name="from" value={input.from} placeholder="+15555550100" {...marks("send-from-error")}
                onChange={(e) => change({ from: e.target.value })} />
              {mistake("send-from-error")}
            </label>
            <div className="field-row">
              <label className="field">Messages per second
                <input name="rate" type="number" min="0.01" step="any" value={input.rate} {...marks("send-rate-error")}
                  onChange={(e) => change({ rate: e.target.value })} />
                {mistake("send-rate-error")}
              </label>
              <label className="field">Start at (optional)
                <input name="start_at" type="datetime-local" value={input.start_at} {...marks("send-start-error")}
                  onChange={(e) => change({ start_at: e.target.value })} />
                {mistake("send-start-error")}
              </label>
            </div>
            <p className="muted small" title="1 per second from a long-code number; more needs a short code or a messaging service">
              An ordinary phone number sends about 1 message per second: leave 1 unless Twilio gave you a faster one.</p>
            {preview && <PreviewView preview={preview} />}
            {error && !errorId && <p className="error" role="alert">{error.message}</p>}
            {trying && onTry && <TryPicker input={input} onTry={onTry} onCancel={() => setTrying(false)} />}
            <div className="buttons">
              {!preview && <button type="submit" className="primary" disabled={busy || !hasList}>Preview</button>}
              {preview && <button type="button" onClick={() => setPreview(null)}>Change</button>}
              {preview && <button type="submit" className="primary" disabled={busy || preview.to_send === 0}>
                Send to {preview.to_send} {preview.to_send === 1 ? "contact" : "contacts"}</button>}
              {onTry && !trying && <button type="button" disabled={!hasList} onClick={() => setTrying(true)}
                title="Start the flow for a few test numbers in the test console, as the list would: nothing is sent">
                Try with test numbers</button>}
            </div>
          </form>
        )}
        {earlier.length > 0 && (
          <details className="past-campaigns">
            <summary>Earlier sends ({earlier.length})</summary>
            <ul className="small">
              {earlier.map((c) => (
                <li key={c.id}>{new Date(c.created_at).toLocaleString()}: {STATUS_WORDS[c.status]}, {c.started} started,
                  {" "}{c.skipped} skipped, {c.failed} failed{c.pending ? `, ${c.pending} not sent` : ""}</li>
              ))}
            </ul>
          </details>
        )}
        <details className="optouts">
          <summary>Opted out ({optoutTotal.toLocaleString()})</summary>
          <p className="muted small">People who texted STOP (or STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT) to any flow are
            skipped until they text START, UNSTOP or YES.</p>
          <ul className="small">{optouts.map((o) => <li key={o.address}>{o.address} ({o.keyword}, {new Date(o.created_at).toLocaleDateString()})</li>)}</ul>
          {optoutTotal > optouts.length && (
            <p className="muted small" data-testid="optouts-more">The newest {optouts.length.toLocaleString()} are listed here.</p>
          )}
        </details>
      </div>
    </section>
  );
}
