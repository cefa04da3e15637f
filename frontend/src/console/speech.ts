// What the call says, spoken aloud by the browser (the Web Speech API), unless muted.
// Browsers without speech synthesis (or without voices) simply stay silent.
import type { TranscriptItem } from "./model";

function synth(): SpeechSynthesis | null {
  return typeof window !== "undefined" && "speechSynthesis" in window ? window.speechSynthesis : null;
}

/** Speak the `say` lines of a turn, in order. */
export function speak(items: TranscriptItem[]) {
  const s = synth();
  if (!s) return;
  for (const item of items) {
    if (item.kind !== "say" || !item.text) continue;
    try {
      const u = new SpeechSynthesisUtterance(item.text);
      if (item.language) u.lang = item.language;
      s.speak(u);
    } catch {
      return; // no voices: the transcript is enough
    }
  }
}

export function stopSpeaking() {
  try {
    synth()?.cancel();
  } catch {
    /* nothing to stop */
  }
}
