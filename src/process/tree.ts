// A process and its descendants: list them, stop them all (polite, then forced), sum their memory.
import { readdirSync } from 'node:fs';
import { isDeadState, procStatFields, readProcFile, tryReadProcFile } from '../util/procfs.js';
import { monotonicMs } from '../util/clock.js';
import { sleep } from '../util/sleep.js';
import { runCommand } from './command.js';
import { isProcessAlive, processGroupExists } from './liveness.js';
import { descendantsIn, readProcessTable, readProcfsTable } from './table.js';

/** How a tree stop ended: `forced` when something was still alive after the grace period and got SIGKILL. */
export interface StopResult {
  forced: boolean;
  /**
   * Windows: the polite request was refused, so the tree was terminated at once instead of after the grace.
   * `taskkill` without /F only asks windows to close; a console bot has none (and Windows has no signals), so
   * there is nothing to wait for. Nothing is lost by it: the supervisor drains the bot first (see supervisor.ts).
   */
  noGracefulStop?: boolean;
  /** From the call (the tree snapshot included) until every process was gone (or we gave up waiting after SIGKILL), ms. */
  durationMs: number;
  /** Every pid that was signalled (the root, its group and descendants found before and during the stop). */
  pids: number[];
}

export interface StopTreeOptions {
  /** How long the tree may take to exit after the polite signal before SIGKILL, ms. */
  graceMs: number;
  /** The polite signal. Default `SIGTERM`. */
  signal?: NodeJS.Signals;
  /** Also signal the process group `-pid` (POSIX; the root leads its own group when started by `spawnChild`). Default true. */
  group?: boolean;
  /** Aliveness poll interval, ms. Default 10. */
  pollMs?: number;
  /** How long to wait for the kernel to reap processes after SIGKILL before reporting, ms. Default 2000. */
  killWaitMs?: number;
  /** Aborting it cuts the grace period short: SIGKILL at once (a second Ctrl-C). */
  forceSignal?: AbortSignal;
  /**
   * `pid` is a process group whose leader has already exited and been reaped (what a crashed bot left behind):
   * signal only the group, never the pid itself (it may belong to someone else by now). POSIX only.
   */
  leaderGone?: boolean;
}

const isLinux = process.platform === 'linux';
const isWindows = process.platform === 'win32';

/**
 * Every descendant of `pid` (children, grandchildren, … including ones that called setsid), not `pid` itself.
 * Linux: the `/proc/<pid>/task/<tid>/children` files (walks only the tree), falling back to a ppid walk over the
 * process table (table.ts: /proc, `ps`, PowerShell or wmic). Best effort: a process may appear or vanish meanwhile.
 */
export async function listDescendants(pid: number): Promise<number[]> {
  if (isLinux) {
    const viaChildren = await descendantsViaChildrenFiles(pid);
    if (viaChildren !== undefined) return viaChildren;
  }
  return descendantsIn(await readProcessTable(), pid);
}

/**
 * Stop `pid` and everything below it: snapshot the tree BEFORE signalling (a grandchild that called setsid is
 * reparented to init once its parent dies, and could not be found afterwards), send `signal` to the group and to
 * every process of the snapshot, poll every `pollMs` until all are gone, then SIGKILL whatever remains after
 * `graceMs` (looking for new descendants once more first). Windows: `taskkill /pid N /T`, then `/T /F`.
 */
export async function stopTree(pid: number, opts: StopTreeOptions): Promise<StopResult> {
  const signal = opts.signal ?? 'SIGTERM';
  const pollMs = opts.pollMs ?? 10;
  const killWaitMs = opts.killWaitMs ?? 2_000;
  const t0 = monotonicMs();
  const leaderGone = (opts.leaderGone ?? false) && !isWindows;
  const group = ((opts.group ?? true) || leaderGone) && !isWindows;
  const signalled = new Set<number>(leaderGone ? [] : [pid]);
  if (!leaderGone) for (const p of await listDescendants(pid).catch(() => [] as number[])) signalled.add(p);

  // Windows: a refused polite request means no grace can help; terminate at once (see StopResult.noGracefulStop).
  const refused = isWindows && !(await taskkill(pid, false));
  if (!isWindows) sendAll(signalled, group ? pid : null, signal);

  // The group may still exist after every known pid is gone: zombies not reaped yet (our own child is reaped by
  // Node within a tick), or processes that joined the group after the snapshot. Only when that lasts do we look
  // at the group's members (Linux: one /proc pass, after 20 ms, then at most every 50 ms); new live members are tracked too.
  let groupOnlySince: number | undefined;
  let lastScan = 0;
  const allGone = (): boolean => {
    for (const p of signalled) if (isProcessAlive(p)) return false;
    if (!group || !processGroupExists(pid)) return true;
    const now = monotonicMs();
    groupOnlySince ??= now;
    if (now - groupOnlySince < 20 || now - lastScan < 50) return false;
    lastScan = now;
    const live = liveGroupMembers(pid);
    if (live === undefined) return false;
    for (const p of live) signalled.add(p);
    return live.length === 0;
  };

  const graceEnd = refused ? t0 : t0 + opts.graceMs;
  while (!allGone()) {
    const left = graceEnd - monotonicMs();
    if (left <= 0 || opts.forceSignal?.aborted) {
      // Forced: anything the survivors started meanwhile goes too.
      for (const p of [...signalled]) {
        if (!isProcessAlive(p)) continue;
        for (const d of await listDescendants(p).catch(() => [] as number[])) signalled.add(d);
      }
      // Windows: `taskkill /T /F`; where /T is refused (Wine), each process of the snapshot is terminated below
      // (Node's SIGKILL is TerminateProcess there), children first so none is left under a dead cmd.exe.
      if (isWindows) await taskkill(pid, true);
      sendAll(isWindows ? [...signalled].reverse() : signalled, group ? pid : null, 'SIGKILL');
      const killEnd = monotonicMs() + killWaitMs;
      while (!allGone() && monotonicMs() < killEnd) await sleep(pollMs);
      return { forced: true, ...(refused ? { noGracefulStop: true } : {}), durationMs: Math.round(monotonicMs() - t0), pids: [...signalled] };
    }
    await sleep(Math.min(pollMs, left));
  }
  return { forced: false, durationMs: Math.round(monotonicMs() - t0), pids: [...signalled] };
}

