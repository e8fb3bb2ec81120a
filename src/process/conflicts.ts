// Local processes that hold this bot's token (environment or command line): candidates for a 409 Conflict.
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { procStatFields, tryReadProcFile } from '../util/procfs.js';
import { redactKnown } from '../util/redact.js';

/** A process found holding the token. */
export interface TokenHolder {
  pid: number;
  /** Its command line, redacted and truncated to `COMMAND_MAX_CHARS`. */
  command: string;
  /** `BOTWARDEN_INSTANCE` from its environment: it is managed by that botwarden instance (Linux only). */
  managedBy?: string;
  /** Where the token was seen; `cmdline` wins when it is in both (a token in argv is visible to every user). */
  via: 'env' | 'cmdline';
}

export interface FindTokenHoldersOptions {
  /** Pids never reported (e.g. a botwarden instance's own bot). Self, our ancestors and our descendants are always skipped. */
  excludePids?: readonly number[];
}

/** Longest command shown, characters. */
export const COMMAND_MAX_CHARS = 200;

const TOKEN_CHAR = /[A-Za-z0-9_-]/;

/**
 * Find processes whose environment or command line contains exactly `token` (bounded: `X123:…` or `…secretX` does
 * not count; never a match on a program name). Processes we may not read are skipped silently.
 * Linux: `/proc/<pid>/environ` and `/proc/<pid>/cmdline` (environments of other users' processes are unreadable
 * without root). macOS/other POSIX: command lines only (`ps -A -ww -o pid=,ppid=,command=`): the environment of
 * another process is not available there. Windows: command lines only (PowerShell `Get-CimInstance Win32_Process`).
 */
export async function findTokenHolders(token: string, opts: FindTokenHoldersOptions = {}): Promise<TokenHolder[]> {
  if (token.length < 8) return [];
  const table = await readProcesses();
  const skip = ownFamily(process.pid, table);
  for (const p of opts.excludePids ?? []) skip.add(p);
  const found: TokenHolder[] = [];
  for (const proc of table) {
    if (skip.has(proc.pid)) continue;
    const inArgs = proc.args.some((a) => holdsToken(a, token));
    // The raw NUL-separated text: a bounded match in it is a match in one entry (NUL is neither digit nor token char).
    const inEnv = proc.environ !== undefined && holdsToken(proc.environ, token);
    if (!inArgs && !inEnv) continue;
    const instance = proc.environ === undefined ? undefined : envValue(proc.environ, 'BOTWARDEN_INSTANCE');
    found.push({
      pid: proc.pid,
      command: showCommand(proc.args, proc.pid, token),
      ...(instance ? { managedBy: instance } : {}),
      via: inArgs ? 'cmdline' : 'env',
    });
  }
  return found.sort((a, b) => a.pid - b.pid);
}

/**
 * True when `text` contains `token` bounded: no digit right before it (that would be a longer bot id) and no secret
 * character right after it (a longer secret). Letters before are fine: `…/bot<token>/getMe`.
 */
export function holdsToken(text: string, token: string): boolean {
  for (let i = text.indexOf(token); i >= 0; i = text.indexOf(token, i + 1)) {
    const before = i > 0 ? text.charAt(i - 1) : '';
    const after = text.charAt(i + token.length);
    if (!/\d/.test(before) && !TOKEN_CHAR.test(after)) return true;
  }
  return false;
}

function showCommand(args: readonly string[], pid: number, token: string): string {
  const line = redactKnown(args.join(' ') || `(pid ${pid})`, [token]);
  return line.length > COMMAND_MAX_CHARS ? `${line.slice(0, COMMAND_MAX_CHARS - 1)}…` : line;
}

/** The value of `name` in a NUL-separated environment text, or undefined. */
function envValue(environ: string, name: string): string | undefined {
  const key = `${name}=`;
  for (let i = environ.indexOf(key); i >= 0; i = environ.indexOf(key, i + 1)) {
    if (i === 0 || environ.charCodeAt(i - 1) === 0) {
      const end = environ.indexOf('\0', i);
      return environ.slice(i + key.length, end < 0 ? undefined : end);
    }
  }
  return undefined;
}

