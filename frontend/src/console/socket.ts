// The console's socket.io connection (flowstudio/web/live.py): one per browser tab, over
// websockets only, so any server process can take it (no sticky sessions). Requests use
// socket.io acknowledgements and resolve with the server's answer or reject with its words.
import { io, type Socket } from "socket.io-client";

let socket: Socket | null = null;

/** The tab's socket, connected on first use (the session cookie goes with the handshake). */
export function getSocket(): Socket {
  if (!socket) {
    socket = io({ transports: ["websocket"], withCredentials: true, reconnectionDelayMax: 5000 });
  }
  return socket;
}

/** An error the server put in words (`{"error": "..."}`), or a lost connection. */
export class ConsoleRequestError extends Error {}

/** Emit `event` and wait for the server's answer (at most `timeoutMs`). */
export async function request<T = Record<string, unknown>>(event: string, data: unknown = {}, timeoutMs = 20000): Promise<T> {
  const s = getSocket();
  let answer: { ok?: boolean; error?: string } & Record<string, unknown>;
  try {
    answer = await s.timeout(timeoutMs).emitWithAck(event, data);
  } catch {
    throw new ConsoleRequestError(s.connected
      ? "The server took too long to answer. Try again."
      : "Not connected to the FlowStudio server. Check your connection; the console reconnects by itself.");
  }
  if (!answer || answer.error) throw new ConsoleRequestError(answer?.error ?? "The server gave no answer.");
  return answer as T;
}
