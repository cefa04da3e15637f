// The branches of a Split Based On... widget: `transitions.match`, tried from top to
// bottom; the first branch whose conditions all hold is followed, else `noMatch` (left
// untouched here). Each condition's fields come from the catalog's `condition_schema`
// through the same generator as every other form.
import { useState } from "react";
import { fieldsFor, getIn, type Field, type SelectField, type Schema } from "../core/schemaForm";
import type { Condition, MatchBranch, WidgetDoc } from "../core/types";
import { useForm } from "./context";
import { FieldView, moved, Problems, RowButtons } from "./fields";

interface Props {
  widget: WidgetDoc;
  conditionSchema: Schema;
  /** Names of the other widgets, for "goes to". */
  targets: string[];
}

const MATCH = "transitions.match";

/** A new condition: the schema's first type with an empty value. */
function newCondition(schema: Schema): Condition {
  const first = schema.properties?.type?.enum?.[0] ?? "equal_to";
  return { type: first, value: "" };
}

export function ConditionsEditor({ widget, conditionSchema, targets }: Props) {
  const form = useForm();
  const branches: MatchBranch[] = Array.isArray(widget.transitions?.match) ? widget.transitions!.match! : [];
  const current = (): MatchBranch[] => {
    const m = getIn(form.current(), MATCH);
    return Array.isArray(m) ? (m as MatchBranch[]) : [];
  };
  const noMatch = widget.transitions?.noMatch;

  return (
    <section className="insp-section" data-path={MATCH}>
      <h3 className="insp-h3">Branches</h3>
      <p className="insp-help">
        Tried from top to bottom: the flow follows the first branch whose conditions all match
        the value to test{typeof noMatch === "string" ? <>, else goes to <b>{noMatch}</b></> : <>, else follows “No Condition Matches”</>}.
      </p>
      <Problems issues={form.issues.get(MATCH)} />
      {branches.map((branch, i) => (
        <Branch key={i} index={i} count={branches.length} branch={branch} schema={conditionSchema} targets={targets}
          onMove={(a, b) => form.commit(MATCH, moved(current(), a, b))}
          onRemove={(k) => form.commit(MATCH, current().filter((_, j) => j !== k))} />
      ))}
      <button type="button" className="insp-add"
        onClick={() => form.commit(MATCH, [...current(), { next: null, conditions: [newCondition(conditionSchema)] }])}>
        + Add branch
      </button>
    </section>
  );
}

