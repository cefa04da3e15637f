// Who published a version, in words people read. The server records a version it read
// from the flows folder (a file written by hand, a git pull, the first start) with the
// author "file on disk".
import { timeAgo } from "./time";

export const DISK_AUTHOR = "file on disk";

/** "by Ana · 5 minutes ago", or "from the file support-line.yaml · just now". */
export function byWhom(author: string | null | undefined, createdAt: string, flowId?: string): string {
  const who = author === DISK_AUTHOR ? `from the file ${flowId ? `${flowId}.yaml` : "in the flows folder"}`
    : `by ${author || "someone"}`;
  return `${who} · ${timeAgo(createdAt)}`;
}
