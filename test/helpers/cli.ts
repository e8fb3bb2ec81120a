// Test helpers: run the botwarden CLI from source (tsx), wait for output, and make sure nothing is left running.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_SOURCE = fileURLToPath(new URL('../../src/bin/botwarden.ts', import.meta.url));

export interface Spawned {
  child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolve with the first stdout+stderr match of `re`, or reject after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolve with the exit code (or signal name) once the process ended. */
  exited(): Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. Safe to call twice. */
  stop(graceMs?: number): Promise<number | string>;
}

/** Spawn `botwarden <args>` from the TypeScript source. */
export function spawnCli(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Spawned {
  return spawnProcess(process.execPath, ['--import', 'tsx', CLI_SOURCE, ...args], opts);
}

/** Spawn any command with output captured (`onOutput` also sees each chunk of stdout and stderr as it comes). */
export function spawnProcess(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; detached?: boolean; onOutput?: (chunk: string) => void } = {}): Spawned {
  const child = spawn(cmd, [...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, NODE_NO_WARNINGS: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.detached ?? false,
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const w of [...waiters]) w();
  };
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    opts.onOutput?.(d);
    notify();
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    opts.onOutput?.(d);
    notify();
  });
  const exitPromise = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
      notify();
    });
    child.on('error', () => resolve('spawn-error'));
  });
  let ended = false;
  void exitPromise.then(() => {
    ended = true;
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited: () => exitPromise,
    waitFor(re, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = (out + err).match(re);
          if (m) {
            cleanup();
            resolve(m);
          } else if (ended) {
            cleanup();
            reject(new Error(`process exited before ${re} appeared\nstdout:\n${out}\nstderr:\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${re}\nstdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop(graceMs = 5_000) {
      if (!ended) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exitPromise;
        clearTimeout(t);
      }
      return exitPromise;
    },
  };
}
