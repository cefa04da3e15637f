// The home page: every flow, whether it is ready, its webhook URL, and create / rename /
// duplicate / delete.
import { useCallback, useEffect, useState } from "react";
import { api, type FlowSummary, type IgnoredFile } from "../api/client";
import { problemsLabel } from "../core/issues";
import { CopyButton } from "../ui/CopyButton";
import { Dialog } from "../ui/Dialog";
import { LocalAddressNote, unreachableByTwilio } from "../ui/webhook";
import { byWhom } from "../ui/authors";

/** A flow id from what people type as a name: "Appointment reminder" -> "appointment-reminder". */
export function idFromName(name: string): string {
  return name.trim().toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "");
}

type Example = { id: string; name: string; description?: string };

/** What a flow starts from: "" (blank), an example's id, or IMPORT (a Studio export). */
const IMPORT = "studio-import";

/** The definition in a file exported from Twilio Studio, or what is wrong with the file. */
export function readStudioFile(fileName: string, text: string): { definition: unknown } | { error: string } {
  let definition: unknown;
  try {
    definition = JSON.parse(text);
  } catch {
    return { error: `${fileName} is not a flow exported from Twilio Studio: it is not a JSON file.` };
  }
  // The definition itself, the REST API's Flow holding it, or the twilio CLI's list of that Flow.
  const one = Array.isArray(definition) && definition.length === 1 ? definition[0] : definition;
  const d = one as { states?: unknown; definition?: { states?: unknown } } | null;
  const states = d && typeof d === "object" && !Array.isArray(d) ? d.states ?? d.definition?.states : undefined;
  if (!Array.isArray(states)) {
    return { error: `${fileName} is not a flow exported from Twilio Studio: it has no widgets ("states").` };
  }
  return { definition };
}

