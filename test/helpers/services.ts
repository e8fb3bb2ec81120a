// The Redis and PostgreSQL every test gets: `useRedis()` / `usePostgres()` give the shared server on 127.0.0.1 when it
// answers (TEST_REDIS_URL, TEST_PG_URL), else a private one started for this test process on a free port when the
// server binaries are here, else a one-line reason to skip. Private servers a test owns (start, stop, crash, start
// again) come from `startPrivateRedis` / `startPrivatePostgres` and never touch the shared ones.
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawnProcess, type Spawned } from './cli.js';
import { trackGroup } from './process-groups.js';

/** Where the shared servers are looked for. */
export const SHARED_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
export const SHARED_PG_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A server a test file uses: `url` when `skip` is false; otherwise `skip` says in one line what is missing. */
export interface Service {
  readonly url: string;
  /** Where it runs: the shared server, or a private one this process started (gone when the process exits). */
  readonly source: 'shared' | 'private' | 'none';
  /** false, or the one-line reason to skip (node:test's `skip` option takes it as it is). */
  readonly skip: false | string;
}

const services = new Map<'redis' | 'postgres', Promise<Service>>();

/**
 * Redis for this process: the shared one (`shared`, default SHARED_REDIS_URL) when it answers PING, else a private
 * redis-server, else a reason to skip. The first call decides for the whole process.
 */
export function useRedis(shared = SHARED_REDIS_URL): Promise<Service> {
  let s = services.get('redis');
  if (!s) {
    s = (async (): Promise<Service> => {
      if (await redisAnswers(shared)) return { url: shared, source: 'shared', skip: false };
      const missing = redisServerMissing();
      if (missing) return { url: '', source: 'none', skip: `Redis: nothing answers at ${shared} and ${missing}` };
      const server = await startPrivateRedis();
      releaseOnExit(server.child());
      console.log(`Redis: nothing answers at ${shared}; this process uses a private redis-server at ${server.url}`);
      return { url: `${server.url}/0`, source: 'private', skip: false };
    })();
    services.set('redis', s);
  }
  return s;
}

/**
 * PostgreSQL for this process: the shared one (`shared`, default SHARED_PG_URL) when `SELECT 1` works, else a private
 * cluster, else a reason to skip. The first call decides for the whole process.
 */
export function usePostgres(shared = SHARED_PG_URL): Promise<Service> {
  let s = services.get('postgres');
  if (!s) {
    s = (async (): Promise<Service> => {
      if (await postgresAnswers(shared)) return { url: shared, source: 'shared', skip: false };
      const missing = postgresMissing();
      if (missing) return { url: '', source: 'none', skip: `PostgreSQL: nothing answers at ${shared} and ${missing}` };
      const server = await startPrivatePostgres();
      process.once('exit', () => server.closeSync());
      console.log(`PostgreSQL: nothing answers at ${shared}; this process uses a private cluster at ${server.url}`);
      return { url: server.url, source: 'private', skip: false };
    })();
    services.set('postgres', s);
  }
  return s;
}

/** Whether a Redis answers PING at `url` (host and port only) within a second. */
async function redisAnswers(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise<boolean>((resolve) => {
    const sock = net.connect(Number(u.port || 6379), u.hostname);
    let got = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.includes('\r\n')) done(/^(\+PONG|-NOAUTH)/.test(got));
    });
  });
}

/** Whether PostgreSQL at `url` accepts a connection to its database and answers `SELECT 1` within two seconds. */
async function postgresAnswers(url: string): Promise<boolean> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Why no private redis-server can start here, or undefined when one can. */
export function redisServerMissing(): string | undefined {
  return spawnSync('redis-server', ['--version']).status === 0 ? undefined : 'no redis-server binary to start a private one (install redis-server)';
}

/** Why no private PostgreSQL cluster can start here, or undefined when one can. */
export function postgresMissing(): string | undefined {
  if (!pgBinDir()) return 'no initdb/pg_ctl (under /usr/lib/postgresql/*/bin or on PATH) to start a private cluster (install postgresql)';
  if (process.getuid?.() === 0 && !clusterUser()) return 'running as root with no "postgres" or "nobody" user to own a private cluster';
  return undefined;
}

