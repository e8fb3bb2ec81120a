// Start the bot command as a child process: argv (no shell), its own process group on POSIX, piped output, exit info.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { monotonicMs } from '../util/clock.js';
import { redact } from '../util/redact.js';

/** How a child ended. `spawn-failed`: the OS never started it (`error` says why, e.g. "command not found: X"). */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
  reason: 'exited' | 'signalled' | 'spawn-failed';
  error?: string;
}

/** What to start. The command is an argv array: no shell is involved unless the user's argv starts one. */
export interface SpawnOptions {
  /** `[file, ...args]`; must not be empty. */
  command: readonly string[];
  /** The child's complete environment (not merged with `process.env` here). */
  env: NodeJS.ProcessEnv;
  /** Working directory. Default: botwarden's own. */
  cwd?: string;
  /** The child's stdin. Default `ignore` (a supervised bot reads no terminal). */
  stdin?: 'ignore' | 'inherit';
}

/** A started (or refused) child. `pid` is null when the OS refused to start it; `exited` then resolves at once. */
export interface ChildHandle {
  pid: number | null;
  /** When it was started, monotonic ms (`util/clock.ts`). */
  startedAt: number;
  /** Resolves once, when the process has exited (or could not be started). Never rejects. */
  exited: Promise<ExitInfo>;
  /** The child's stdout/stderr pipes (empty streams when the spawn failed). */
  stdout: Readable | null;
  stderr: Readable | null;
  /** Process group id to signal (POSIX: the child leads its own group, so it equals `pid`); null on Windows. */
  pgid: number | null;
}

const isWindows = process.platform === 'win32';

/**
 * Start `opts.command`. Resolves as soon as the OS has started the process or refused to (ENOENT → "command not
 * found: X", EACCES → "not executable: X"); a refusal is reported through `exited` (reason `spawn-failed`), never thrown.
 * POSIX: `detached: true`, so the child leads its own process group and `tree.stopTree` can signal the group.
 * Windows: no new console (`windowsHide`); `.cmd`/`.bat` go through `cmd.exe` (see `resolveWindowsCommand`).
 */
export async function spawnChild(opts: SpawnOptions): Promise<ChildHandle> {
  const [file, ...args] = opts.command;
  if (file === undefined || file === '') throw new TypeError('spawnChild: command must not be empty');
  const startedAt = monotonicMs();
  const failed = (error: string): ChildHandle => ({
    pid: null,
    startedAt,
    exited: Promise.resolve({ code: null, signal: null, reason: 'spawn-failed', error: redact(error) }),
    stdout: null,
    stderr: null,
    pgid: null,
  });

  let child: ChildProcess;
  try {
    const target = isWindows
      ? resolveWindowsCommand(file, args, { env: opts.env, cwd: opts.cwd ?? process.cwd(), exists: fileExists })
      : { file, args, verbatim: false };
    child = spawn(target.file, target.args, {
      env: opts.env,
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
      stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'],
      detached: !isWindows,
      windowsHide: true,
      windowsVerbatimArguments: target.verbatim,
      shell: false,
    });
  } catch (err) {
    return failed(describeSpawnError(err, file, opts.cwd));
  }

  const started = await new Promise<{ ok: true } | { ok: false; error: string }>((resolve) => {
    const onSpawn = (): void => {
      child.off('error', onError);
      resolve({ ok: true });
    };
    const onError = (err: Error): void => {
      child.off('spawn', onSpawn);
      resolve({ ok: false, error: describeSpawnError(err, file, opts.cwd) });
    };
    child.once('spawn', onSpawn);
    child.once('error', onError);
  });
  if (!started.ok || child.pid === undefined) {
    child.stdout?.destroy();
    child.stderr?.destroy();
    return failed(started.ok ? `could not start ${file}` : started.error);
  }

  const pid = child.pid;
  const pgid = isWindows ? null : pid;
  // Errors after a successful spawn (e.g. a failed kill) carry nothing for us: the exit event says how it ended.
  child.on('error', () => undefined);
  return { pid, startedAt, exited: trackExit(child, pgid), stdout: child.stdout, stderr: child.stderr, pgid };
}