function NewFlowDialog({ examples, onClose, onCreated }: { examples: Example[]; onClose(): void; onCreated(id: string): void }) {
  const [name, setName] = useState("");
  const [example, setExample] = useState("");
  const [studio, setStudio] = useState<{ file: string; definition: unknown } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const id = idFromName(name);
  const importing = example === IMPORT;
  const pick = async (file: File | undefined) => {
    setStudio(null);
    setError(null);
    if (!file) return;
    const read = readStudioFile(file.name, await file.text());
    if ("error" in read) return setError(read.error);
    setStudio({ file: file.name, definition: read.definition });
    if (!name) setName(file.name.replace(/\.json$/i, ""));
  };
  const submit = async () => {
    if (!id) return setError("Give the flow a name.");
    if (importing && !studio) return setError("Choose the file exported from Twilio Studio.");
    try {
      const from = importing ? { studio: studio!.definition } : example ? { example } : {};
      await api.createFlow({ id, name: name.trim(), ...from });
      onCreated(id);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <Dialog title="New flow" onClose={onClose}>
      <form onSubmit={(e) => { e.preventDefault(); submit(); }}>
        <label className="field">Name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Appointment reminder" name="flow-name" />
        </label>
        {name.trim() && <AddressNote id={id} />}
        <fieldset className="field">
          <legend>Start from</legend>
          <label className="choice"><input type="radio" name="start" checked={!example} onChange={() => setExample("")} /> A blank flow</label>
          {examples.map((x) => (
            <label key={x.id} className="choice" title={x.description}>
              <input type="radio" name="start" checked={example === x.id} onChange={() => setExample(x.id)} /> Example: {x.name}
            </label>
          ))}
          <label className="choice">
            <input type="radio" name="start" checked={importing}
              onChange={() => { setExample(IMPORT); setError(null); }} />
            A flow from Twilio Studio (a file saved with Studio's Export to JSON)
          </label>
        </fieldset>
        {importing && (
          <div className="field">
            <label htmlFor="studio-file">File exported from Twilio Studio</label>
            <input id="studio-file" type="file" accept=".json,application/json"
              onChange={(e) => pick(e.target.files?.[0])} />
            <p className="muted small">
              {studio ? <>Ready to import <b>{studio.file}</b>. </> : null}
              The flow opens as a draft: check it, try it with Test, then Publish it. Until it is
              published, texts and calls to its webhook URL are not answered.
            </p>
          </div>
        )}
        {error && <p className="error" role="alert">{error}</p>}
        <div className="buttons">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary">{importing ? "Import flow" : "Create flow"}</button>
        </div>
      </form>
    </Dialog>
  );
}

/** Under a name being typed: the id made from it, which is the webhook URL's end (and the
 * file's name). The name itself is kept as typed. */
function AddressNote({ id }: { id: string }) {
  return id
    ? <p className="muted small">Its webhook URL will end in <code>/webhooks/{id}</code> (the file: {id}.yaml)</p>
    : <p className="muted small">Use at least one letter or digit: the webhook URL is made from the name.</p>;
}

function RenameDialog({ flow, all, onClose, onDone }: { flow: FlowSummary; all: FlowSummary[]; onClose(): void; onDone(): void }) {
  const [name, setName] = useState(flow.name || flow.id);
  const [moveUrl, setMoveUrl] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = idFromName(name);
  // The webhook URL is the flow's id: a new name keeps it (phones pointed at it still reach
  // the flow) unless asked to change it too, which says first what that breaks.
  const canMove = !!id && id !== flow.id;
  const moving = canMove && moveUrl;
  return (
    <Dialog title={`Rename "${flow.name || flow.id}"`} onClose={onClose}>
      <form onSubmit={async (e) => {
        e.preventDefault();
        if (!name.trim()) return setError("Give the flow a name.");
        try {
          if (moving || name.trim() !== flow.name) await api.rename(flow.id, { name: name.trim(), ...(moving ? { id } : {}) });
          onDone();
        } catch (err) { setError((err as Error).message); }
      }}>
        <label className="field">Name<input value={name} onChange={(e) => setName(e.target.value)} name="flow-name" /></label>
        {!moving && <p className="muted small">The webhook URL stays <code>{flow.webhook_url}</code>, so phone numbers that point at it keep working.</p>}
        {canMove && (
          <label className="choice">
            <input type="checkbox" checked={moveUrl} onChange={(e) => setMoveUrl(e.target.checked)} />
            <span>Change the webhook URL to match the name: <code>/webhooks/{id}</code></span>
          </label>
        )}
        {moving && <RenameNote flow={flow} id={id} all={all} />}
        {error && <p className="error" role="alert">{error}</p>}
        <div className="buttons">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary">Rename</button>
        </div>
      </form>
    </Dialog>
  );
}

function DuplicateDialog({ flow, onClose, onDone }: { flow: FlowSummary; onClose(): void; onDone(): void }) {
  const [name, setName] = useState(`${flow.name || flow.id} (copy)`);
  const [error, setError] = useState<string | null>(null);
  const id = idFromName(name);
  return (
    <Dialog title={`Duplicate "${flow.name || flow.id}"`} onClose={onClose}>
      <form onSubmit={async (e) => {
        e.preventDefault();
        if (!id) return setError("Give the flow a name.");
        try { await api.createFlow({ id, name: name.trim(), copy_of: flow.id }); onDone(); } catch (err) { setError((err as Error).message); }
      }}>
        <label className="field">Name<input value={name} onChange={(e) => setName(e.target.value)} name="flow-name" /></label>
        {name.trim() && <AddressNote id={id} />}
        {error && <p className="error" role="alert">{error}</p>}
        <div className="buttons">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary">Duplicate</button>
        </div>
      </form>
    </Dialog>
  );
}

/** What a rename changes besides the name: said before it happens. */
function RenameNote({ flow, id, all }: { flow: FlowSummary; id: string; all: FlowSummary[] }) {
  const newUrl = flow.webhook_url.replace(/[^/]+$/, encodeURIComponent(id));
  const parents = all.filter((f) => f.id !== flow.id && f.subflows?.includes(flow.id)).map((f) => f.name || f.id);
  return (
    <div className="rename-note" role="note">
      <p><strong>The webhook URL changes.</strong> Texts and calls to a Twilio number that still points at the old URL
        will get no answer until you paste the new one into the number's settings.</p>
      <p className="small">Old: <code>{flow.webhook_url}</code><br />New: <code>{newUrl}</code></p>
      {parents.length > 0 && (
        <p><strong>{parents.join(", ")}</strong> {parents.length === 1 ? "runs" : "run"} this flow as a subflow: change
          {parents.length === 1 ? " its" : " their"} Run Subflow widget to <code>{id}</code> after renaming.</p>
      )}
      <p className="muted small">The flow's tests, versions and executions move with it; conversations in progress finish.</p>
    </div>
  );
}

type Pending = { kind: "new" } | { kind: "rename" | "duplicate" | "delete"; flow: FlowSummary } | null;

export function FlowList({ onOpen, user, onSignOut }: { onOpen(id: string): void; user?: string | null; onSignOut?(): void }) {
  const [flows, setFlows] = useState<FlowSummary[] | null>(null);
  const [ignored, setIgnored] = useState<IgnoredFile[]>([]);
  const [examples, setExamples] = useState<Example[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending>(null);
  const close = useCallback(() => setPending(null), []);

  const refresh = useCallback(() => {
    api.flows().then((r) => { setFlows(r.flows); setIgnored(r.ignored ?? []); }, (e) => setError(e.message));
  }, []);
  useEffect(() => {
    refresh();
    api.examples().then((r) => setExamples(r.examples), () => setExamples([]));
  }, [refresh]);

  return (
    <div className="page flow-list-page">
      <header className="page-head">
        <div>
          <h1>Your flows</h1>
          <p className="muted">Each flow answers the texts and calls sent to its webhook URL. Paste that URL into your Twilio phone number's settings.</p>
          {flows?.some((f) => unreachableByTwilio(f.webhook_url)) && <LocalAddressNote several />}
        </div>
        <div className="page-actions">
          {onSignOut && <button type="button" onClick={onSignOut} title={user ? `Signed in as ${user}` : undefined}>Sign out</button>}
          <button type="button" className="primary" onClick={() => setPending({ kind: "new" })}>+ New flow</button>
        </div>
      </header>
      {error && <p className="error">{error}</p>}
      {flows && !flows.length && <p className="muted">No flows yet. Create your first one.</p>}
      <ul className="flow-cards">
        {flows?.map((f) => {
          const errors = f.issues.filter((i) => i.severity === "error").length;
          return (
            <li key={f.id} className="flow-card" data-flow={f.id}>
              <div className="flow-main">
                <a href={`/flows/${encodeURIComponent(f.id)}`} className="flow-name" onClick={(e) => { e.preventDefault(); onOpen(f.id); }}>{f.name || f.id}</a>
                {f.valid ? <span className="pill ok">Ready</span> : <span className="pill bad" title={f.issues[0]?.message}>{problemsLabel(errors || f.issues.length)}</span>}
                {f.draft && <span className="pill draft" title="Saved changes that are not published yet">Unpublished changes</span>}
                {f.description && <p className="muted small flow-desc">{f.description}</p>}
                <div className="webhook">
                  <span className="muted small">Webhook URL</span>
                  <code>{f.webhook_url}</code>
                  <CopyButton text={f.webhook_url} />
                </div>
                {f.published && <p className="muted small">Version {f.published.number} is live: published {byWhom(f.published.author, f.published.created_at, f.id)}</p>}
              </div>
              <div className="flow-actions">
                <button type="button" className="primary" onClick={() => onOpen(f.id)}>Open</button>
                <button type="button" onClick={() => setPending({ kind: "rename", flow: f })}>Rename</button>
                <button type="button" onClick={() => setPending({ kind: "duplicate", flow: f })}>Duplicate</button>
                <button type="button" className="danger" onClick={() => setPending({ kind: "delete", flow: f })}>Delete</button>
              </div>
            </li>
          );
        })}
      </ul>
      {ignored.length > 0 && (
        <section className="ignored-files" aria-label="Files not used as flows">
          <h2>Files not used as flows</h2>
          <p className="muted small">These files in the flows folder look like flows, but FlowStudio does not run them. Each line says what to change.</p>
          <ul>
            {ignored.map((f) => (
              <li key={f.file}><code>{f.file}</code>: <span className="muted">{f.reason}</span></li>
            ))}
          </ul>
        </section>
      )}

      {pending?.kind === "new" && <NewFlowDialog examples={examples} onClose={close} onCreated={onOpen} />}
      {pending?.kind === "rename" && (
        <RenameDialog flow={pending.flow} all={flows ?? []} onClose={close} onDone={() => { close(); refresh(); }} />
      )}
      {pending?.kind === "duplicate" && <DuplicateDialog flow={pending.flow} onClose={close} onDone={() => { close(); refresh(); }} />}
      {pending?.kind === "delete" && (
        <Dialog title={`Delete "${pending.flow.name || pending.flow.id}"?`} onClose={close}>
          <p>The flow file and its tests are removed and its webhook URL stops answering. Texts and calls to a number that still points here will get no answer.</p>
          <p className="muted small">Its versions are kept in the archive, not shown here: a new flow with this webhook URL starts from version 1.</p>
          <div className="buttons">
            <button type="button" onClick={close}>Keep it</button>
            <button type="button" className="danger primary" onClick={async () => {
              try { await api.deleteFlow(pending.flow.id); } catch (e) { setError((e as Error).message); }
              close(); refresh();
            }}>Delete flow</button>
          </div>
        </Dialog>
      )}
    </div>
  );
}