function Branch({ index, count, branch, schema, targets, onMove, onRemove }: {
  index: number; count: number; branch: MatchBranch; schema: Schema; targets: string[];
  onMove(a: number, b: number): void; onRemove(i: number): void;
}) {
  const form = useForm();
  const path = `${MATCH}.${index}`;
  const conditions = Array.isArray(branch.conditions) ? branch.conditions : [];
  const label = conditions.map((c) => c.friendly_name).find(Boolean);
  const currentConditions = (): Condition[] => {
    const c = getIn(form.current(), `${path}.conditions`);
    return Array.isArray(c) ? (c as Condition[]) : [];
  };
  return (
    <div className="insp-branch" data-path={path}>
      <div className="insp-branch-head">
        <span className="insp-branch-title">{index + 1}. {label || "Branch"}</span>
        <RowButtons index={index} count={count} what="branch" onMove={onMove} onRemove={onRemove} />
      </div>
      <div className="insp-field" data-path={`${path}.next`}>
        <label className="insp-label" htmlFor={`${path}-next`}>Goes to</label>
        <select id={`${path}-next`} className="insp-input" value={branch.next ?? ""}
          onChange={(e) => form.commit(`${path}.next`, e.target.value === "" ? null : e.target.value)}>
          <option value="">Not connected (the flow ends)</option>
          {branch.next && !targets.includes(branch.next) && <option value={branch.next}>{branch.next} (missing)</option>}
          {targets.map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
        <Problems issues={form.issues.get(`${path}.next`)} />
      </div>
      {conditions.map((c, j) => (
        <ConditionRow key={j} path={`${path}.conditions.${j}`} condition={c} schema={schema}
          canRemove={conditions.length > 1} first={j === 0}
          onRemove={() => form.commit(`${path}.conditions`, currentConditions().filter((_, k) => k !== j))} />
      ))}
      <Problems issues={form.issues.get(path)} />
      <button type="button" className="insp-add small"
        onClick={() => form.commit(`${path}.conditions`, [...currentConditions(), newCondition(schema)])}>
        + And another condition
      </button>
    </div>
  );
}

/** What to type as a condition's value, for each kind of test (Studio's condition types). */
export const VALUE_HELP: Record<string, string> = {
  equal_to: "The exact value, e.g. 1 or yes (capitals do not matter).",
  not_equal_to: "The exact value, e.g. 1 or yes (capitals do not matter).",
  matches_any_of: "Several values separated by commas, e.g. 4, 5 or yes, y, ok.",
  does_not_match_any_of: "Several values separated by commas, e.g. stop, no.",
  contains: "The text to look for, e.g. help.",
  does_not_contain: "The text to look for, e.g. help.",
  starts_with: "The beginning to look for, e.g. +44.",
  does_not_start_with: "The beginning to look for, e.g. +44.",
  less_than: "A number, e.g. 3.",
  greater_than: "A number, e.g. 3.",
  is_before_time: "A time as HH:MM, e.g. 09:00.",
  is_after_time: "A time as HH:MM, e.g. 17:30.",
  is_before_date: "A date as YYYY-MM-DD, e.g. 2026-12-24.",
  is_after_date: "A date as YYYY-MM-DD, e.g. 2026-12-24.",
  regex: "A pattern (a regular expression), e.g. ^[0-9]+$ for digits only.",
};

function ConditionRow({ path, condition, schema, canRemove, first, onRemove }: {
  path: string; condition: Condition; schema: Schema; canRemove: boolean; first: boolean; onRemove(): void;
}) {
  const fields = fieldsFor(schema, path, condition);
  const byKey = Object.fromEntries(fields.map((f) => [f.key, f])) as Record<string, Field>;
  const [showArgs, setShowArgs] = useState(false);
  const form = useForm();
  const typeField = byKey.type as SelectField | undefined;
  const typeLabel = typeField?.options.find((o) => o.value === condition.type)?.label ?? condition.type;
  // Blank checks need no value: the schema only requires one for the other types.
  const needsValue = byKey.value?.required || (condition.value !== undefined && condition.value !== "");
  const hasArgs = Array.isArray(condition.arguments) && condition.arguments.length > 0;
  const shown = (key: string) =>
    key === "value" ? needsValue : key === "arguments" ? hasArgs || showArgs : key !== "type";
  // The value's help for the chosen test, not every test's at once.
  const withHelp = (f: Field): Field => (f.key === "value" && VALUE_HELP[condition.type] ? { ...f, help: VALUE_HELP[condition.type] } : f);
  return (
    <div className="insp-condition">
      <div className="insp-condition-head">
        <span className="insp-muted">{first ? "If the value" : "and"}</span>
        {canRemove && <button type="button" className="insp-icon danger" title="Remove condition" aria-label="Remove condition" onClick={onRemove}>×</button>}
      </div>
      {typeField && <FieldView field={typeField} value={condition.type} bare />}
      {fields.filter((f) => shown(f.key)).map(withHelp).map((f) => (
        <FieldView key={f.path} field={f} value={(condition as unknown as Record<string, unknown>)[f.key]}
          placeholder={f.key === "friendly_name" ? `If value ${typeLabel.toLowerCase()} ${condition.value ?? ""}`.trim() : undefined} />
      ))}
      {!hasArgs && !showArgs && byKey.arguments && (
        <button type="button" className="insp-link" onClick={() => { setShowArgs(true); form.commit(`${path}.arguments`, [""]); }}
          title="Test another value than the split's input, for this condition only">Test a different value…</button>
      )}
    </div>
  );
}
