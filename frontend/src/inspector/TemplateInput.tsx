// A text box (one line or several) whose edits are committed on blur or after a pause.
// In Liquid template fields it also suggests variables: typing `{{` opens a list of what
// the widget can use (filtered as you type), and the {x} button opens the same list.
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { filterSuggestions, insertVariable, openTemplateAt, type Suggestion } from "../core/suggestions";
import { useDraft } from "./useDraft";

export interface TemplateInputProps {
  id: string;
  value: string;
  onCommit(text: string): void;
  multiline?: boolean;
  /** Offer variable suggestions (Liquid template fields). */
  suggestions?: Suggestion[];
  placeholder?: string;
  /** Commit only on blur/Enter, not after a pause (numbers: no reformatting mid-typing). */
  noPause?: boolean;
  listId?: string;
  invalid?: boolean;
  describedBy?: string;
  ariaLabel?: string;
  inputMode?: "numeric" | "text";
  /** One line of text shown whole: it wraps onto more lines as it grows, instead of
   * scrolling out of a narrow box (a key/value row's value); Enter still commits. */
  wrap?: boolean;
}

const MAX_SHOWN = 50;

/** Enough rows to show the text (about 42 characters fit a line of the panel), 3 to 10. */
function textRows(text: string): number {
  const lines = text.split("\n").reduce((n, line) => n + Math.max(1, Math.ceil(line.length / 42)), 0);
  return Math.min(10, Math.max(3, lines));
}

