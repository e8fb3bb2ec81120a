// This host's process table, one reader per OS: /proc on Linux, `ps` on macOS and other POSIX systems, PowerShell
// (CIM) on Windows with `wmic` as the fallback. Every module that lists processes reads them here.
import { readdirSync } from 'node:fs';
import { procStatFields, tryReadProcFile } from '../util/procfs.js';
import { runCommand, type CommandRunner } from './command.js';

/** One process as the table shows it. */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  /**
   * Its argv. Linux: exact (`/proc/<pid>/cmdline`, read only with `details`); elsewhere the command line split on
   * whitespace (enough to search and show it). Empty when unreadable or not read.
   */
  args: string[];
  /** Linux: its process group and state letter (`Z`/`X`: will never run again). Undefined elsewhere. */
  pgrp?: number;
  state?: string;
  /** Linux with `details`: `/proc/<pid>/environ` (`KEY=value` entries, NUL-separated); undefined when unreadable (another user's). */
  environ?: string;
}

export interface ProcessTableOptions {
  /** Linux: also read each process's command line and environment (elsewhere command lines always come with the table). */
  details?: boolean;
}

/** Longest a table command may run, ms; and its output, bytes (a busy Windows host prints a few MB of command lines). */
const TABLE_TIMEOUT_MS = 15_000;
const TABLE_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Every process on this host. Rejects when the table cannot be read at all (a table with no process in it counts as
 * unreadable: some process, ours, always runs). Best effort otherwise: a process may appear or vanish meanwhile.
 */
export async function readProcessTable(opts: ProcessTableOptions = {}): Promise<ProcessEntry[]> {
  if (process.platform === 'linux' || process.platform === 'android') return readProcfsTable(opts);
  if (process.platform === 'win32') return readWindowsTable(runCommand);
  return readPsTable(runCommand);
}

/**
 * A reader of the table (with `details`) that many callers share: a read started less than `maxAgeMs` ago (or still
 * running) answers them all. `botwarden up` gives it to its bots' preflights, so a hundred bots starting together
 * read the host's processes a few times, not a hundred times (each read is O(processes), and each bot adds two).
 * The table is dropped `maxAgeMs` after its read started: nothing stays in memory between start-ups.
 */
export function sharedProcessTable(maxAgeMs: number): () => Promise<ProcessEntry[]> {
  let last: Promise<ProcessEntry[]> | undefined;
  return () => {
    if (last) return last;
    const table = readProcessTable({ details: true });
    last = table;
    const forget = (): void => {
      if (last === table) last = undefined;
    };
    setTimeout(forget, maxAgeMs).unref();
    table.catch(forget);
    return table;
  };
}

/** Linux: `/proc/<pid>/stat` (and with `details` `cmdline` and `environ`) of every process. Synchronous: /proc is kernel memory. */
export function readProcfsTable(opts: ProcessTableOptions = {}): ProcessEntry[] {
  const out: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = tryReadProcFile(`/proc/${name}/stat`);
    if (stat === undefined) continue; // gone meanwhile: its other files are gone too
    const f = procStatFields(stat);
    const ppid = Number(f?.[1]);
    const pgrp = Number(f?.[2]);
    if (!f?.[0] || !Number.isInteger(ppid) || !Number.isInteger(pgrp)) continue;
    const entry: ProcessEntry = { pid: Number(name), ppid, pgrp, state: f[0], args: [] };
    if (opts.details) {
      // latin1: byte-preserving; tokens are ASCII, and a strange byte elsewhere must not break a search.
      entry.args = (tryReadProcFile(`/proc/${name}/cmdline`, 'latin1') ?? '').split('\0').filter(Boolean);
      const environ = tryReadProcFile(`/proc/${name}/environ`, 'latin1');
      if (environ !== undefined) entry.environ = environ;
    }
    out.push(entry);
  }
  if (out.length === 0) throw new Error('could not read the process table: /proc lists no process');
  return out;
}

