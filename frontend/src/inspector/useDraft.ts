// A text input's own copy of what is being typed. Keystrokes stay inside the input (the
// form does not re-render, focus and caret are kept); the text is committed - one
// onChange, so one undo step - on blur, on Enter, or after a short pause in typing.
import { useCallback, useEffect, useRef, useState } from "react";

/** Typing pause after which a text edit is committed. */
export const COMMIT_PAUSE_MS = 800;

export interface Draft {
  text: string;
  /** Update the draft (a keystroke); commits after a pause when `pause` is on. */
  change(text: string): void;
  /** Commit now if the draft differs from what was last committed. */
  flush(): void;
  /** Throw the draft away and show the stored value again (a name that is not valid). */
  revert(): void;
}

/** The flushes of every input holding text not yet committed: the page calls them all
 * before it goes away (reload, close), so nothing typed is lost. */
const pending = new Set<() => void>();

/** Commit the text of every input still being typed in (see `pending`). */
export function commitTypedText(): void {
  for (const f of [...pending]) f();
}

export function useDraft(external: string, onCommit: (text: string) => void, pause = true): Draft {
  const [text, setText] = useState(external);
  const latest = useRef(external);
  const committed = useRef(external);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const commitRef = useRef(onCommit);
  commitRef.current = onCommit;

  // A change from elsewhere (undo, a rename rewriting templates) replaces the draft; our
  // own commit coming back as the new stored value does not (the caret stays put).
  useEffect(() => {
    if (external !== committed.current) {
      committed.current = external;
      latest.current = external;
      setText(external);
    }
  }, [external]);

  const flush = useCallback(() => {
    clearTimeout(timer.current);
    pending.delete(flush);
    if (latest.current !== committed.current) {
      committed.current = latest.current;
      commitRef.current(latest.current);
    }
  }, []);

  const change = useCallback(
    (next: string) => {
      latest.current = next;
      setText(next);
      pending.add(flush);
      clearTimeout(timer.current);
      if (pause) timer.current = setTimeout(flush, COMMIT_PAUSE_MS);
    },
    [flush, pause],
  );

  const revert = useCallback(() => {
    clearTimeout(timer.current);
    pending.delete(flush);
    latest.current = committed.current;
    setText(committed.current);
  }, [flush]);

  // Leaving (another widget selected) keeps what was typed.
  useEffect(() => flush, [flush]);

  return { text, change, flush, revert };
}
