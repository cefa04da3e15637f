// The Inspector: the right-hand panel that edits the selected widget. Its form is built
// from the widget's JSON Schema in the catalog (core/schemaForm), never by hand per
// widget; split widgets also get the branches editor; template fields suggest variables
// (core/suggestions). Every committed edit is exactly one onChange call.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type JSX } from "react";
import { extraFields, fieldPaths, fieldsFor, getIn, placeIssues, setIn, type Field } from "../core/schemaForm";
import { suggestionsFor } from "../core/suggestions";
import { validWidgetName } from "../core/rename";
import type { CatalogEntry, FlowDoc, Issue, WidgetDoc } from "../core/types";
import { useEditor } from "../store/editor";
import { ConditionsEditor } from "./ConditionsEditor";
import { connectionEvents, Connections } from "./Connections";
import { Form, useForm, type FormContext } from "./context";
import { FieldView, Problems, sentence } from "./fields";
import { TemplateInput } from "./TemplateInput";
import { useDraft } from "./useDraft";
import "./inspector.css";

export interface InspectorProps {
  widget: WidgetDoc;            // the selected widget as in the flow document
  catalog: CatalogEntry | undefined; // its GET /api/widgets entry (undefined: unknown type -> read-only view saying it is kept as is)
  flow: FlowDoc;                // the whole document (for template suggestions)
  issues: Issue[];              // this widget's problems (show each next to its field, by issue.path e.g. "properties.timeout")
  focusPath?: string;           // a field to focus and scroll to, e.g. "properties.body"
  onChange(next: WidgetDoc): void;  // one committed edit = one call (the app records an undo step per call)
  onRename(newName: string): void;  // the app renames and rewrites references (using core/rename.ts)
}