/** A child that must not keep this process alive: its pipes and handle unreferenced, its group killed on exit. */
function releaseOnExit(child: Spawned['child']): void {
  if (child.pid) trackGroup(child.pid);
  child.unref();
  for (const s of [child.stdout, child.stderr]) (s as net.Socket | null)?.unref();
}

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

/**
 * A private `redis-server` on a free port. Without `aof` it keeps nothing, so a restart forgets every key (fence
 * counters too); with `aof` its data lives in a temp dir with `appendfsync always` and survives a kill -9.
 */
export async function startPrivateRedis(opts: { port?: number; aof?: boolean } = {}): Promise<PrivateServer & { child(): Spawned['child'] }> {
  const p = opts.port ?? (await freePort());
  const dir = opts.aof ? mkdtempSync(path.join(os.tmpdir(), 'bw-redis-aof-')) : undefined;
  const persistence = dir ? ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  let proc: Spawned | undefined;
  let exited = true;
  const start = async (): Promise<void> => {
    if (!exited) return;
    exited = false;
    proc = spawnProcess('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', ...persistence, '--daemonize', 'no'], { detached: true });
    if (proc.child.pid) trackGroup(proc.child.pid);
    void proc.exited().then(() => (exited = true));
    await proc.waitFor(/Ready to accept connections/i, 10_000);
  };
  const stop = async (o: { crash?: boolean } = {}): Promise<void> => {
    const cur = proc;
    proc = undefined;
    if (!cur) return;
    if (o.crash) cur.child.kill('SIGKILL');
    await cur.stop(3000);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${p}`,
    port: p,
    start,
    stop,
    async close() {
      await stop({ crash: true });
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
    child() {
      if (!proc) throw new Error('the private redis-server is not running');
      return proc.child;
    },
  };
}

/** The newest PostgreSQL server binaries' folder: /usr/lib/postgresql/<version>/bin (Debian), else initdb's on PATH. */
function pgBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v) && existsSync(path.join(root, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0]) return path.join(root, versions[0], 'bin');
  const found = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  return found ? path.dirname(found) : undefined;
}

/** PostgreSQL refuses to run as root: the user (uid, gid) that owns a private cluster when this process is root. */
function clusterUser(): { name: string; uid: number; gid: number } | undefined {
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
  for (const name of ['postgres', 'nobody']) {
    const f = passwd.find((l) => l.startsWith(`${name}:`))?.split(':');
    if (f) return { name, uid: Number(f[2]), gid: Number(f[3]) };
  }
  return undefined;
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

/**
 * A private PostgreSQL cluster (initdb in a temp dir, trust auth, superuser `postgres`) on a free port; `url` points at
 * db `postgres`. As root the cluster belongs to the `postgres` user (else `nobody`); otherwise to this user.
 */
export async function startPrivatePostgres(): Promise<PrivateServer & { closeSync(): void }> {
  const bin = pgBinDir();
  if (!bin) throw new Error(postgresMissing());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bw-pg-'));
  const data = path.join(dir, 'data');
  const owner = process.getuid?.() === 0 ? clusterUser() : undefined;
  if (process.getuid?.() === 0 && !owner) throw new Error(postgresMissing());
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const argv = (name: string, args: string[]): [string, string[]] =>
    owner ? ['runuser', ['-u', owner.name, '--', path.join(bin, name), ...args]] : [path.join(bin, name), args];
  const asOwner = (name: string, args: string[]): Promise<string> => run(...argv(name, args));
  const port = await freePort();
  let running = false;
  const start = async (): Promise<void> => {
    await asOwner('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-w', '-t', '20', 'start']);
    running = true;
    await waitForPort(port, 5000);
  };
  const stop = async (opts: { crash?: boolean } = {}): Promise<void> => {
    if (!running) return;
    running = false;
    await asOwner('pg_ctl', ['-D', data, '-m', opts.crash ? 'immediate' : 'fast', '-w', '-t', '20', 'stop']);
  };
  try {
    await asOwner('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
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
    /** For an exit hook: immediate shutdown and removal, synchronously. */
    closeSync() {
      if (closed) return;
      closed = true;
      if (running) spawnSync(...argv('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '20', 'stop']), { stdio: 'ignore' });
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
