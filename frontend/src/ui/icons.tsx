// One small line icon per widget type (falling back to its category), drawn inline so the
// node component stays cheap: no image requests, no icon font.
const PATHS: Record<string, string> = {
  // chat bubble
  message: "M4 5h16v10H9l-5 4z",
  // chat bubble with a clock hand: waits for a reply
  wait: "M4 5h16v10H9l-5 4z M12 7v4h3",
  // branching arrows
  split: "M12 20v-7 M12 13L6 5 M12 13l6-8 M4 7l2-2 2 2 M16 7l2-2 2 2",
  // x = variables
  variables: "M5 5l8 14 M13 5L5 19 M16 11h4 M16 15h4",
  // globe: HTTP
  http: "M12 3a9 9 0 100 18 9 9 0 000-18z M3 12h18 M12 3c3 3 3 15 0 18 M12 3c-3 3-3 15 0 18",
  // code brackets
  code: "M8 7l-5 5 5 5 M16 7l5 5-5 5",
  // phone
  phone: "M6 3h4l2 5-2.5 1.5a11 11 0 005 5L16 12l5 2v4a2 2 0 01-2 2A16 16 0 014 5a2 2 0 012-2z",
  // keypad
  keypad: "M6 5h2v2H6z M11 5h2v2h-2z M16 5h2v2h-2z M6 10h2v2H6z M11 10h2v2h-2z M16 10h2v2h-2z M6 15h2v2H6z M11 15h2v2h-2z M16 15h2v2h-2z",
  // speaker
  speaker: "M4 9h4l5-4v14l-5-4H4z M16 9a4 4 0 010 6 M18.5 6.5a8 8 0 010 11",
  // record dot
  record: "M12 5a7 7 0 100 14 7 7 0 000-14z M12 10a2 2 0 100 4 2 2 0 000-4z",
  // lightning: trigger
  trigger: "M13 2L5 13h6l-1 9 8-11h-6z",
  // nested boxes: subflow
  subflow: "M3 4h10v7H3z M11 13h10v7H11z M8 11v5h3",
  // question mark
  unknown: "M9 9a3 3 0 116 0c0 2-3 2-3 4 M12 17v.5",
  // people queue
  queue: "M8 8a2 2 0 100-4 2 2 0 000 4z M16 8a2 2 0 100-4 2 2 0 000 4z M4 20v-5a4 4 0 018 0v5 M12 20v-5a4 4 0 018 0v5",
};

const BY_TYPE: Record<string, string> = {
  trigger: "trigger",
  "send-message": "message",
  "send-and-wait-for-reply": "wait",
  "split-based-on": "split",
  "set-variables": "variables",
  "make-http-request": "http",
  "run-function": "code",
  "add-twiml-redirect": "code",
  "run-subflow": "subflow",
  "gather-input-on-call": "keypad",
  "say-play": "speaker",
  "record-voicemail": "record",
  "record-call": "record",
  "connect-call-to": "phone",
  "make-outgoing-call-v2": "phone",
  "enqueue-call": "queue",
};

const BY_CATEGORY: Record<string, string> = {
  Messaging: "message",
  Voice: "phone",
  "Flow Control": "split",
  "Tools & Execute Code": "code",
  Trigger: "trigger",
};

/** The colour family of a category (CSS class suffix). */
export function categoryTone(category: string | undefined): string {
  switch (category) {
    case "Messaging": return "messaging";
    case "Voice": return "voice";
    case "Flow Control": return "control";
    case "Tools & Execute Code": return "tools";
    case "Trigger": return "trigger";
    default: return "other";
  }
}

export function WidgetIcon({ type, category, size = 18 }: { type: string; category?: string; size?: number }) {
  const d = PATHS[BY_TYPE[type] ?? BY_CATEGORY[category ?? ""] ?? "unknown"];
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={1.8}
      strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      <path d={d} />
    </svg>
  );
}