export function Inspector(props: InspectorProps): JSX.Element {
  const { widget, catalog, flow, issues, focusPath, onChange, onRename } = props;
  // The whole catalog, for the outputs of the widgets before this one. The app's store
  // holds it; the widget's own entry is enough when the store has none (tests, harness).
  const allTypes = useEditor((s) => s.catalog);
  const catalogOf = useCallback(
    (type: string) => allTypes.get(type) ?? (type === catalog?.type ? catalog : undefined),
    [allTypes, catalog],
  );

  // The latest widget: updated at once on commit, so two commits before the app
  // re-renders (a blur, then a click on "remove") build on each other.
  const latest = useRef(widget);
  latest.current = widget;
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;

  const suggestions = useMemo(() => suggestionsFor(flow, widget.name, catalogOf), [flow, widget.name, catalogOf]);
  const supported = !!catalog && catalog.supported !== false && !!catalog.properties;

  const fields: Field[] = useMemo(
    () => (supported ? fieldsFor(catalog!.properties, "properties", widget.properties ?? {}) : []),
    [supported, catalog, widget.properties],
  );
  const extras = useMemo(
    () => (supported ? extraFields(catalog!.properties, widget.properties, "properties") : []),
    [supported, catalog, widget.properties],
  );

  // Where each problem goes: a field, a branch, the name, or the list at the top.
  const { byPath, rest } = useMemo(() => {
    const paths = ["name", "description", ...fieldPaths([...fields, ...extras], widget)];
    if (catalog) paths.push(...connectionEvents(widget, catalog).map((o) => `transitions.${o.id}`));
    const match = widget.transitions?.match;
    if (Array.isArray(match)) {
      paths.push("transitions.match");
      match.forEach((b, i) => {
        paths.push(`transitions.match.${i}`, `transitions.match.${i}.next`, `transitions.match.${i}.conditions`);
        const conds = Array.isArray(b?.conditions) ? b.conditions : [];
        conds.forEach((c, j) => {
          const base = `transitions.match.${i}.conditions.${j}`;
          paths.push(...fieldPaths(fieldsFor(catalog?.condition_schema, base, c), { transitions: { match } }));
        });
      });
    }
    return placeIssues(issues, paths);
  }, [issues, fields, extras, widget, catalog]);

  const form: FormContext = useMemo(
    () => ({
      current: () => latest.current,
      commit(path, value) {
        const next = setIn(latest.current, path, value);
        latest.current = next;
        onChangeRef.current(next);
      },
      commitWidget(next) {
        latest.current = next;
        onChangeRef.current(next);
      },
      issues: byPath,
      suggestions,
    }),
    [byPath, suggestions],
  );

  // Focus and scroll to the field the app asks for (a click in the problems list).
  const root = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    if (!focusPath || !root.current) return;
    const parts = focusPath.split(".");
    for (let n = parts.length; n > 0; n--) {
      const el = root.current.querySelector<HTMLElement>(`[data-path="${CSS.escape(parts.slice(0, n).join("."))}"]`);
      if (el) {
        el.scrollIntoView?.({ block: "center" });
        el.querySelector<HTMLElement>("input, textarea, select")?.focus({ preventScroll: true });
        el.classList.add("insp-flash");
        const t = setTimeout(() => el.classList.remove("insp-flash"), 1200);
        return () => clearTimeout(t);
      }
    }
  }, [focusPath, widget.name]);

  // Where a branch may go: any widget but this one and the Trigger (nothing goes back to it).
  const others = flow.widgets.filter((w) => w.type !== "trigger" && w.name !== widget.name).map((w) => w.name);

  return (
    <Form.Provider value={form}>
      <div className="insp" ref={root}>
        <header className="insp-header">
          <div className="insp-type">{catalog?.title ?? widget.type}</div>
          {supported && catalog?.description && <p className="insp-help">{catalog.description}</p>}
        </header>
        <NameField widget={widget} flow={flow} onRename={onRename} issues={byPath.get("name")} readOnly={!supported} />
        {rest.length > 0 && (
          <div className={"insp-rest" + (rest.every((i) => i.severity === "warning") ? " warning" : "")} role="alert">
            <div className="insp-rest-title">{rest.length === 1 ? "1 problem" : `${rest.length} problems`} with this widget</div>
            <Problems issues={rest} />
          </div>
        )}
        {supported ? (
          <>
            <section className="insp-section">
              {fields.length === 0 && !catalog!.condition_schema && (
                <p className="insp-help">This widget has no settings.</p>
              )}
              {fields.filter((f) => !f.advanced).map((f) => (
                <FieldView key={f.path} field={f} value={getIn(widget, f.path)} />
              ))}
            </section>
            <MoreSettings fields={fields.filter((f) => f.advanced)} widget={widget} focusPath={focusPath} />
            {catalog!.condition_schema && (
              <ConditionsEditor widget={widget} conditionSchema={catalog!.condition_schema} targets={others} />
            )}
            <Connections widget={widget} catalog={catalog!} targets={others} />
            {extras.length > 0 && (
              <section className="insp-section">
                <h3 className="insp-h3">Other settings</h3>
                {extras.map((f) => <FieldView key={f.path} field={f} value={getIn(widget, f.path)} />)}
              </section>
            )}
            <NotesField widget={widget} />
            <Outputs widget={widget} catalog={catalog!} />
          </>
        ) : (
          <KeptAsIs widget={widget} catalog={catalog} />
        )}
      </div>
    </Form.Provider>
  );
}

/** Settings most flows leave alone (a messaging service, a content template...), folded so
 * that a first form shows what a beginner fills in; open when one is set, has a problem, or
 * is where the problems list leads. */
function MoreSettings({ fields, widget, focusPath }: { fields: Field[]; widget: WidgetDoc; focusPath?: string }) {
  const { issues } = useForm();
  if (!fields.length) return null;
  const used = fields.some((f) => {
    const v = getIn(widget, f.path);
    return (v !== undefined && v !== "" && !(Array.isArray(v) && !v.length) && v !== f.default)
      || [...issues.keys()].some((p) => p === f.path || p.startsWith(f.path + "."))
      || (!!focusPath && (focusPath === f.path || focusPath.startsWith(f.path + ".")));
  });
  return (
    <details className="insp-section insp-more" open={used || undefined}>
      <summary className="insp-h3">
        More settings <span className="insp-muted">({fields.map((f) => f.title).join(", ")})</span>
      </summary>
      {fields.map((f) => <FieldView key={f.path} field={f} value={getIn(widget, f.path)} />)}
    </details>
  );
}