/** How `child` ends; its process group (POSIX) is killed with botwarden until then (see registerGroup). */
function trackExit(child: ChildProcess, pgid: number | null): Promise<ExitInfo> {
  if (pgid !== null) registerGroup(pgid);
  return new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      if (pgid !== null) forgetGroup(pgid);
      resolve(signal ? { code: null, signal, reason: 'signalled' } : { code, signal: null, reason: 'exited' });
    });
  });
}

/**
 * A process started ahead of time that becomes the bot on `start()`: `/bin/sh` waiting for one line on its stdin, then
 * `exec`ing the command (same pid, process group and pipes). A restart after a crash then costs a pipe write and an
 * exec instead of forking botwarden's ~50 MB process (the fork dominates Node's spawn: ~2 of ~5 ms). It runs nothing
 * of the bot before `start()`; if botwarden dies first, its stdin closes and the shell exits without running it.
 */
export interface PreparedChild {
  /** Run the command now; undefined when the prepared process is already gone (spawn normally then). */
  start(): ChildHandle | undefined;
  /** Discard it (it exits without running the command). Safe twice; a no-op after start(). */
  discard(): void;
}

/** `read` one line, or exit quietly on EOF (botwarden gone); then become the command, stdin from /dev/null. */
const PREPARED_SCRIPT = 'IFS= read -r _ || exit 0; exec "$0" "$@" </dev/null';

/**
 * Prepare `opts.command` for a quick start (POSIX, stdin `ignore` only; undefined elsewhere or when /bin/sh cannot
 * be started). Use it for a command that already started once: a command that does not exist shows up as exit 127
 * after start(), not as a spawn failure.
 */
