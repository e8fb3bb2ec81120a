// Starts `botwarden run` from source against an emulator, in a temp state dir, and reads its /status.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnCli, type Spawned } from './cli.js';
import type { StatusSnapshot } from '../../src/health/status.js';

export const RAW_ECHO = path.join(import.meta.dirname, '..', 'fixtures', 'bots', 'raw-echo.mjs');
export const EXAMPLES = path.join(import.meta.dirname, '..', '..', 'examples', 'bots');

/** A running `botwarden run` and its health URL. */
export interface RunningBotwarden extends Spawned {
  healthUrl: string;
  status(): Promise<StatusSnapshot>;
}

/** A temp state dir removed by the returned function. */
export function tempStateDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bw-state-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Spawn `botwarden run <args> -- <command>`; resolves once its health URL is printed. */
export async function startRun(opts: {
  token: string;
  apiRoot: string;
  stateDir: string;
  command: string[];
  args?: string[];
  env?: NodeJS.ProcessEnv;
  waitForHealth?: boolean;
}): Promise<RunningBotwarden> {
  const proc = spawnCli(['run', '--api-root', opts.apiRoot, '--state-dir', opts.stateDir, '--health-port', '0', ...(opts.args ?? []), '--', ...opts.command], {
    env: { BOT_TOKEN: opts.token, ...opts.env },
  });
  let healthUrl = '';
  if (opts.waitForHealth !== false) {
    try {
      const m = await proc.waitFor(/health: (http:\/\/127\.0\.0\.1:\d+)/, 20_000);
      healthUrl = m[1] ?? '';
    } catch (err) {
      await proc.stop();
      throw new Error(`${String(err)}\nstdout:\n${proc.stdout()}\nstderr:\n${proc.stderr()}`, { cause: err });
    }
  }
  return Object.assign(proc, {
    healthUrl,
    status: async () => (await (await fetch(`${healthUrl}/status`)).json()) as StatusSnapshot,
  });
}

/** True while `pid` runs; a zombie counts as gone (src/process/liveness.ts owns the check). */
export { isProcessAlive } from '../../src/process/liveness.js';
