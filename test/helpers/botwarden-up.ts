// Starts `botwarden up` from source with a generated config file, and reads its /status.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI_SOURCE, spawnCli, spawnProcess, type Spawned } from './cli.js';
import { groupsOf, killGroup, trackGroup } from './process-groups.js';
import type { FleetStatus } from '../../src/daemon/fleet.js';

/** A running `botwarden up` and its health URL. */
export interface RunningUp extends Spawned {
  healthUrl: string;
  status(): Promise<FleetStatus>;
  /** SIGKILL its process group and its bots' ("the host died"; started `detached`); resolves once it exited. Safe twice. */
  kill9(): Promise<void>;
}

/** Write `config` as JSON into `dir` and return its path. */
export function writeConfig(dir: string, config: unknown, name = 'botwarden.config.json'): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** Spawn `botwarden up --config FILE --state-dir DIR --health-port 0`; resolves once its health URL is printed. `detached`: own process group (kill -9 of the group). */
export async function startUp(opts: { config: string; stateDir: string; env?: NodeJS.ProcessEnv; detached?: boolean; args?: string[] }): Promise<RunningUp> {
  const args = ['up', '--config', opts.config, '--state-dir', opts.stateDir, '--health-port', '0', ...(opts.args ?? [])];
  const proc = opts.detached ? spawnProcess(process.execPath, ['--import', 'tsx', CLI_SOURCE, ...args], { env: opts.env ?? {}, detached: true }) : spawnCli(args, { env: opts.env ?? {} });
  if (opts.detached && proc.child.pid) trackGroup(proc.child.pid);
  let healthUrl = '';
  try {
    const m = await proc.waitFor(/health: (http:\/\/127\.0\.0\.1:\d+)/, 30_000);
    healthUrl = m[1] ?? '';
  } catch (err) {
    await proc.stop();
    throw new Error(`${String(err)}\nstdout:\n${proc.stdout()}\nstderr:\n${proc.stderr()}`, { cause: err });
  }
  return Object.assign(proc, {
    healthUrl,
    status: async () => (await (await fetch(`${healthUrl}/status`)).json()) as FleetStatus,
    async kill9() {
      if (!opts.detached) throw new Error('kill9 needs an `up` started with detached: true (its own process group)');
      // The machine dies: `up` and every bot it started (each bot is its own process group). A bot left behind would
      // keep polling its dead gateway's port, which the OS may hand to another test's server.
      const pid = proc.child.pid;
      if (pid) {
        const groups = groupsOf(pid);
        for (const g of groups) trackGroup(g);
        for (const g of new Set([pid, ...groups])) killGroup(g, 'SIGKILL');
      }
      await proc.exited();
    },
  });
}

/** Run a one-shot CLI command (ls, logs, restart, stop, start, reload) to its end. */
export async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = spawnCli(args, { env });
  const code = await p.exited();
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}