export function prepareChild(opts: SpawnOptions): PreparedChild | undefined {
  // A command named like an option (`-x`) would be read as an option of `exec` by some shells: start it normally.
  if (isWindows || (opts.stdin ?? 'ignore') !== 'ignore' || opts.command.length === 0 || (opts.command[0] ?? '-').startsWith('-')) return undefined;
  let child: ChildProcess;
  try {
    child = spawn('/bin/sh', ['-c', PREPARED_SCRIPT, ...opts.command], {
      env: opts.env,
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      shell: false,
    });
  } catch {
    return undefined;
  }
  child.on('error', () => undefined);
  child.stdin?.on('error', () => undefined);
  let gone = false;
  let used = false;
  child.once('exit', () => (gone = true));
  const exitInfo = trackExit(child, child.pid ?? null);
  return {
    start: () => {
      if (used || gone || child.pid === undefined || !child.stdin || child.stdin.destroyed) return undefined;
      used = true;
      child.stdin.end('\n');
      return { pid: child.pid, startedAt: monotonicMs(), exited: exitInfo, stdout: child.stdout, stderr: child.stderr, pgid: child.pid };
    },
    discard: () => {
      if (used) return;
      used = true;
      child.stdin?.destroy(); // EOF: the shell exits without running the command
      child.stdout?.destroy();
      child.stderr?.destroy();
      if (!gone && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
}

/** Turn a spawn error into a message a user can act on. */
export function describeSpawnError(err: unknown, file: string, cwd?: string): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') {
    if (cwd !== undefined && !existsSync(cwd)) return `working directory not found: ${cwd}`;
    return `command not found: ${file}`;
  }
  if (code === 'EACCES' || code === 'EPERM') return `not executable: ${file} (check its permissions, or run it through its interpreter)`;
  if (code === 'EINVAL' && isWindows) return `cannot start ${file} directly on Windows (a .cmd/.bat needs cmd.exe)`;
  const message = err instanceof Error ? err.message : String(err);
  return `could not start ${file}: ${message}`;
}

// --- children die with botwarden -----------------------------------------------------------------------------
// Node cannot set PR_SET_PDEATHSIG, so a SIGKILLed botwarden leaves its bot running (the service manager's cgroup
// catches that case). Every other way out of botwarden (normal exit, uncaught exception, process.exit) runs the
// 'exit' hook below, which SIGKILLs the process group of every child still alive. The polite stop (SIGTERM, wait)
// is the supervisor's job before that; this hook is the last resort, so it does not wait. Windows needs no hook:
// libuv puts every non-detached child in a job object that is killed when botwarden's last handle to it closes.
const liveGroups = new Set<number>();
const killLiveGroups = (): void => {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
};

function registerGroup(pgid: number): void {
  if (liveGroups.size === 0) process.on('exit', killLiveGroups);
  liveGroups.add(pgid);
}

function forgetGroup(pgid: number): void {
  liveGroups.delete(pgid);
  if (liveGroups.size === 0) process.off('exit', killLiveGroups);
}

/** Process groups of children that are still running (for tests and diagnostics). */
export function liveChildGroups(): number[] {
  return [...liveGroups];
}

// --- Windows command resolution ------------------------------------------------------------------------------

/** What to hand to `child_process.spawn` on Windows. */
export interface WindowsTarget {
  file: string;
  args: string[];
  /** `windowsVerbatimArguments`: true when we quoted the line for cmd.exe ourselves. */
  verbatim: boolean;
}

const CMD_META = /([()\][%!^"`<>&|;, *?])/g;

/**
 * Windows: libuv finds `.exe`/`.com` on PATH by itself, but since Node's CVE-2024-27980 fix a `.cmd`/`.bat`
 * (npm, npx, many venv launchers) cannot be spawned with `shell: false` (EINVAL). So: look the command up in
 * cwd + PATH with PATHEXT; an `.exe`/`.com` (or nothing found: libuv then reports ENOENT) is spawned directly;
 * a `.cmd`/`.bat` is run as `%ComSpec% /d /s /c "<line>"` with every argument quoted and cmd metacharacters
 * escaped (the approach of cross-spawn, including its double escaping for node_modules/.bin shims), so no
 * argument is ever interpreted by the shell.
 */
export function resolveWindowsCommand(
  file: string,
  args: readonly string[],
  ctx: { env: NodeJS.ProcessEnv; cwd: string; exists: (p: string) => boolean },
): WindowsTarget {
  const found = findOnWindowsPath(file, ctx);
  if (found === undefined || !/\.(cmd|bat)$/i.test(found)) return { file: found ?? file, args: [...args], verbatim: false };
  const doubleEscape = /node_modules[\\/]\.bin[\\/][^\\/]+\.cmd$/i.test(found);
  const line = [path.win32.normalize(found).replace(CMD_META, '^$1'), ...args.map((a) => quoteCmdArgument(a, doubleEscape))].join(' ');
  return { file: ctx.env.ComSpec ?? ctx.env.COMSPEC ?? 'cmd.exe', args: ['/d', '/s', '/c', `"${line}"`], verbatim: true };
}

/** Quote one argument for `cmd.exe /s /c "…"` (CommandLineToArgvW rules, then cmd's `^` escapes). */
export function quoteCmdArgument(arg: string, doubleEscape: boolean): string {
  let a = arg.replace(/(?=(\\+?)?)\1"/g, '$1$1\\"');
  a = a.replace(/(?=(\\+?)?)\1$/, '$1$1');
  a = `"${a}"`.replace(CMD_META, '^$1');
  return doubleEscape ? a.replace(CMD_META, '^$1') : a;
}

function findOnWindowsPath(file: string, ctx: { env: NodeJS.ProcessEnv; cwd: string; exists: (p: string) => boolean }): string | undefined {
  const env = ctx.env;
  const exts = (env.PATHEXT ?? env.Pathext ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean);
  const hasExt = exts.some((e) => file.toLowerCase().endsWith(e.toLowerCase()));
  const candidates = (base: string): string[] => (hasExt ? [base] : exts.map((e) => base + e.toLowerCase()));
  const hasDir = /[\\/]/.test(file);
  const dirs = hasDir ? [''] : [ctx.cwd, ...(env.PATH ?? env.Path ?? '').split(';').filter(Boolean)];
  for (const dir of dirs) {
    const base = dir === '' ? path.win32.resolve(ctx.cwd, file) : path.win32.join(dir, file);
    for (const c of candidates(base)) if (ctx.exists(c)) return c;
  }
  return undefined;
}

function fileExists(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
