// This host's processes whose environment or command line hold the token, managed by botwarden or not, as the
// doctor reports them. Finding them is src/process/conflicts.ts's job; this only adds "managed or not".
import { findTokenHolders, isBotwardenRun } from '../process/conflicts.js';

/** A local process that holds the token. */
export interface LocalProcess {
  pid: number;
  /** Command line, redacted. */
  command: string;
  /** Started by botwarden (its environment has `BOTWARDEN_INSTANCE`) or is `botwarden run` itself. */
  managed: boolean;
  /** `BOTWARDEN_INSTANCE` of the managing instance, when known. */
  instanceId?: string;
}

/** Finds processes holding `token`; resolves `undefined` when this OS cannot be inspected. */
export type LocalProcessFinder = (token: string) => Promise<LocalProcess[] | undefined>;

/**
 * Linux: environment and command line (via `findTokenHolders`); macOS and Windows: command lines only. Skips this
 * process, its ancestors (the shell that exported BOT_TOKEN is not a poller) and its children.
 */
export const findLocalProcessesProc: LocalProcessFinder = async (token) => {
  try {
    const holders = await findTokenHolders(token);
    return holders.map((h) => ({
      pid: h.pid,
      command: h.command,
      managed: h.managedBy !== undefined || isBotwardenRun(h.command),
      ...(h.managedBy !== undefined ? { instanceId: h.managedBy } : {}),
    }));
  } catch {
    return undefined;
  }
};
