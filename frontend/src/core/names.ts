// Widget names: start with a letter, then letters, digits, `_` and `-` (as the validator says).

export const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** `send-and-wait-for-reply` -> `send_and_wait_for_reply`: a name base for a new widget. */
export function baseName(type: string): string {
  const cleaned = type.replace(/-v\d+$/, "").replace(/[^A-Za-z0-9_]+/g, "_").replace(/^_+|_+$/g, "");
  return /^[A-Za-z]/.test(cleaned) ? cleaned : "widget_" + cleaned;
}

/** The first of `base_1`, `base_2`... not in `taken`: the name of a new widget. */
export function numberedName(base: string, taken: Set<string>): string {
  for (let i = 1; ; i++) {
    const candidate = `${base}_${i}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** `name` itself when free, else the next free `<stem>_<n>` (a pasted `ask_1` becomes `ask_2`). */
export function freeName(name: string, taken: Set<string>): string {
  if (!taken.has(name)) return name;
  return numberedName(name.replace(/_\d+$/, ""), taken);
}
