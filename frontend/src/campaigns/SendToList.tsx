// "Send to a list": start the flow for every contact of a CSV file or of pasted numbers,
// at a rate, now or later. A preview first (rows, invalid ones and why, skipped ones),
// then the campaign's progress with Pause, Resume and Cancel. Campaigns run on the
// server (flowstudio/campaigns.py): closing this panel or the page does not stop them.
import { useCallback, useEffect, useState } from "react";
import { campaignsApi, CampaignError, type Campaign, type CampaignInput, type OptOut, type Preview } from "./api";
import "./campaigns.css";

const LIVE = new Set(["scheduled", "running", "paused"]);
const STATUS_WORDS: Record<Campaign["status"], string> = {
  scheduled: "Scheduled", running: "Sending", paused: "Paused", done: "Finished", cancelled: "Cancelled",
};

function Progress({ flowId, campaign, onChange }: { flowId: string; campaign: Campaign; onChange(c: Campaign): void }) {
  const [error, setError] = useState<string | null>(null);
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
        <div><dt>To go</dt><dd data-testid="count-pending">{campaign.pending}</dd></div>
      </dl>
      <div className="buttons">
        {(campaign.status === "running" || campaign.status === "scheduled") &&
          <button type="button" onClick={() => act("pause")}>Pause</button>}
        {campaign.status === "paused" && <button type="button" className="primary" onClick={() => act("resume")}>Resume</button>}
        {LIVE.has(campaign.status) && <button type="button" onClick={() => act("cancel")}>Cancel sending</button>}
      </div>
      {error && <p className="error">{error}</p>}
    </div>
  );
}

function PreviewView({ preview }: { preview: Preview }) {
  return (
    <div className="campaign-preview" data-testid="campaign-preview">
      <p><b>{preview.to_send}</b> {preview.to_send === 1 ? "contact" : "contacts"} will get the flow
        <span className="muted"> · {preview.rows} rows read</span></p>
      {preview.invalid_count > 0 && (
        <details open>
          <summary className="error">{preview.invalid_count} invalid {preview.invalid_count === 1 ? "row" : "rows"} (left out)</summary>
          <ul className="small">{preview.invalid.map((i) => <li key={i.row}>Row {i.row}: {i.error}</li>)}</ul>
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

export function SendToList({ flowId, onClose }: { flowId: string; onClose(): void }) {
  const [input, setInput] = useState<CampaignInput>({ file: null, numbers: "", from: "", rate: "1", start_at: "" });
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<{ message: string; field?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [campaigns, setCampaigns] = useState<Campaign[]>([]);
  const [optouts, setOptouts] = useState<OptOut[]>([]);
  const current = campaigns.find((c) => LIVE.has(c.status)) ?? null;

  const load = useCallback(async () => {
    try {
      setCampaigns((await campaignsApi.list(flowId)).campaigns);
    } catch (e) {
      setError({ message: (e as Error).message });
    }
  }, [flowId]);
  useEffect(() => {
    load();
    campaignsApi.optouts().then((o) => setOptouts(o.optouts)).catch(() => undefined);
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

  return (
    <section className="panel send-to-list" aria-label="Send to a list">
      <header><h2>Send to a list</h2><button type="button" className="link" onClick={onClose}>Close</button></header>
      <div className="pad scroll">
        {current ? <Progress flowId={flowId} campaign={current} onChange={replace} /> : (
          <form onSubmit={(e) => { e.preventDefault(); run(!!preview); }}>
            <p className="muted small">Each contact gets this flow's published version, as if started through the
              REST API: the columns of the file become <code>flow.data.&lt;column&gt;</code>.</p>
            <label className="field"><span>A CSV file with a <code>to</code> column (the other columns are kept for the flow)</span>
              <input type="file" accept=".csv,text/csv" name="file"
                onChange={(e) => change({ file: e.target.files?.[0] ?? null })} />
            </label>
            <label className="field">or numbers, one per line
              <textarea name="numbers" rows={3} value={input.numbers} disabled={!!input.file}
                placeholder={"+15555550142\nwhatsapp:+15555550143"} onChange={(e) => change({ numbers: e.target.value })} />
            </label>
            <label className="field">Send from (your Twilio number)
              <input name="from" value={input.from} placeholder="+15555550100" onChange={(e) => change({ from: e.target.value })} />
            </label>
            <div className="field-row">
              <label className="field">Messages per second
                <input name="rate" type="number" min="0.01" step="any" value={input.rate} onChange={(e) => change({ rate: e.target.value })} />
              </label>
              <label className="field">Start at (optional)
                <input name="start_at" type="datetime-local" value={input.start_at} onChange={(e) => change({ start_at: e.target.value })} />
              </label>
            </div>
            <p className="muted small">Twilio sends 1 message per second from a long-code number; more needs a short code or a messaging service.</p>
            {preview && <PreviewView preview={preview} />}
            {error && <p className="error" role="alert">{error.message}</p>}
            <div className="buttons">
              {!preview && <button type="submit" className="primary" disabled={busy || !hasList}>Preview</button>}
              {preview && <button type="button" onClick={() => setPreview(null)}>Change</button>}
              {preview && <button type="submit" className="primary" disabled={busy || preview.to_send === 0}>
                Send to {preview.to_send} {preview.to_send === 1 ? "contact" : "contacts"}</button>}
            </div>
          </form>
        )}
        {campaigns.filter((c) => c !== current).length > 0 && (
          <details className="past-campaigns">
            <summary>Earlier sends ({campaigns.filter((c) => c !== current).length})</summary>
            <ul className="small">
              {campaigns.filter((c) => c !== current).map((c) => (
                <li key={c.id}>{new Date(c.created_at).toLocaleString()}: {STATUS_WORDS[c.status]}, {c.started} started,
                  {" "}{c.skipped} skipped, {c.failed} failed{c.pending ? `, ${c.pending} not sent` : ""}</li>
              ))}
            </ul>
          </details>
        )}
        <details className="optouts">
          <summary>Opted out ({optouts.length})</summary>
          <p className="muted small">People who texted STOP (or STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT) to any flow are
            skipped until they text START, UNSTOP or YES.</p>
          <ul className="small">{optouts.map((o) => <li key={o.address}>{o.address} ({o.keyword}, {new Date(o.created_at).toLocaleDateString()})</li>)}</ul>
        </details>
      </div>
    </section>
  );
}
