// Renders one field descriptor from core/schemaForm: a label with its help text, the input
// that suits the schema, and the problems found for it, in words.
import { useEffect, useId, useState, type ReactNode } from "react";
import { api } from "../api/client";
import { useEditor } from "../store/editor";
import {
  atIndex,
  booleanToStore,
  booleanValue,
  displayText,
  getIn,
  parseInput,
  REQUIRED,
  type Field,
  type KeyValueField,
  type ListField,
  type TextField,
} from "../core/schemaForm";
import type { Issue } from "../core/types";
import { useForm } from "./context";
import { TemplateInput } from "./TemplateInput";

/** "must not be empty" -> "Must not be empty." */
export function sentence(message: string): string {
  const m = message.trim();
  if (!m) return m;
  return m[0].toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? "" : ".");
}

export function Problems({ issues, local, id, title }: { issues?: Issue[]; local?: string; id?: string; title?: string }) {
  // The form's check and the server's may say the same thing: it is shown once, with the
  // field's label ("Destination is required"), never its key.
  const words = (m: string) => (m === REQUIRED && title ? `${title} ${m}` : m);
  const messages = [...new Set([...(local ? [local] : []), ...(issues ?? []).map((i) => i.message)].map(words).map(sentence))];
  if (!messages.length) return null;
  const warningOnly = !local && (issues ?? []).every((i) => i.severity === "warning");
  return (
    <ul className={"insp-problems" + (warningOnly ? " warning" : "")} id={id} role="alert">
      {messages.map((m) => <li key={m}>{m}</li>)}
    </ul>
  );
}

interface FieldProps {
  field: Field;
  /** The stored value (from the widget at field.path). */
  value: unknown;
  /** Extra content under the label (used by the conditions editor). */
  children?: ReactNode;
  /** Hide the label (rows of a key/value table label their columns once). */
  bare?: boolean;
  placeholder?: string;
}

/** One field: label, help, input and problems. Keyed by path by the caller. */
/** The ids of the flows (for a field that offers them), fetched when such a field shows. */
function useFlowIds(wanted: boolean): string[] {
  const [ids, setIds] = useState<string[]>([]);
  useEffect(() => {
    if (!wanted) return;
    let live = true;
    api.flows().then((r) => { if (live) setIds(r.flows.map((f) => f.id)); }, () => undefined);
    return () => { live = false; };
  }, [wanted]);
  return ids;
}

