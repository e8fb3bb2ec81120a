// Private Redis and PostgreSQL servers a test owns (start, stop, crash, start again), on free ports of 127.0.0.1 —
// never the shared ones at 6379/5432 — and what `npm test` uses when the shared ones are not there.
import { spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawnProcess, type Spawned } from './cli.js';
import { trackGroup } from './process-groups.js';


// Private backends that a test may stop and start (never the shared ones at 6379/5432).

/** A free TCP port on 127.0.0.1 (closed again before returning). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** A backend server owned by one test file. */
export interface PrivateServer {
  readonly url: string;
  readonly port: number;
  /** Start (again). Resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stop it (`crash`: SIGKILL / immediate shutdown). */
  stop(opts?: { crash?: boolean }): Promise<void>;
  /** Stop and remove everything (safe twice). */
  close(): Promise<void>;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25)); // poll interval of a bounded wait
  }
}

/** A private `redis-server` on a free port: no persistence, so a restart forgets every key (fence counters too). */
export async function startPrivateRedis(port?: number): Promise<PrivateServer> {
  const p = port ?? (await freePort());
  let proc: Spawned | undefined;
  let exited = true;
  const start = async (): Promise<void> => {
    if (!exited) return;
    exited = false;
    proc = spawnProcess('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { detached: true });
    if (proc.child.pid) trackGroup(proc.child.pid);
    void proc.exited().then(() => (exited = true));
    await proc.waitFor(/Ready to accept connections/i, 10_000);
  };
  const stop = async (opts: { crash?: boolean } = {}): Promise<void> => {
    const cur = proc;
    proc = undefined;
    if (!cur) return;
    if (opts.crash) cur.child.kill('SIGKILL');
    await cur.stop(3000);
  };
  await start();
  return { url: `redis://127.0.0.1:${p}`, port: p, start, stop, close: () => stop({ crash: true }) };
}

function pgBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error(`no PostgreSQL under ${root}`);
  return path.join(root, versions[0], 'bin', name);
}

/** Run a command to completion without blocking the event loop (the emulator lives in this process). */
async function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out}`);
  return out;
}

/** A private PostgreSQL cluster (initdb in a temp dir, trust auth) on a free port; `url` points at db `postgres`. */
export async function startPrivatePostgres(): Promise<PrivateServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bw-chaos-pg-'));
  const data = path.join(dir, 'data');
  const pwd = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'))
    ?.split(':');
  if (!pwd) throw new Error('no postgres user');
  chownSync(dir, Number(pwd[2]), Number(pwd[3]));
  const asPg = (bin: string, args: string[]): Promise<string> => run('runuser', ['-u', 'postgres', '--', pgBin(bin), ...args]);
  const port = await freePort();
  let running = false;
  const start = async (): Promise<void> => {
    await asPg('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-w', '-t', '20', 'start']);
    running = true;
    await waitForPort(port, 5000);
  };
  const stop = async (opts: { crash?: boolean } = {}): Promise<void> => {
    if (!running) return;
    running = false;
    await asPg('pg_ctl', ['-D', data, '-m', opts.crash ? 'immediate' : 'fast', '-w', '-t', '20', 'stop']);
  };
  try {
    await asPg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    await start();
  } catch (err) {
    await stop({ crash: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let closed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop,
    async close() {
      if (closed) return;
      closed = true;
      await stop({ crash: true }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