/** The widget's name: checked as it is typed, renamed (with every reference) on blur or Enter. */
function NameField({ widget, flow, onRename, issues, readOnly }: {
  widget: WidgetDoc; flow: FlowDoc; onRename(name: string): void; issues?: Issue[]; readOnly: boolean;
}) {
  const [error, setError] = useState<string | null>(null);
  const draft = useDraft(widget.name, (name) => {
    const problem = validWidgetName(name, flow, widget.name);
    setError(problem);
    if (!problem && name !== widget.name) onRename(name);
  }, false);
  // Say at once what is wrong, but only rename when the person is done typing.
  useEffect(() => {
    setError(draft.text === widget.name ? null : validWidgetName(draft.text, flow, widget.name));
  }, [draft.text, flow, widget.name]);
  return (
    <div className="insp-field insp-name" data-path="name">
      <label className="insp-label" htmlFor="insp-name">Widget name</label>
      <input
        id="insp-name"
        className="insp-input"
        value={draft.text}
        readOnly={readOnly}
        spellCheck={false}
        autoComplete="off"
        aria-invalid={!!error || undefined}
        onChange={(e) => draft.change(e.target.value)}
        onBlur={() => {
          if (validWidgetName(draft.text, flow, widget.name)) draft.revert();
          else draft.flush();
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter") { e.preventDefault(); if (!validWidgetName(draft.text, flow, widget.name)) draft.flush(); }
          if (e.key === "Escape") { draft.revert(); setError(null); }
        }}
      />
      {!readOnly && <p className="insp-help">Later widgets refer to it as widgets.{error ? widget.name : draft.text}; renaming updates them.</p>}
      <Problems issues={issues} local={error ?? undefined} />
    </div>
  );
}

/** A free-text note about the widget (its `description`), for the people editing the flow. */
function NotesField({ widget }: { widget: WidgetDoc }) {
  const { commit, issues } = useForm();
  return (
    <section className="insp-section" data-path="description">
      <label className="insp-label" htmlFor="insp-notes">Notes</label>
      <p className="insp-help">For the people editing this flow; not sent to anyone.</p>
      <TemplateInput id="insp-notes" value={widget.description ?? ""} multiline
        onCommit={(text) => commit("description", text === "" ? undefined : text)} />
      <Problems issues={issues.get("description")} />
    </section>
  );
}

/** What this widget makes available to the widgets after it. */
function Outputs({ widget, catalog }: { widget: WidgetDoc; catalog: CatalogEntry }) {
  const outputs = catalog.outputs ?? [];
  if (!outputs.length) return null;
  return (
    <section className="insp-section insp-outputs">
      <h3 className="insp-h3">Variables for later widgets</h3>
      <p className="insp-help">After this widget runs, later widgets can use:</p>
      <ul>
        {outputs.map((o) => <li key={o}><code>{`{{widgets.${widget.name}.${o}}}`}</code></li>)}
      </ul>
    </section>
  );
}

/** A widget type FlowStudio does not run: shown, never changed, so nothing is lost. */
function KeptAsIs({ widget, catalog }: { widget: WidgetDoc; catalog: CatalogEntry | undefined }) {
  const transitions = Object.entries(widget.transitions ?? {});
  return (
    <section className="insp-section insp-kept">
      <div className="insp-notice">
        <b>{catalog?.title ?? widget.type}</b> widgets are not run by FlowStudio. This one is kept
        exactly as it is, so a flow imported from Twilio Studio loses nothing; a conversation
        that reaches it ends there.
      </div>
      <h3 className="insp-h3">Type</h3>
      <code>{widget.type}</code>
      {widget.properties && Object.keys(widget.properties).length > 0 && (
        <>
          <h3 className="insp-h3">Settings</h3>
          <pre className="insp-pre">{JSON.stringify(widget.properties, null, 2)}</pre>
        </>
      )}
      {transitions.length > 0 && (
        <>
          <h3 className="insp-h3">Transitions</h3>
          <ul className="insp-transitions">
            {transitions.map(([event, target]) => (
              <li key={event}>{event} → {typeof target === "string" ? target : target == null ? "not connected" : sentence(JSON.stringify(target))}</li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
