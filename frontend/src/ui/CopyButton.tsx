// "Copy" next to a value people paste elsewhere (webhook URLs); says "Copied" for a moment.
import { useState } from "react";

async function writeClipboard(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Pages served over plain HTTP (not localhost) have no clipboard API: select-and-copy instead.
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}

export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  return (
    <button type="button" className="small" onClick={async () => {
      await writeClipboard(text);
      setDone(true);
      setTimeout(() => setDone(false), 1500);
    }}>
      {done ? "Copied" : label}
    </button>
  );
}
