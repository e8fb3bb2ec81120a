// A process and its descendants: list them, stop them all (polite, then forced), sum their memory.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { isDeadState, procStatFields, readProcFile, tryReadProcFile } from '../util/procfs.js';
import { isProcessAlive } from '../util/process-identity.js';
import { monotonicMs } from '../util/clock.js';
import { sleep } from '../util/sleep.js';

/** How a tree stop ended: `forced` when something was still alive after the grace period and got SIGKILL. */
export interface StopResult {
  forced: boolean;
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
 * Linux: the `/proc/<pid>/task/<tid>/children` files (walks only the tree), falling back to a ppid walk over
 * `/proc/<n>/stat`; macOS and other POSIX: `ps -A -o pid=,ppid=`; Windows: PowerShell `Get-CimInstance
 * Win32_Process`, then `wmic` when PowerShell is missing. Best effort: a process may appear or vanish meanwhile.
 */
export async function listDescendants(pid: number): Promise<number[]> {
  if (isLinux) {
    const viaChildren = await descendantsViaChildrenFiles(pid);
    if (viaChildren !== undefined) return viaChildren;
  }
  return descendantsFromTable(pid, await processTable());
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

  if (isWindows) await taskkill(pid, false);
  else sendAll(signalled, group ? pid : null, signal);

  // The group may still exist after every known pid is gone: zombies not reaped yet (our own child is reaped by
  // Node within a tick), or processes that joined the group after the snapshot. Only when that lasts do we look
  // at the group's members (Linux: one /proc pass, after 20 ms, then at most every 50 ms); new live members are tracked too.
  let groupOnlySince: number | undefined;
  let lastScan = 0;
  const allGone = (): boolean => {
    for (const p of signalled) if (isAlive(p)) return false;
    if (!group || !groupExists(pid)) return true;
    const now = monotonicMs();
    groupOnlySince ??= now;
    if (now - groupOnlySince < 20 || now - lastScan < 50) return false;
    lastScan = now;
    const live = liveGroupMembers(pid);
    if (live === undefined) return false;
    for (const p of live) signalled.add(p);
    return live.length === 0;
  };

  const graceEnd = t0 + opts.graceMs;
  while (!allGone()) {
    const left = graceEnd - monotonicMs();
    if (left <= 0 || opts.forceSignal?.aborted) {
      // Forced: anything the survivors started meanwhile goes too.
      for (const p of [...signalled]) {
        if (!isAlive(p)) continue;
        for (const d of await listDescendants(p).catch(() => [] as number[])) signalled.add(d);
      }
      if (isWindows) await taskkill(pid, true);
      sendAll(signalled, group ? pid : null, 'SIGKILL');
      const killEnd = monotonicMs() + killWaitMs;
      while (!allGone() && monotonicMs() < killEnd) await sleep(pollMs);
      return { forced: true, durationMs: Math.round(monotonicMs() - t0), pids: [...signalled] };
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

/** Whether `pid` is a live process (a zombie counts as gone on Linux). */
export function isAlive(pid: number): boolean {
  return isProcessAlive(pid);
}

// --- helpers -------------------------------------------------------------------------------------------------

function sendAll(pids: Iterable<number>, pgid: number | null, signal: NodeJS.Signals): void {
  if (pgid !== null) trySignal(-pgid, signal);
  for (const p of pids) trySignal(p, signal);
}

function trySignal(target: number, signal: NodeJS.Signals): void {
  try {
    process.kill(target, signal);
  } catch {
    // gone already, or not ours
  }
}

/** Whether any process (zombies included) is in group `pgid`. */
function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Linux: the group's members that are not zombies (synchronous /proc pass, a few ms); elsewhere undefined (unknown). */
function liveGroupMembers(pgid: number): number[] | undefined {
  if (!isLinux) return undefined;
  const out: number[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const text = tryReadProcFile(`/proc/${name}/stat`);
    if (text === undefined) continue;
    const stat = parseStat(text);
    if (stat && stat.pgrp === pgid && !isDeadState(stat.state)) out.push(Number(name));
  }
  return out;
}

interface StatFields {
  state: string;
  ppid: number;
  pgrp: number;
}

/** Parse `/proc/<pid>/stat`: `pid (comm) state ppid pgrp …` (see procStatFields). */
function parseStat(text: string): StatFields | undefined {
  const f = procStatFields(text);
  if (!f) return undefined;
  const ppid = Number(f[1]);
  const pgrp = Number(f[2]);
  if (!f[0] || !Number.isInteger(ppid) || !Number.isInteger(pgrp)) return undefined;
  return { state: f[0], ppid, pgrp };
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
    const tids = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
    const lists = tids.map((tid) => readChildrenFile(`/proc/${pid}/task/${tid}/children`));
    if (first && tids.length > 0 && lists.every((l) => l instanceof Error && l.code === 'ENOENT')) {
      // The task dir exists but no children file: the kernel does not provide it.
      return isAlive(root) ? undefined : [];
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

function readChildrenFile(file: string): string | NodeJS.ErrnoException {
  try {
    return readProcFile(file);
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
}

/** All processes as `[pid, ppid]` pairs. */
async function processTable(): Promise<Array<[number, number]>> {
  if (isLinux) {
    const names = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
    const rows: Array<[number, number]> = [];
    for (const n of names) {
      const stat = parseStat(tryReadProcFile(`/proc/${n}/stat`) ?? '');
      if (stat) rows.push([Number(n), stat.ppid]);
    }
    return rows;
  }
  if (isWindows) {
    const ps = await run('powershell.exe', [
      '-NoProfile',
      '-NonInteractive',
      '-Command',
      'Get-CimInstance Win32_Process | ForEach-Object { "$($_.ProcessId) $($_.ParentProcessId)" }',
    ]).catch(() => undefined);
    if (ps !== undefined) return pairs(ps);
    return pairs(wmicToPairs(await run('wmic', ['process', 'get', 'ProcessId,ParentProcessId', '/format:csv'])));
  }
  return pairs(await run('ps', ['-A', '-o', 'pid=,ppid=']));
}

/** `wmic … /format:csv` prints `Node,ParentProcessId,ProcessId`; reorder to `pid ppid` lines. */
function wmicToPairs(csv: string): string {
  return csv
    .split(/\r?\n/)
    .map((l) => l.split(','))
    .filter((f) => f.length >= 3 && /^\d+$/.test(f[2]?.trim() ?? ''))
    .map((f) => `${f[2]?.trim()} ${f[1]?.trim()}`)
    .join('\n');
}

function pairs(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const line of text.split(/\r?\n/)) {
    const [a, b] = line.trim().split(/\s+/);
    const pid = Number(a);
    const ppid = Number(b);
    if (a && b && Number.isInteger(pid) && Number.isInteger(ppid)) out.push([pid, ppid]);
  }
  return out;
}

function descendantsFromTable(root: number, table: ReadonlyArray<[number, number]>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of table) {
    if (pid === ppid) continue;
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const out: number[] = [];
  const seen = new Set<number>([root]);
  const queue = [root];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift() as number) ?? []) {
      if (seen.has(c)) continue;
      seen.add(c);
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { windowsHide: true, timeout: 10_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(stdout);
    });
  });
}

async function taskkill(pid: number, force: boolean): Promise<void> {
  await run('taskkill', ['/pid', String(pid), '/T', ...(force ? ['/F'] : [])]).catch(() => undefined);
}