interface ProcInfo {
  pid: number;
  ppid: number;
  args: string[];
  /** The environment as `/proc/<pid>/environ` holds it (`KEY=value` entries, NUL-separated), or undefined when unreadable. */
  environ: string | undefined;
}

/** `self`, its ancestors and all its descendants: never conflicts (the shell that exported BOT_TOKEN, our own bot). */
function ownFamily(self: number, table: readonly ProcInfo[]): Set<number> {
  const parent = new Map(table.map((p) => [p.pid, p.ppid]));
  const family = new Set<number>([self]);
  for (let cur = parent.get(self); cur !== undefined && cur > 0 && !family.has(cur); cur = parent.get(cur)) family.add(cur);
  const children = new Map<number, number[]>();
  for (const p of table) {
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const queue = [self];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift() as number) ?? []) {
      if (family.has(c)) continue;
      family.add(c);
      queue.push(c);
    }
  }
  return family;
}

async function readProcesses(): Promise<ProcInfo[]> {
  if (process.platform === 'linux') return readProcfs();
  if (process.platform === 'win32') {
    const out = await run('powershell.exe', [
      '-NoProfile',
      '-NonInteractive',
      '-Command',
      'Get-CimInstance Win32_Process | ForEach-Object { "$($_.ProcessId)`t$($_.ParentProcessId)`t$($_.CommandLine)" }',
    ]).catch(() => '');
    return out.split(/\r?\n/).flatMap((line) => {
      const [pid, ppid, ...cmd] = line.split('\t');
      return toInfo(pid, ppid, cmd.join('\t'));
    });
  }
  const out = await run('ps', ['-A', '-ww', '-o', 'pid=,ppid=,command=']).catch(() => '');
  return out.split('\n').flatMap((line) => {
    const m = /^\s*(\d+)\s+(\d+)\s(.*)$/.exec(line);
    return m ? toInfo(m[1], m[2], m[3] ?? '') : [];
  });
}

function toInfo(pid: string | undefined, ppid: string | undefined, command: string): ProcInfo[] {
  const p = Number(pid);
  const pp = Number(ppid);
  if (!pid || !Number.isInteger(p) || !Number.isInteger(pp)) return [];
  // The command line arrives as one string here; whitespace splitting is enough to search and show it.
  return [{ pid: p, ppid: pp, args: command.trim().split(/\s+/).filter(Boolean), environ: undefined }];
}

async function readProcfs(): Promise<ProcInfo[]> {
  const names = (await readdir('/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n));
  const infos = names.map((n): ProcInfo | undefined => {
    const pid = Number(n);
    const stat = read(`/proc/${n}/stat`);
    if (stat === undefined) return undefined; // gone meanwhile: its other files are gone too
    const cmdline = read(`/proc/${n}/cmdline`);
    const environ = read(`/proc/${n}/environ`);
    const ppid = Number(procStatFields(stat)?.[1]);
    return {
      pid,
      ppid: Number.isInteger(ppid) ? ppid : 0,
      args: (cmdline ?? '').split('\0').filter(Boolean),
      environ,
    };
  });
  return infos.filter((i): i is ProcInfo => i !== undefined);
}

function read(file: string): string | undefined {
  // latin1: byte-preserving; tokens are ASCII, and a strange byte elsewhere must not break the search.
  return tryReadProcFile(file, 'latin1');
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { windowsHide: true, timeout: 15_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(stdout);
    });
  });
}

/** True for the command line of a `botwarden run` (another instance of ours: the lease, not preflight, arbitrates). */
export function isBotwardenRun(command: string): boolean {
  return /(^|[\s/\\])botwarden(\.[cm]?[jt]s)?\s+(?:.*\s)?run(\s|$)/.test(command);
}