/** Resident memory of `pid` and all its descendants, bytes (0 when it is gone). Linux: /proc status; else pidusage. */
export async function treeRss(pid: number): Promise<number> {
  const pids = [pid, ...(await listDescendants(pid).catch(() => [] as number[]))];
  if (isLinux) {
    return pids.reduce((sum, p) => sum + rssLinux(p), 0);
  }
  // pidusage rejects the whole batch when one pid vanished, so ask one at a time.
  // Loaded only here: on Linux /proc answers and pidusage would be dead weight in a long-lived process.
  const { default: pidusage } = await import('pidusage');
  const sizes = await Promise.all(pids.map((p) => pidusage(p).then((s) => s.memory, () => 0)));
  return sizes.reduce((a, b) => a + b, 0);
}

// --- helpers -------------------------------------------------------------------------------------------------

/**
 * Signal the group `pgid` (when given) and every pid of `pids` that the group signal did not reach, each process
 * once: a second SIGTERM is "stop NOW" to many bots (python-telegram-bot 20+ then exits without handling the updates
 * it already fetched and confirmed). Membership is read from /proc on Linux; elsewhere only the root (`pgid`, which
 * leads its group) is known to be a member, and the rest are signalled one by one.
 */
function sendAll(pids: Iterable<number>, pgid: number | null, signal: NodeJS.Signals): void {
  const rest = pgid !== null && trySignal(-pgid, signal) ? pidsOutsideGroup(pids, pgid) : pids;
  for (const p of rest) trySignal(p, signal);
}

/** The pids of `pids` not in process group `pgid` (Linux /proc; elsewhere only the group's leader is known to be in it). */
export function pidsOutsideGroup(pids: Iterable<number>, pgid: number): number[] {
  const out: number[] = [];
  for (const p of pids) {
    if (p === pgid) continue;
    const text = isLinux ? tryReadProcFile(`/proc/${p}/stat`) : undefined;
    if (text === undefined || Number(procStatFields(text)?.[2]) !== pgid) out.push(p);
  }
  return out;
}

function trySignal(target: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch {
    return false; // gone already, or not ours
  }
}

/** Linux: the group's members that are not zombies (one synchronous /proc pass, a few ms); elsewhere undefined (unknown). */
function liveGroupMembers(pgid: number): number[] | undefined {
  if (!isLinux) return undefined;
  try {
    return readProcfsTable()
      .filter((p) => p.pgrp === pgid && !isDeadState(p.state))
      .map((p) => p.pid);
  } catch {
    return undefined;
  }
}

function rssLinux(pid: number): number {
  const status = tryReadProcFile(`/proc/${pid}/status`) ?? '';
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m?.[1] ? Number(m[1]) * 1024 : 0;
}

/** Linux: walk `/proc/<pid>/task/<tid>/children`; undefined when the kernel lacks that file (CONFIG_PROC_CHILDREN). */
async function descendantsViaChildrenFiles(root: number): Promise<number[] | undefined> {
  const out: number[] = [];
  const seen = new Set<number>([root]);
  const queue = [root];
  let first = true;
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    const tids = readTasks(pid);
    const lists = tids.map((tid) => readChildrenFile(`/proc/${pid}/task/${tid}/children`));
    if (first && tids.length > 0 && lists.every((l) => l instanceof Error && l.code === 'ENOENT')) {
      // The task dir exists but no children file: the kernel does not provide it.
      return isProcessAlive(root) ? undefined : [];
    }
    first = false;
    for (const list of lists) {
      if (typeof list !== 'string') continue;
      for (const s of list.split(' ')) {
        const child = Number(s);
        if (!s || !Number.isInteger(child) || seen.has(child)) continue;
        seen.add(child);
        out.push(child);
        queue.push(child);
      }
    }
  }
  return out;
}

/** The thread ids of `pid` (synchronous: /proc is kernel memory, and the memory check walks every bot's tree every 2 s). */
function readTasks(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
}

function readChildrenFile(file: string): string | NodeJS.ErrnoException {
  try {
    return readProcFile(file);
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
}

/** `taskkill /pid N /T [/F]`; false when it failed (refused, no such process, or /T unknown as in Wine). */
async function taskkill(pid: number, force: boolean): Promise<boolean> {
  return runCommand('taskkill', ['/pid', String(pid), '/T', ...(force ? ['/F'] : [])]).then(
    () => true,
    () => false,
  );
}
