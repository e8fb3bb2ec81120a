// supervisord as a peer: Debian's supervisord with its own temp config, nodaemon, as a child we control.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pollUntil, runCmd, startProc, type Proc } from '../lib/proc.js';

/** One [program:x] section; defaults are supervisord's own (autorestart=unexpected, startsecs=1, stopwaitsecs=10). */
export interface SupervisordProgram {
  name: string;
  command: string[];
  env: Record<string, string>;
  autorestart?: 'true' | 'false' | 'unexpected';
}

/** Where supervisord lives, or undefined when it is not installed (scripts/install-bench-deps.sh installs it). */
export function supervisordBin(): string | undefined {
  for (const p of ['/usr/bin/supervisord', '/usr/local/bin/supervisord']) if (existsSync(p)) return p;
  return undefined;
}

/** supervisord's version, or undefined. */
export async function supervisordVersion(): Promise<string | undefined> {
  const bin = supervisordBin();
  if (!bin) return undefined;
  const r = await runCmd(bin, ['--version'], { timeoutMs: 10_000 });
  return r.code === 0 ? r.output.trim() : undefined;
}

function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `"${a.replace(/(["\\])/g, '\\$1')}"`;
}

function envLine(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k}="${v.replace(/(["\\%])/g, (m) => (m === '%' ? '%%' : `\\${m}`))}"`)
    .join(',');
}

/** A private supervisord running `programs`; `close()` SIGTERMs it (it stops its programs) and cleans up. */
export class SupervisordPeer {
  readonly dir: string;
  readonly proc: Proc;
  private closed = false;

  private constructor(dir: string, proc: Proc) {
    this.dir = dir;
    this.proc = proc;
  }

  /** Write a config with these programs and start supervisord -n on it; resolves once it logged "supervisord started". */
  static async start(programs: SupervisordProgram[]): Promise<SupervisordPeer> {
    const bin = supervisordBin();
    if (!bin) throw new Error('supervisord is not installed: run scripts/install-bench-deps.sh as root');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bw-bench-supervisord-'));
    const conf = path.join(dir, 'supervisord.conf');
    const lines = [
      '[supervisord]',
      'nodaemon=true',
      `logfile=${path.join(dir, 'supervisord.log')}`,
      `pidfile=${path.join(dir, 'supervisord.pid')}`,
      `childlogdir=${dir}`,
      'loglevel=info',
      '',
      '[unix_http_server]',
      `file=${path.join(dir, 'supervisor.sock')}`,
      '',
      '[rpcinterface:supervisor]',
      'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
      '',
      '[supervisorctl]',
      `serverurl=unix://${path.join(dir, 'supervisor.sock')}`,
      '',
    ];
    for (const p of programs) {
      lines.push(
        `[program:${p.name}]`,
        `command=${p.command.map(quoteArg).join(' ')}`,
        `environment=${envLine(p.env)}`,
        'autostart=true',
        `autorestart=${p.autorestart ?? 'true'}`,
        `stdout_logfile=${path.join(dir, `${p.name}.out.log`)}`,
        `stderr_logfile=${path.join(dir, `${p.name}.err.log`)}`,
        '',
      );
    }
    writeFileSync(conf, lines.join('\n'));
    const proc = startProc(bin, ['-n', '-c', conf], { cwd: dir });
    const peer = new SupervisordPeer(dir, proc);
    try {
      await proc.waitFor(/supervisord started with pid/, 10_000);
    } catch (err) {
      await peer.close();
      throw err;
    }
    return peer;
  }

  /** supervisord's pid. */
  get pid(): number {
    return this.proc.pid;
  }

  /** SIGTERM supervisord (it stops its programs, SIGKILL after stopwaitsecs), wait ≤ 15 s, then kill the group. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.proc.stop(15_000);
    await pollUntil(() => (this.proc.hasExited() ? true : undefined), 1000);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
