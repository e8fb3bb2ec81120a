// Which local processes hold this bot's token (environment or command line), and which of them conflict: the one
// definition `run`'s preflight and `doctor` both use. A conflict is a process that may poll getUpdates outside
// botwarden (→ 409 Conflict); botwarden instances, what they started, and shells that only pass the token on are not.
import path from 'node:path';
import { redactKnown } from '../util/redact.js';
import { ancestorsIn, descendantsIn, readProcessTable, type ProcessEntry } from './table.js';

/**
 * What a process that holds the token is:
 * - `botwarden`: a botwarden instance (its command line is `botwarden run …`, or a live instance record names its pid);
 * - `managed`: started by a botwarden instance (`BOTWARDEN_INSTANCE` in its environment, or a descendant of an instance);
 * - `pass-through`: a shell, terminal multiplexer or privilege wrapper: it passes the environment on and never polls;
 * - `conflict`: none of these, e.g. a forgotten copy of the bot: it would make every poll end in 409.
 */
export type HolderRole = 'botwarden' | 'managed' | 'pass-through' | 'conflict';

/** A process found holding the token. */
export interface TokenHolder {
  pid: number;
  /** Its command line, redacted and truncated to `COMMAND_MAX_CHARS`. */
  command: string;
  role: HolderRole;
  /** The botwarden instance it is (role `botwarden`) or was started by (`managed`), when known. */
  managedBy?: string;
  /**
   * Where the token was seen; `cmdline` wins when it is in both (a token in argv is visible to every user).
   * `instance-record`: not seen (the environment is unreadable here), but a live instance record of this bot names it.
   */
  via: 'env' | 'cmdline' | 'instance-record';
}

/** A live botwarden instance of this bot on this host, as its instance record names it. */
export interface KnownInstance {
  pid: number;
  instanceId: string;
}

export interface FindTokenHoldersOptions {
  /** Pids never reported. Self, our ancestors and our descendants are always skipped. */
  excludePids?: readonly number[];
  /**
   * This bot's live instances from the state dir's records: each counts as `botwarden` (and everything below it as
   * `managed`) even where the scan cannot read environments (macOS, Windows), and is reported even when unseen.
   */
  instances?: readonly KnownInstance[];
  /** The process table to search (tests); default: read this host's. */
  table?: readonly ProcessEntry[];
}

/** Longest command shown, characters. */
export const COMMAND_MAX_CHARS = 200;

/** Programs that hold the token only to pass it on to what they start (their children are judged on their own). */
const PASS_THROUGH = new Set([
  'sh', 'bash', 'zsh', 'fish', 'dash', 'ksh', 'tcsh', 'csh', 'tmux', 'screen', 'login', 'sudo', 'su', 'doas',
  'cmd.exe', 'powershell.exe', 'pwsh', 'pwsh.exe', 'powershell',
]);

const TOKEN_CHAR = /[A-Za-z0-9_-]/;

/**
 * Every process on this host whose environment or command line contains exactly `token` (bounded: `X123:…` or
 * `…secretX` does not count; never a match on a program name), each with its role; plus `instances` the scan did not
 * see. Processes we may not read are skipped silently. Linux: `/proc/<pid>/environ` and `cmdline` (environments of
 * other users' processes are unreadable without root); macOS, Windows: command lines only (table.ts).
 * Rejects when the process table cannot be read.
 */
export async function findTokenHolders(token: string, opts: FindTokenHoldersOptions = {}): Promise<TokenHolder[]> {
  if (token.length < 8) return [];
  const table = opts.table ?? (await readProcessTable({ details: true }));
  const skip = new Set([process.pid, ...ancestorsIn(table, process.pid), ...descendantsIn(table, process.pid), ...(opts.excludePids ?? [])]);
  const byPid = new Map(table.map((p) => [p.pid, p]));

  // Instances: from their records, and any `botwarden run` command line holding the token; below them, their bots and
  // helpers (e.g. tsx's esbuild service) that inherit the environment. The lease arbitrates between instances.
  const instanceOf = new Map<number, string | undefined>();
  for (const i of opts.instances ?? []) instanceOf.set(i.pid, i.instanceId);
  const found: Array<{ proc: ProcessEntry; via: 'env' | 'cmdline'; envInstance: string | undefined }> = [];
  for (const proc of table) {
    if (skip.has(proc.pid)) continue;
    const inArgs = proc.args.some((a) => holdsToken(a, token));
    // The raw NUL-separated text: a bounded match in it is a match in one entry (NUL is neither digit nor token char).
    const inEnv = proc.environ !== undefined && holdsToken(proc.environ, token);
    if (!inArgs && !inEnv) continue;
    const envInstance = proc.environ === undefined ? undefined : envValue(proc.environ, 'BOTWARDEN_INSTANCE') || undefined;
    found.push({ proc, via: inArgs ? 'cmdline' : 'env', envInstance });
    if (!instanceOf.has(proc.pid) && isBotwardenRun(proc.args.join(' '))) instanceOf.set(proc.pid, envInstance);
  }
  const startedBy = new Map<number, string | undefined>();
  for (const [pid, id] of instanceOf) for (const d of descendantsIn(table, pid)) if (!startedBy.has(d)) startedBy.set(d, id);

  const holders: TokenHolder[] = found.map(({ proc, via, envInstance }) => {
    const command = showCommand(proc.args, proc.pid, token);
    let role: HolderRole;
    let managedBy: string | undefined;
    if (instanceOf.has(proc.pid)) [role, managedBy] = ['botwarden', instanceOf.get(proc.pid)];
    else if (envInstance !== undefined || startedBy.has(proc.pid)) [role, managedBy] = ['managed', envInstance ?? startedBy.get(proc.pid)];
    else role = isPassThrough(proc.args) ? 'pass-through' : 'conflict';
    return { pid: proc.pid, command, role, ...(managedBy ? { managedBy } : {}), via };
  });
  for (const i of opts.instances ?? []) {
    if (skip.has(i.pid) || holders.some((h) => h.pid === i.pid)) continue;
    const args = byPid.get(i.pid)?.args ?? [];
    holders.push({ pid: i.pid, command: args.length ? showCommand(args, i.pid, token) : `(botwarden instance ${i.instanceId})`, role: 'botwarden', managedBy: i.instanceId, via: 'instance-record' });
  }
  return holders.sort((a, b) => a.pid - b.pid);
}

/** The holders that conflict: unmanaged processes that may poll with this token. */
export function conflictsAmong(holders: readonly TokenHolder[]): TokenHolder[] {
  return holders.filter((h) => h.role === 'conflict');
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

/** True for the command line of a `botwarden run` (another instance of ours: the lease, not preflight, arbitrates). */
export function isBotwardenRun(command: string): boolean {
  return /(^|[\s/\\])botwarden(\.[cm]?[jt]s)?\s+(?:.*\s)?(run|up)(\s|$)/.test(command);
}

/** A shell or multiplexer by its program name (`-bash` is a login shell). */
function isPassThrough(args: readonly string[]): boolean {
  const first = args[0] ?? '';
  return PASS_THROUGH.has(path.basename(first.replace(/^-/, '').replace(/\\/g, '/')).toLowerCase());
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
