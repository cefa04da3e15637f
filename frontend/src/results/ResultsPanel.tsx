// "Results": what happened to the executions started in a time range (flowstudio/stats.py):
// the funnel at the top, counts on the canvas (ResultsOverlay) and per widget here;
// clicking a count lists those executions, and one opens in the existing replay.
import { useEffect, useRef, useState } from "react";
import { create } from "zustand";
import { campaignsApi, type FlowStats, type StatsExecution } from "../campaigns/api";
import { executionsApi } from "../console/api";
import { setTab, startReplay, useRun } from "../console/store";
import "../campaigns/campaigns.css";
import "./results.css";
import { useEditor } from "../store/editor";

type Range = "today" | "7d" | "30d" | "custom";
// An execution's status in the funnel's words (Studio's "ended", "active" mean nothing to most).
const STATUS_WORDS: Record<string, string> = { ended: "finished", active: "still waiting", expired: "expired", failed: "failed" };

/** The counts shown on the canvas while the Results view is open (null: closed). */
export const useResults = create<{ stats: FlowStats | null; pick: ((q: Record<string, string>, what: string) => void) | null }>(
  () => ({ stats: null, pick: null }));

function bounds(range: Range, from: string, to: string): [string, string] {
  const now = new Date();
  const end = new Date(now.getTime() + 1000);
  if (range === "today") {
    const start = new Date(now);
    start.setHours(0, 0, 0, 0);
    return [start.toISOString(), end.toISOString()];
  }
  if (range === "custom") {
    const a = from ? new Date(from) : new Date(now.getTime() - 7 * 86400e3);
    const b = to ? new Date(new Date(to).getTime() + 86400e3) : end;   // the "to" day included
    return [a.toISOString(), b.toISOString()];
  }
  const days = range === "7d" ? 7 : 30;
  return [new Date(now.getTime() - days * 86400e3).toISOString(), end.toISOString()];
}

