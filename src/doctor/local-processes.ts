// This host's processes whose environment or command line hold the token (Linux /proc), managed by botwarden or not.
// Used until `src/process/conflicts.ts` lands; the doctor only depends on the `LocalProcessFinder` shape.
import { readdir, readFile } from 'node:fs/promises';

/** A local process that holds the token. */
export interface LocalProcess {
  pid: number;
  /** Command line, redacted by the caller before it is shown. */
  command: string;
  /** Started by botwarden (its environment has `BOTWARDEN_INSTANCE`) or is `botwarden run` itself. */
  managed: boolean;
  /** `BOTWARDEN_INSTANCE` of the managing instance, when known. */
  instanceId?: string;
}

/** Finds processes holding `token`; resolves `undefined` when this OS cannot be inspected. */
export type LocalProcessFinder = (token: string) => Promise<LocalProcess[] | undefined>;

/**
 * Linux: read `/proc/<pid>/environ` and `/proc/<pid>/cmdline` of every process we may read. Skips this process
 * and its ancestors (the shell that exported BOT_TOKEN is not a poller). Other OSes: `undefined` (not inspected;
 * the doctor says so). Processes of other users are not readable without root and are missed.
 */
export const findLocalProcessesProc: LocalProcessFinder = async (token) => {
  if (process.platform !== 'linux') return undefined;
  let pids: number[];
  try {
    pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number);
  } catch {
    return undefined;
  }
  const skip = await ancestors(process.pid);
  const found: LocalProcess[] = [];
  for (const pid of pids) {
    if (skip.has(pid)) continue;
    const [environ, cmdline] = await Promise.all([readProc(pid, 'environ'), readProc(pid, 'cmdline')]);
    if (environ === undefined && cmdline === undefined) continue;
    const envVars = (environ ?? '').split('\0');
    const args = (cmdline ?? '').split('\0').filter(Boolean);
    const inEnv = envVars.some((kv) => kv.includes(token));
    const inArgs = args.some((a) => a.includes(token));
    const instance = envVars.find((kv) => kv.startsWith('BOTWARDEN_INSTANCE='))?.slice('BOTWARDEN_INSTANCE='.length);
    const isBotwardenRun = args.some((a) => /botwarden(\.[cm]?[jt]s)?$/.test(a)) && args.includes('run');
    if (!inEnv && !inArgs) continue;
    found.push({
      pid,
      command: args.join(' ') || `(pid ${pid})`,
      managed: instance !== undefined || isBotwardenRun,
      ...(instance ? { instanceId: instance } : {}),
    });
  }
  return found;
};

async function readProc(pid: number, file: string): Promise<string | undefined> {
  try {
    return await readFile(`/proc/${pid}/${file}`, 'latin1');
  } catch {
    return undefined;
  }
}

/** `pid` and every ancestor up to init. */
async function ancestors(pid: number): Promise<Set<number>> {
  const out = new Set<number>();
  let cur = pid;
  while (cur > 1 && !out.has(cur)) {
    out.add(cur);
    const stat = await readProc(cur, 'stat');
    // `pid (comm) state ppid …`; comm may contain spaces and parentheses, so parse after the last ')'.
    const ppid = stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) : NaN;
    if (!Number.isInteger(ppid)) break;
    cur = ppid;
  }
  return out;
}