export function FieldView({ field, value, bare, placeholder }: FieldProps) {
  const form = useForm();
  const id = useId();
  const flowIds = useFlowIds(field.kind === "text" && field.choices === "flows");
  const currentFlow = useEditor((s) => s.flowId);
  const [local, setLocal] = useState<string | undefined>(undefined);
  const issues = form.issues.get(field.path);
  const problemId = `${id}-problems`;
  const invalid = !!local || !!issues?.length;

  const commitText = (text: string) => {
    const parsed = parseInput(field, text, getIn(form.current(), field.path));
    setLocal(parsed.error);
    form.commit(field.path, parsed.value);
  };

  const label = !bare && (
    <label className="insp-label" htmlFor={id}>
      {field.title}
      {field.required && <span className="insp-req" title="Required"> *</span>}
      {field.kind === "number" && field.unit && <span className="insp-unit"> ({field.unit})</span>}
    </label>
  );
  const help = !bare && field.help && <p className="insp-help">{field.help}</p>;
  const defaultText = field.default !== undefined && field.default !== "" ? String(field.default) : undefined;

  let input: ReactNode;
  switch (field.kind) {
    case "boolean": {
      const checked = booleanValue(value, field.default);
      return (
        <div className="insp-field insp-check" data-path={field.path}>
          <label className="insp-label">
            <input
              id={id}
              type="checkbox"
              checked={checked}
              aria-describedby={issues?.length ? problemId : undefined}
              onChange={(e) => form.commit(field.path, booleanToStore(e.target.checked, getIn(form.current(), field.path), field.default))}
            />
            {field.title}
          </label>
          {help}
          <Problems issues={issues} id={problemId} title={field.title} />
        </div>
      );
    }
    case "select": {
      const current = value === undefined ? (field.default === undefined ? "" : String(field.default)) : String(value);
      const known = field.options.some((o) => o.value === current);
      input = (
        <select
          id={id}
          className="insp-input"
          value={current}
          aria-label={bare ? field.title : undefined}
          aria-invalid={invalid || undefined}
          aria-describedby={issues?.length ? problemId : undefined}
          onChange={(e) => {
            setLocal(undefined);
            form.commit(field.path, e.target.value === "" ? undefined : e.target.value);
          }}
        >
          {current === "" && <option value="">Choose…</option>}
          {!known && current !== "" && <option value={current}>{current} (not a known choice)</option>}
          {field.options.filter((o) => !o.older || o.value === current)
            .map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
        </select>
      );
      break;
    }
    case "keyvalue":
      input = <KeyValueRows field={field} rows={Array.isArray(value) ? value : []} />;
      break;
    case "list":
      input = <ListRows field={field} items={Array.isArray(value) ? value : []} />;
      break;
    case "object": {
      return (
        <fieldset className="insp-field insp-object" data-path={field.path}>
          <legend className="insp-label">{field.title}</legend>
          {help}
          {field.fields.map((f) => <FieldView key={f.path} field={f} value={getIn(value, f.key)} />)}
          <Problems issues={issues} title={field.title} />
        </fieldset>
      );
    }
    case "json":
      input = (
        <TemplateInput
          id={id}
          value={typeof value === "string" ? value : displayText(value)}
          onCommit={commitText}
          multiline={typeof value !== "string"}
          noPause
          invalid={invalid}
          describedBy={invalid ? problemId : undefined}
          ariaLabel={bare ? field.title : undefined}
        />
      );
      break;
    case "number": {
      const listId = field.words.length || field.examples ? `${id}-list` : undefined;
      input = (
        <>
          <TemplateInput
            id={id}
            value={displayText(value)}
            onCommit={commitText}
            noPause
            inputMode={field.words.length ? "text" : "numeric"}
            placeholder={placeholder ?? (defaultText ? `Default: ${defaultText}` : undefined)}
            listId={listId}
            invalid={invalid}
            describedBy={invalid ? problemId : undefined}
            ariaLabel={bare ? field.title : undefined}
          />
          {listId && (
            <datalist id={listId}>
              {[...new Set([...field.words, ...(field.examples ?? [])])].map((w) => <option key={w} value={w} />)}
            </datalist>
          )}
        </>
      );
      break;
    }
    case "text": {
      if (field.offers && !bare) {
        input = <OfferedText id={id} field={field} value={displayText(value)} invalid={invalid}
          describedBy={invalid ? problemId : undefined} onCommit={commitText} />;
        break;
      }
      const offered = field.choices === "flows" ? flowIds.filter((f) => f !== currentFlow) : field.examples;
      const listId = offered?.length ? `${id}-list` : undefined;
      input = (
        <>
          <TemplateInput
            id={id}
            value={displayText(value)}
            onCommit={commitText}
            multiline={field.multiline}
            suggestions={field.liquid ? form.suggestions : undefined}
            placeholder={placeholder ?? (defaultText ? `Default: ${defaultText}` : field.liquid ? "Type {{ to insert a variable" : undefined)}
            listId={listId}
            invalid={invalid}
            describedBy={invalid ? problemId : undefined}
            ariaLabel={bare ? field.title : undefined}
            wrap={bare}
          />
          {listId && <datalist id={listId}>{offered!.map((w) => <option key={w} value={w} />)}</datalist>}
        </>
      );
      break;
    }
  }

  return (
    <div className={"insp-field" + (bare ? " bare" : "")} data-path={field.path}>
      {label}
      {help}
      {input}
      <Problems issues={issues} local={local} id={problemId} title={field.title} />
    </div>
  );
}

const OTHER = "\u0000other";

/** A text setting with values listed in words (a voice, a language): a list to pick from,
 * with the stored name in small print under it; "Another…" opens a box to type any other. */
function OfferedText({ id, field, value, invalid, describedBy, onCommit }: {
  id: string; field: TextField; value: string; invalid: boolean; describedBy?: string; onCommit(text: string): void;
}) {
  const offers = field.offers ?? [];
  const known = offers.find((o) => o.value === value);
  const [typing, setTyping] = useState(value !== "" && !known);
  const other = typing || (value !== "" && !known);
  const fallback = field.default !== undefined && field.default !== "" ? String(field.default) : undefined;
  const fallbackLabel = fallback ? `Default: ${offers.find((o) => o.value === fallback)?.label ?? fallback}` : "Twilio's default";
  return (
    <>
      <select id={id} className="insp-input" value={other ? OTHER : value} aria-invalid={invalid || undefined}
        aria-describedby={describedBy}
        onChange={(e) => {
          const v = e.target.value;
          setTyping(v === OTHER);
          if (v !== OTHER) onCommit(v);
        }}>
        <option value="">{fallbackLabel}</option>
        {offers.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
        <option value={OTHER}>{field.other ?? "Another value"}…</option>
      </select>
      {known && <p className="insp-muted insp-tech">In the flow file: <code>{value}</code></p>}
      {other && (
        <TemplateInput id={`${id}-other`} value={value} onCommit={onCommit} noPause ariaLabel={field.other ?? field.title}
          placeholder={`e.g. ${offers.find((o) => o.value.includes("."))?.value ?? offers[0]?.value ?? ""}`} invalid={invalid}
          describedBy={describedBy} />
      )}
    </>
  );
}

/** Up, down and remove buttons for a row of a list. */
export function RowButtons({ index, count, onMove, onRemove, what }: {
  index: number; count: number; what: string; onMove(from: number, to: number): void; onRemove(i: number): void;
}) {
  return (
    <span className="insp-rowbtns">
      <button type="button" className="insp-icon" title={`Move ${what} up`} aria-label={`Move ${what} up`} disabled={index === 0} onClick={() => onMove(index, index - 1)}>↑</button>
      <button type="button" className="insp-icon" title={`Move ${what} down`} aria-label={`Move ${what} down`} disabled={index === count - 1} onClick={() => onMove(index, index + 1)}>↓</button>
      <button type="button" className="insp-icon danger" title={`Remove ${what}`} aria-label={`Remove ${what}`} onClick={() => onRemove(index)}>×</button>
    </span>
  );
}

export function moved<T>(items: T[], from: number, to: number): T[] {
  const copy = items.slice();
  const [item] = copy.splice(from, 1);
  copy.splice(to, 0, item);
  return copy;
}

/** Key/value pairs (set-variables `variables`, HTTP `parameters`): one row each. */
function KeyValueRows({ field, rows }: { field: KeyValueField; rows: unknown[] }) {
  const form = useForm();
  const current = () => {
    const v = getIn(form.current(), field.path);
    return Array.isArray(v) ? v : [];
  };
  const singular = /variable/i.test(field.title) ? "variable" : "parameter";
  return (
    <div className="insp-kv">
      {/* Each pair is a small card: the key with the row's buttons on one line, the value on
          the next at the panel's full width (a template often longer than the key), each
          labelled; side by side they were cut short in a narrow panel. */}
      {rows.map((row, i) => (
        <div className="insp-kv-row" key={i} data-path={`${field.path}.${i}`}>
          {field.item.map((f, k) => {
            const cell = atIndex(f, i);
            return (
              <div className="insp-kv-cell" key={cell.path}>
                <span className="insp-kv-label" aria-hidden>{f.title}{f.required ? " *" : ""}</span>
                <FieldView field={cell} value={getIn(row, f.key)} bare placeholder={cell.title} />
                {k === 0 && (
                  <RowButtons index={i} count={rows.length} what={singular}
                    onMove={(a, b) => form.commit(field.path, moved(current(), a, b))}
                    onRemove={(j) => form.commit(field.path, current().filter((_, m) => m !== j))} />
                )}
              </div>
            );
          })}
          <Problems issues={form.issues.get(`${field.path}.${i}`)} />
        </div>
      ))}
      <button type="button" className="insp-add" onClick={() => form.commit(field.path, [...current(), { key: "", value: "" }])}>
        + Add {singular}
      </button>
    </div>
  );
}

/** A list of strings (a condition's arguments): one text box each. */
function ListRows({ field, items }: { field: ListField; items: unknown[] }) {
  const form = useForm();
  const current = () => {
    const v = getIn(form.current(), field.path);
    return Array.isArray(v) ? v : [];
  };
  return (
    <div className="insp-list">
      {items.map((item, i) => {
        const f = atIndex(field.item, i);
        return (
          <div className="insp-list-row" key={i}>
            <FieldView field={f} value={item} bare />
            <RowButtons index={i} count={items.length} what="value" onMove={(a, b) => form.commit(field.path, moved(current(), a, b))}
              onRemove={(k) => {
                const next = current().filter((_, j) => j !== k);
                form.commit(field.path, next.length ? next : undefined);
              }} />
          </div>
        );
      })}
      <button type="button" className="insp-add" onClick={() => form.commit(field.path, [...current(), ""])}>+ Add</button>
    </div>
  );
}
