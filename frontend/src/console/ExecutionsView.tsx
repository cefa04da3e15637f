// Recent executions of the flow, from phones and from consoles, kept fresh by the live
// events of the flow's room; open one to replay its path on the canvas step by step, or
// end an active one.
import { useCallback, useEffect, useState } from "react";
import { timeAgo } from "../ui/time";
import { executionsApi, type ExecutionSummary } from "./api";
import { ContextView } from "./ContextView";
import { eventLabel } from "./model";
import { useEditor } from "../store/editor";
import { replayTo, startReplay, stopReplay, useRun } from "./store";

function Replay() {
  const replay = useRun((s) => s.replay)!;
  const { execution, index } = replay;
  const doc = useEditor((s) => s.doc);
  const catalog = useEditor((s) => s.catalog);
  const step = execution.steps[index];
  if (!execution.steps.length) {
    return <p className="muted pad">This execution has no steps yet.</p>;
  }
  return (
    <div className="replay" data-testid="replay">
      <div className="row-head">
        <b>Replaying {execution.source === "console" ? "a console run" : `a conversation with ${execution.contact}`}</b>
        <button type="button" className="link small" onClick={stopReplay}>Close</button>
      </div>
      <div className="replay-controls">
        <button type="button" onClick={() => replayTo(index - 1)} disabled={index === 0} aria-label="Previous step">◀</button>
        <span data-testid="replay-position">Step {index + 1} of {execution.steps.length}</span>
        <button type="button" onClick={() => replayTo(index + 1)} disabled={index >= execution.steps.length - 1} aria-label="Next step">▶</button>
      </div>
      <p className="replay-step"><b>{step.from}</b> → <b>{step.to ?? "end"}</b> <span className="log-event">{eventLabel(step.event, doc?.widgets.find((w) => w.name === step.from)?.type, catalog)}</span></p>
      <ContextView context={step.context} title="What the flow knew at this step" />
    </div>
  );
}

export function ExecutionsView() {
  const flow = useRun((s) => s.flow);
  const tick = useRun((s) => s.liveTick);
  const replaying = useRun((s) => !!s.replay);
  const [list, setList] = useState<ExecutionSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    if (!flow) return;
    try {
      setList((await executionsApi.list(flow)).executions);
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [flow]);

  useEffect(() => {
    const t = setTimeout(load, tick ? 300 : 0); // live events come in bursts: reload once
    return () => clearTimeout(t);
  }, [load, tick]);

  const open = async (id: string) => {
    try {
      startReplay(await executionsApi.get(flow!, id));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const end = async (id: string) => {
    try {
      await executionsApi.end(flow!, id);
    } catch (e) {
      setError((e as Error).message);
    }
    load();
  };

  return (
    <div className="executions">
      {error && <p className="error pad">{error}</p>}
      {replaying && <Replay />}
      {list && !list.length && <p className="muted pad">No executions yet. Texts and calls to this flow show up here as they happen.</p>}
      <ul className="exec-list" data-testid="executions">
        {list?.map((e) => (
          <li key={e.id} className="exec" data-status={e.status} data-source={e.source}>
            <div className="exec-main">
              <span className={"pill " + (e.status === "active" ? "draft" : e.status === "failed" ? "bad" : "ok")}>{e.status}</span>
              <span className={"source " + e.source}>{e.source === "console" ? "Test" : "Phone"}</span>
              <span className="exec-contact">{e.contact}</span>
              <span className="muted small">{timeAgo(e.created_at)}</span>
            </div>
            <div className="exec-sub muted small">
              {e.status === "active" && e.waiting ? `waiting at ${e.waiting.widget}` : e.ended_reason ?? ""}
            </div>
            <div className="exec-actions">
              <button type="button" className="small" onClick={() => open(e.id)}>Replay</button>
              {e.status === "active" && <button type="button" className="small danger" onClick={() => end(e.id)}>End</button>}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
