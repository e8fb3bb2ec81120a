// Child processes for benchmarks: spawn in their own group, wait with a deadline, kill the group, liveness checks.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { groupsOf } from '../../test/helpers/process-groups.js';

/** A spawned process with its collected output. */
export interface Proc {
  child: ChildProcess;
  pid: number;
  /** stdout+stderr so far (bounded to the last 64 KiB). */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  hasExited(): boolean;
  /** Resolves when the output matches `re` (returns the match), rejects after `timeoutMs` or on exit. */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGTERM the group, SIGKILL after `graceMs` (default 3000 ms); safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

const MAX_OUTPUT = 64 * 1024;

/** Spawn a process in its own process group (POSIX; on Windows a plain child) with stdout/stderr captured. */
export function startProc(cmd: string, args: readonly string[], opts: SpawnOptions = {}): Proc {
  const child = spawn(cmd, [...args], { ...opts, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
  if (child.pid === undefined) throw new Error(`could not spawn ${cmd}`);
  const pid = child.pid;
  let out = '';
  let done = false;
  const listeners = new Set<() => void>();
  const onData = (b: Buffer): void => {
    out += b.toString('utf8');
    if (out.length > MAX_OUTPUT) out = out.slice(-MAX_OUTPUT);
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      for (const l of listeners) l();
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', () => {
      done = true;
      resolve('spawn-error');
    });
  });
  const waitFor = (re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const m = re.exec(out);
        if (m) finish(() => resolve(m));
        else if (done) finish(() => reject(new Error(`${cmd} exited before printing ${re}; output:\n${tail(out)}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${re} from ${cmd}; output:\n${tail(out)}`))), timeoutMs);
      const finish = (f: () => void): void => {
        clearTimeout(timer);
        listeners.delete(check);
        f();
      };
      listeners.add(check);
      check();
    });
  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 3000): Promise<void> => {
    stopping ??= (async () => {
      if (!done) {
        killGroup(pid, 'SIGTERM');
        const t = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(t);
      }
      // Whatever the leader left behind in its group goes too.
      killGroup(pid, 'SIGKILL');
    })();
    return stopping;
  };
  return { child, pid, output: () => out, exited, hasExited: () => done, waitFor, stop };
}

function tail(s: string): string {
  return s.length > 2000 ? `…${s.slice(-2000)}` : s;
}

/** Signal a whole process group (POSIX), or the single process (Windows fallback); never throws. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    if (process.platform === 'win32') process.kill(pid, signal);
    else process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/**
 * SIGKILL a process group and the groups of everything under it ("the machine died"): botwarden starts each bot in its
 * own group, and a bot left behind would keep polling its dead gateway's port. Never throws.
 */
export function killHost(pid: number): void {
  const groups = groupsOf(pid);
  for (const g of new Set([pid, ...groups])) killGroup(g, 'SIGKILL');
}

/** Signal one process; never throws. */
export function killPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}


/** Run a command to completion (bounded by `timeoutMs`), returning its exit code and output. */
export async function runCmd(
  cmd: string,
  args: readonly string[],
  opts: SpawnOptions & { timeoutMs?: number } = {},
): Promise<{ code: number | string; output: string }> {
  const p = startProc(cmd, args, opts);
  const timer = setTimeout(() => void p.stop(500), opts.timeoutMs ?? 30_000);
  try {
    const code = await p.exited;
    return { code, output: p.output() };
  } finally {
    clearTimeout(timer);
    await p.stop(500);
  }
}

/** Poll `check` every `everyMs` until it returns a non-undefined value or `timeoutMs` passes (→ undefined). */
export async function pollUntil<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs: number, everyMs = 10): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() >= end) return undefined;
    await delay(everyMs);
  }
}

/** Plain promise delay. */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Wall-clock milliseconds with sub-millisecond precision (same clock the fixtures use). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
