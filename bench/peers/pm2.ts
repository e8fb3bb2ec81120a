// PM2 as a peer: its own daemon with a private PM2_HOME in a temp dir (never the user's), killed at the end.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { killPid, pollUntil, runCmd } from '../lib/proc.js';
import { isProcessAlive } from '../../src/process/liveness.js';

const require = createRequire(import.meta.url);

/** One app for an ecosystem file; the command runs as is (`interpreter: none`), like any-language bots. */
export interface Pm2App {
  name: string;
  /** Executable, e.g. process.execPath. */
  script: string;
  args: string[];
  env: Record<string, string>;
  /** ms between crash and restart; PM2 default 0. */
  restartDelayMs?: number;
  /** Enables PM2's exponential backoff starting at this many ms (×1.5 per restart, cap 15 s). */
  expBackoffRestartDelayMs?: number;
}

/** Path of PM2's CLI script (from the devDependency), or undefined when PM2 is not installed. */
export function pm2Bin(): string | undefined {
  try {
    const pkg = require.resolve('pm2/package.json');
    const bin = path.join(path.dirname(pkg), 'bin', 'pm2');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/** PM2's version, or undefined. */
export function pm2Version(): string | undefined {
  try {
    return (JSON.parse(readFileSync(require.resolve('pm2/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** A private PM2 daemon. `close()` runs `pm2 kill`, then SIGKILLs the daemon if it is still there; safe twice. */
export class Pm2Peer {
  readonly home: string;
  private readonly bin: string;
  private closed = false;

  private constructor(bin: string) {
    this.bin = bin;
    this.home = mkdtempSync(path.join(os.tmpdir(), 'bw-bench-pm2-'));
  }

  /** Start a private daemon (`pm2 ping` spawns it). Throws when PM2 is not installed. */
  static async start(): Promise<Pm2Peer> {
    const bin = pm2Bin();
    if (!bin) throw new Error('pm2 is not installed: run npm install (it is a devDependency)');
    const peer = new Pm2Peer(bin);
    try {
      await peer.cli(['ping']);
      if (!(await pollUntil(() => peer.daemonPid(), 5000, 20))) throw new Error('PM2 daemon did not write its pid file within 5000 ms');
    } catch (err) {
      await peer.close();
      throw err;
    }
    return peer;
  }

  /** Run one pm2 CLI command against this daemon (30 s bound). */
  async cli(args: string[]): Promise<string> {
    const env = { ...process.env, PM2_HOME: this.home, PM2_DISABLE_VERSION_CHECK: 'true', PM2_PROGRAMMATIC: 'false' };
    const r = await runCmd(process.execPath, [this.bin, ...args], { env, timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`pm2 ${args.join(' ')} exited ${r.code}: ${r.output.slice(-1500)}`);
    return r.output;
  }

  /** The God daemon's pid (from PM2_HOME/pm2.pid) if it is running. */
  daemonPid(): number | undefined {
    try {
      const pid = Number(readFileSync(path.join(this.home, 'pm2.pid'), 'utf8').trim());
      return pid > 0 && isProcessAlive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Start apps from a generated ecosystem file. */
  async startApps(apps: Pm2App[]): Promise<void> {
    const file = path.join(this.home, `eco-${Date.now()}-${Math.random().toString(36).slice(2)}.config.js`);
    const eco = {
      apps: apps.map((a) => ({
        name: a.name,
        script: a.script,
        args: a.args,
        interpreter: 'none',
        exec_mode: 'fork',
        autorestart: true,
        env: a.env,
        ...(a.restartDelayMs !== undefined ? { restart_delay: a.restartDelayMs } : {}),
        ...(a.expBackoffRestartDelayMs !== undefined ? { exp_backoff_restart_delay: a.expBackoffRestartDelayMs } : {}),
      })),
    };
    writeFileSync(file, `module.exports = ${JSON.stringify(eco, null, 2)};\n`);
    await this.cli(['start', file]);
  }

  /** Delete every app (stops them with PM2's own kill sequence). */
  async deleteAll(): Promise<void> {
    await this.cli(['delete', 'all']);
  }

  /** pm2 kill, then make sure the daemon is gone, and remove PM2_HOME. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pid = this.daemonPid();
    try {
      await this.cli(['kill']);
    } catch {
      // fall through to SIGKILL below
    }
    if (pid && (await pollUntil(() => (isProcessAlive(pid) ? undefined : true), 3000, 20)) === undefined) killPid(pid, 'SIGKILL');
    rmSync(this.home, { recursive: true, force: true });
  }
}
