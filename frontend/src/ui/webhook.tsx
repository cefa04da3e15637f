// What to do with a flow's webhook URL, in plain words: where it goes in the Twilio console,
// and, when it is an address of this computer or network only (localhost, 192.168.x.x),
// that Twilio cannot reach it: pasting it into a number's settings would do nothing.
import { CopyButton } from "./CopyButton";

/** Whether Twilio, on the internet, cannot reach `url`: a loopback, private or .local address. */
export function unreachableByTwilio(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, "");
  } catch {
    return false;
  }
  const single = !host.includes(".") && !host.includes(":");   // a machine's own name on the network
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".local") || single) return true;
  if (host === "::1" || host.startsWith("fc") || host.startsWith("fd") || host.startsWith("fe80:")) return true;
  const ip = host.match(/^(\d+)\.(\d+)\.\d+\.\d+$/);
  if (!ip) return false;
  const [a, b] = [Number(ip[1]), Number(ip[2])];
  return a === 127 || a === 10 || a === 0 || (a === 192 && b === 168) || (a === 172 && b >= 16 && b <= 31)
    || (a === 169 && b === 254);
}

/** Said where a webhook URL Twilio cannot reach is shown. */
export function LocalAddressNote({ several = false }: { several?: boolean }) {
  return (
    <p className="webhook-local small" role="note">
      {several ? "These webhook URLs work" : "This address works"} only on this computer (or this network):
      Twilio cannot reach {several ? "them" : "it"}, so texts and calls
      to a real number will not arrive. Try the flow with <b>▶ Test</b> instead. To connect a real number,
      FlowStudio has to run at an address on the internet: whoever installs it follows “Connecting a real
      Twilio number” in the README.
    </p>
  );
}

/** A flow's webhook URL with Copy, what to do with it, and a note when Twilio cannot reach it. */
export function WebhookHelp({ url }: { url: string }) {
  return (
    <div className="webhook-help">
      <p className="muted small">
        Texts and calls reach this flow at this address. To connect a Twilio phone number: in the Twilio
        console, open Phone Numbers, then your number; set “A message comes in” and “A call comes in” to
        Webhook, paste this URL, choose HTTP POST, and save.
      </p>
      <div className="webhook"><code>{url}</code><CopyButton text={url} /></div>
      {unreachableByTwilio(url) && <LocalAddressNote />}
    </div>
  );
}