/** macOS and other POSIX systems: `ps -A -ww -o pid=,ppid=,command=` (the environment of another process is not available). */
export async function readPsTable(run: CommandRunner): Promise<ProcessEntry[]> {
  const out = await run('ps', ['-A', '-ww', '-o', 'pid=,ppid=,command='], { timeoutMs: TABLE_TIMEOUT_MS, maxBuffer: TABLE_MAX_BYTES });
  const rows = out.split('\n').flatMap((line) => {
    const m = /^\s*(\d+)\s+(\d+)(?:\s(.*))?$/.exec(line);
    return m ? entry(m[1], m[2], m[3] ?? '') : [];
  });
  if (rows.length === 0) throw new Error('could not read the process table: ps printed no process');
  return rows;
}

/**
 * Windows: PowerShell `Get-CimInstance Win32_Process`; when PowerShell fails or prints no process (Wine's PowerShell
 * is a stub that prints nothing and succeeds), `wmic process get … /format:csv`. Rejects when neither lists a process.
 */
export async function readWindowsTable(run: CommandRunner): Promise<ProcessEntry[]> {
  const limits = { timeoutMs: TABLE_TIMEOUT_MS, maxBuffer: TABLE_MAX_BYTES };
  let why: string;
  try {
    const out = await run(
      'powershell.exe',
      ['-NoProfile', '-NonInteractive', '-Command', 'Get-CimInstance Win32_Process | ForEach-Object { "$($_.ProcessId)`t$($_.ParentProcessId)`t$($_.CommandLine)" }'],
      limits,
    );
    const rows = out.split(/\r?\n/).flatMap((line) => {
      const [pid, ppid, ...cmd] = line.split('\t');
      return entry(pid, ppid, cmd.join('\t'));
    });
    if (rows.length > 0) return rows;
    why = 'PowerShell printed no process';
  } catch (err) {
    why = `PowerShell failed (${err instanceof Error ? err.message : String(err)})`;
  }
  let out: string;
  try {
    out = await run('wmic', ['process', 'get', 'CommandLine,ParentProcessId,ProcessId', '/format:csv'], limits);
  } catch (err) {
    throw new Error(`could not read the process table: ${why}, and wmic failed (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  const rows = parseWmic(out);
  if (rows.length === 0) throw new Error(`could not read the process table: ${why}, and wmic printed no process`);
  return rows;
}

/**
 * `wmic process get CommandLine,ParentProcessId,ProcessId /format:csv` prints `Node,CommandLine,ParentProcessId,ProcessId`
 * (columns in alphabetical order). A command line may itself hold commas, so the two numbers are taken from the end
 * of the line. Wine's wmic ignores `/format:csv` and prints the same columns as a table padded with spaces: there
 * the two numbers are the last two words of the line.
 */
export function parseWmic(text: string): ProcessEntry[] {
  const lines = text.split(/\r*\n/);
  const csv = lines.some((l) => l.startsWith('Node,'));
  return lines.flatMap((line) => {
    if (csv) {
      const f = line.split(',');
      if (f.length < 4) return [];
      return entry(f[f.length - 1]?.trim(), f[f.length - 2]?.trim(), f.slice(1, -2).join(','));
    }
    const m = /^(.*?)\s*\b(\d+)\s+(\d+)\s*$/.exec(line);
    return m ? entry(m[3], m[2], m[1] ?? '') : [];
  });
}

function entry(pid: string | undefined, ppid: string | undefined, command: string): ProcessEntry[] {
  const p = Number(pid);
  const pp = Number(ppid);
  if (!pid || !/^\d+$/.test(pid.trim()) || !Number.isInteger(pp)) return [];
  return [{ pid: p, ppid: pp, args: command.trim().split(/\s+/).filter(Boolean) }];
}

/** Every descendant of `root` in `table` (children, grandchildren, …), not `root` itself, breadth first. */
export function descendantsIn(table: readonly ProcessEntry[], root: number): number[] {
  const children = new Map<number, number[]>();
  for (const { pid, ppid } of table) {
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

/** The ancestors of `pid` in `table`: parent, grandparent, … up to (not including) pid 0. */
export function ancestorsIn(table: readonly ProcessEntry[], pid: number): number[] {
  const parent = new Map(table.map((p) => [p.pid, p.ppid]));
  const out: number[] = [];
  const seen = new Set<number>([pid]);
  for (let cur = parent.get(pid); cur !== undefined && cur > 0 && !seen.has(cur); cur = parent.get(cur)) {
    seen.add(cur);
    out.push(cur);
  }
  return out;
}