export function ResultsPanel({ flowId, onClose, onReplay, hidden = false }: {
  flowId: string; onClose(): void; onReplay(): void; hidden?: boolean;
}) {
  const [range, setRange] = useState<Range>("7d");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const stats = useResults((s) => s.stats);
  const [error, setError] = useState<string | null>(null);
  const [listing, setListing] = useState<{ what: string; executions: StatsExecution[]; more: boolean } | null>(null);
  const [lo, hi] = bounds(range, from, to);
  // A count clicked on the canvas lists them under the table, often below the fold: into view.
  const listed = useRef<HTMLDivElement>(null);
  useEffect(() => { listed.current?.scrollIntoView?.({ block: "nearest" }); }, [listing]);

  useEffect(() => {
    let live = true;
    const load = () => campaignsApi.stats(flowId, lo, hi).then((s) => {
      if (live) { useResults.setState({ stats: s }); setError(null); }
    }).catch((e) => live && setError((e as Error).message));
    load();
    const timer = setInterval(load, 10_000);   // new conversations show up while it is open
    return () => { live = false; clearInterval(timer); };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [flowId, range, from, to]);

  useEffect(() => {
    useResults.setState({
      pick: (query, what) => {
        campaignsApi.statsExecutions(flowId, { ...query, from: lo, to: hi })
          .then((r) => setListing({ what, executions: r.executions, more: r.more }))
          .catch((e) => setError((e as Error).message));
      },
    });
  }, [flowId, lo, hi]);
  useEffect(() => () => useResults.setState({ stats: null, pick: null }), []);

  const replay = async (id: string) => {
    try {
      onReplay();   // opens the test console, whose Executions tab shows the replay
      const detail = await executionsApi.get(flowId, id);
      // The console resets itself when it opens: replay once it has.
      for (let i = 0; i < 50 && !(useRun.getState().open && useRun.getState().flow === flowId); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      startReplay(detail);
      setTab("executions");
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const e = stats?.executions;
  const pick = useResults((s) => s.pick);
  const doc = useEditor((s) => s.doc);
  const names = new Set(doc?.widgets.map((w) => w.name) ?? []);   // not Studio's "Ended"
  return (
    <section className="panel results" aria-label="Results" hidden={hidden}>
      <header><h2>Results</h2><button type="button" className="link" onClick={onClose}>Close</button></header>
      <div className="pad scroll">
        <div className="range-tabs" role="tablist">
          {([["today", "Today"], ["7d", "7 days"], ["30d", "30 days"], ["custom", "Custom"]] as [Range, string][]).map(([id, label]) => (
            <button key={id} type="button" role="tab" aria-selected={range === id} className={range === id ? "active" : ""}
              onClick={() => setRange(id)}>{label}</button>
          ))}
        </div>
        {range === "custom" && (
          <div className="field-row">
            <label className="field">From <input type="date" value={from} onChange={(ev) => setFrom(ev.target.value)} name="from" /></label>
            <label className="field">To <input type="date" value={to} onChange={(ev) => setTo(ev.target.value)} name="to" /></label>
          </div>
        )}
        {error && <p className="error">{error}</p>}
        {e && (
          <div className="funnel" data-testid="funnel">
            <div className="funnel-total"><b data-testid="started">{e.started}</b> started</div>
            <div className="bar stacked" aria-hidden="true">
              {(["ended", "expired", "failed", "active"] as const).map((k) => (
                <div key={k} className={"seg " + k} style={{ width: `${e.started ? (e[k] / e.started) * 100 : 0}%` }} />
              ))}
            </div>
            <ul className="legend">
              <li><span className="swatch ended" />{e.ended} finished</li>
              <li><span className="swatch active" />{e.active} still waiting</li>
              <li><span className="swatch expired" />{e.expired} expired</li>
              <li><span className="swatch failed" />{e.failed} failed</li>
            </ul>
          </div>
        )}
        <a className="button" href={campaignsApi.csvUrl(flowId, lo, hi)} download data-testid="download-csv">Download CSV</a>
        <p className="muted small" data-testid="csv-help">A spreadsheet with a row for each conversation: who, when, where
          it stopped, and what people replied (the answers of a survey).</p>
        <p className="muted small">The numbers on the canvas count the conversations that started in this range: how many
          entered each widget, stopped there, and took each connection. Click one to see who.</p>
        {/* Tries on the test phone are left out (they would skew the counts): say so, above all when
            they are all someone has had yet and Results shows nothing. */}
        <p className={e && !e.started ? "note" : "muted small"} data-testid="results-not-tests">
          {e && !e.started ? "Nothing started in this range yet. " : ""}Conversations on the ▶ Test phone are not counted here:
          only texts and calls from real phones, and sends to a list.</p>
        {stats && stats.widgets.length > 0 && (
          <table className="widget-counts">
            <thead><tr><th>Widget</th><th>Entered</th><th>Stopped here</th></tr></thead>
            <tbody>
              {stats.widgets.filter((w) => names.has(w.name)).map((w) => (
                <tr key={w.name}>
                  <td>{w.name}</td>
                  <td><button type="button" className="link" onClick={() => pick?.({ widget: w.name }, `Entered ${w.name}`)}>{w.entered}</button></td>
                  <td><button type="button" className="link" onClick={() => pick?.({ widget: w.name, stopped: "any" }, `Stopped at ${w.name}`)}>{w.stopped_here}</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {listing && (
          <div className="listing" data-testid="results-listing" ref={listed}>
            <div className="row-head"><b>{listing.what}</b><button type="button" className="link small" onClick={() => setListing(null)}>Close</button></div>
            {listing.executions.length === 0 && <p className="muted">None.</p>}
            <ul>
              {listing.executions.map((x) => (
                <li key={x.id}>
                  <button type="button" className="link" onClick={() => replay(x.id)} title="Replay on the canvas">{x.contact}</button>
                  <span className="muted small"> {STATUS_WORDS[x.status] ?? x.status} · {new Date(x.started).toLocaleString()}{x.last_widget ? ` · at ${x.last_widget}` : ""}</span>
                </li>
              ))}
            </ul>
            {listing.more && (
              <p className="muted small" data-testid="results-listing-more">
                These are the first {listing.executions.length}. Download CSV has every one of them.
              </p>
            )}
          </div>
        )}
      </div>
    </section>
  );
}
