// What every field of the form needs from the Inspector, passed down once.
import { createContext, useContext } from "react";
import type { Suggestion } from "../core/suggestions";
import type { Issue, WidgetDoc } from "../core/types";

export interface FormContext {
  /** The widget as of the latest commit (may be ahead of the props until the app re-renders). */
  current(): WidgetDoc;
  /** Store `value` at a dotted path of the widget (`undefined` removes it): one onChange. */
  commit(path: string, value: unknown): void;
  /** Replace the whole widget: one onChange. */
  commitWidget(next: WidgetDoc): void;
  /** The server's problems by field path (see placeIssues). */
  issues: Map<string, Issue[]>;
  /** Variables for template fields, computed once per flow change. */
  suggestions: Suggestion[];
}

export const Form = createContext<FormContext | null>(null);

export function useForm(): FormContext {
  const ctx = useContext(Form);
  if (!ctx) throw new Error("inspector fields must be inside <Form.Provider>");
  return ctx;
}