export function TemplateInput(props: TemplateInputProps) {
  const { id, value, onCommit, multiline, suggestions, placeholder, noPause, listId, invalid, describedBy, ariaLabel, inputMode } = props;
  const wrap = !!props.wrap && !multiline && !listId;   // (a datalist needs an <input>)
  const draft = useDraft(value, onCommit, !noPause);
  const ref = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  // Autocomplete while typing `{{`: where the `{{` starts and what follows it.
  const [open, setOpen] = useState<{ start: number; partial: string } | null>(null);
  // The {x} picker: its own search box; inserts at the caret saved when it opened.
  const [picker, setPicker] = useState<{ caret: number; query: string } | null>(null);
  const [active, setActive] = useState(0);
  const caretAfter = useRef<number | null>(null);

  const shown = useMemo(() => {
    if (!suggestions) return [];
    const typed = picker ? picker.query : open ? open.partial : null;
    return typed === null ? [] : filterSuggestions(suggestions, typed).slice(0, MAX_SHOWN);
  }, [suggestions, open, picker]);

  // Put the caret after an inserted variable once React has rendered the new text.
  useEffect(() => {
    if (caretAfter.current !== null && ref.current) {
      ref.current.setSelectionRange(caretAfter.current, caretAfter.current);
      caretAfter.current = null;
    }
  });

  const refreshOpen = (text: string, caret: number | null) => {
    if (!suggestions || caret === null) return setOpen(null);
    const next = openTemplateAt(text, caret);
    setOpen(next);
    if (next && next.partial !== open?.partial) setActive(0);
  };

  const pick = (s: Suggestion) => {
    const el = ref.current;
    const text = draft.text;
    const caret = picker ? picker.caret : (el?.selectionStart ?? text.length);
    const result = insertVariable(text, caret, picker ? null : (open?.start ?? null), s.path);
    draft.change(result.text);
    caretAfter.current = result.caret;
    setOpen(null);
    setPicker(null);
    el?.focus();
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const listOpen = (open || picker) && shown.length > 0;
    if (listOpen && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      e.preventDefault();
      setActive((a) => (a + (e.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length);
      return;
    }
    if (listOpen && (e.key === "Enter" || e.key === "Tab")) {
      e.preventDefault();
      pick(shown[Math.min(active, shown.length - 1)]);
      return;
    }
    if (e.key === "Escape") {
      if (open || picker) {
        e.preventDefault();
        e.stopPropagation();
        setOpen(null);
        setPicker(null);
      } else {
        // Escape is "done here": what was typed is kept (Undo takes it back), focus leaves.
        draft.flush();
        (e.target as HTMLElement).blur();
      }
      return;
    }
    if (e.key === "Enter" && !multiline) {
      e.preventDefault();
      draft.flush();
    }
  };

  const common = {
    id,
    ref,
    value: draft.text,
    placeholder,
    "aria-invalid": invalid || undefined,
    "aria-describedby": describedBy,
    "aria-label": ariaLabel,
    "aria-autocomplete": suggestions ? ("list" as const) : undefined,
    className: "insp-input" + (suggestions ? " insp-has-x" : "") + (wrap ? " insp-wrap" : ""),
    spellCheck: multiline ? true : false,
    onChange: (e: { target: HTMLInputElement | HTMLTextAreaElement }) => {
      draft.change(e.target.value);
      refreshOpen(e.target.value, e.target.selectionStart);
    },
    onKeyDown,
    onKeyUp: (e: KeyboardEvent<HTMLInputElement | HTMLTextAreaElement>) => {
      if (e.key === "ArrowLeft" || e.key === "ArrowRight" || e.key === "Home" || e.key === "End") {
        refreshOpen(e.currentTarget.value, e.currentTarget.selectionStart);
      }
    },
    onBlur: () => {
      setOpen(null);
      draft.flush();
    },
  };

  return (
    <div className="insp-template">
      {multiline ? (
        <textarea {...common} rows={textRows(draft.text)} />
      ) : wrap ? (
        <textarea {...common} rows={1} />
      ) : (
        <input {...common} type="text" list={listId} inputMode={inputMode} autoComplete="off" />
      )}
      {suggestions && (
        <button
          type="button"
          className="insp-x"
          title="Insert a variable"
          aria-label="Insert a variable"
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => {
            setOpen(null);
            setActive(0);
            setPicker(picker ? null : { caret: ref.current?.selectionStart ?? draft.text.length, query: "" });
          }}
        >
          {"{x}"}
        </button>
      )}
      {picker && (
        <div className="insp-picker">
          <input
            className="insp-input"
            autoFocus
            placeholder="Search variables"
            aria-label="Search variables"
            value={picker.query}
            onChange={(e) => { setPicker({ ...picker, query: e.target.value }); setActive(0); }}
            onKeyDown={onKeyDown}
            onBlur={() => setPicker(null)}
          />
          <SuggestionList items={shown} active={active} onPick={pick} />
        </div>
      )}
      {open && !picker && shown.length > 0 && (
        <div className="insp-picker insp-auto">
          <SuggestionList items={shown} active={active} onPick={pick} />
        </div>
      )}
    </div>
  );
}

function SuggestionList({ items, active, onPick }: { items: Suggestion[]; active: number; onPick(s: Suggestion): void }) {
  const listRef = useRef<HTMLUListElement>(null);
  useEffect(() => {
    listRef.current?.querySelector<HTMLElement>("[aria-selected=true]")?.scrollIntoView?.({ block: "nearest" });
  }, [active]);
  if (!items.length) return <div className="insp-empty">No matching variables</div>;
  let group = "";
  return (
    <ul className="insp-suggestions" role="listbox" ref={listRef}>
      {items.map((s, i) => {
        const heading = s.group !== group ? (group = s.group) : null;
        return (
          <li key={s.path} role="presentation">
            {heading && <div className="insp-group">{heading}</div>}
            <div
              role="option"
              aria-selected={i === active}
              className={"insp-option" + (s.notYet ? " not-yet" : "")}
              title={s.notYet ? "This widget cannot have run yet when this one runs: connect it before this widget" : undefined}
              // mousedown, not click: the text box keeps focus and its caret.
              onMouseDown={(e) => {
                e.preventDefault();
                onPick(s);
              }}
            >
              <code>{s.path}</code>
              {s.description && <span className="insp-desc">{s.description}</span>}
            </div>
          </li>
        );
      })}
    </ul>
  );
}
