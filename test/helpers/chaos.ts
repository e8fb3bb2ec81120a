// Chaos-test helpers: `botwarden run` instances as separate "hosts" (own state dir, own process groups, own recording
// proxy to the emulator) that can be frozen or killed -9 whole, a message injector, delivery checks, and private
// Redis/PostgreSQL servers that can be stopped and started again. POSIX only (process groups, SIGSTOP, /proc).
import { spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CLI_SOURCE, spawnProcess, type Spawned } from './cli.js';
import { RAW_ECHO, tempStateDir } from './botwarden-run.js';
import type { TestEmulator } from './emulator.js';
import type { Role, StatusSnapshot } from '../../src/health/status.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------------------
// Process groups: every group started here is SIGCONT+SIGKILLed when the test process exits, whatever happened.

const liveGroups = new Set<number>();
let exitHookInstalled = false;

function trackGroup(pgid: number): void {
  liveGroups.add(pgid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const g of liveGroups) killGroup(g, 'SIGKILL');
  });
}

/** Signal a whole process group; false when it is gone. SIGKILL is preceded by SIGCONT (a stopped group dies either way, but its members' parents see a clean state). */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    if (signal === 'SIGKILL') process.kill(-pgid, 'SIGCONT');
    process.kill(-pgid, signal);
    return true;
  } catch {
    if (signal === 'SIGKILL') liveGroups.delete(pgid);
    return false;
  }
}

/** `pid` and all its descendants (Linux /proc). */
export function descendantsOf(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i] as number;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        for (const c of readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim().split(/\s+/)) if (c) out.push(Number(c));
      } catch {
        // the task ended meanwhile
      }
    }
  }
  return out;
}

/** The process group id of `pid` (Linux /proc), or undefined when it is gone. */
export function pgidOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[2]);
  } catch {
    return undefined;
  }
}

/** The distinct process groups of `pid` and its descendants (botwarden's own and its bot's). */
export function groupsOf(pid: number): number[] {
  const groups = new Set<number>();
  for (const p of descendantsOf(pid)) {
    const g = pgidOf(p);
    if (g !== undefined && g > 1) groups.add(g);
  }
  return [...groups];
}

// ---------------------------------------------------------------------------------------------------------------
// A recording proxy between one instance and the emulator: what this "host" sent upstream, and when.

/** One upstream call an instance made, as its proxy saw it. */
export interface UpstreamCall {
  instance: string;
  method: string;
  /** Epoch ms: forwarded to the emulator, and answered by it (undefined while in flight). */
  start: number;
  end: number | undefined;
  /** Body of a sendMessage (its text) — lets a reply be attributed to the instance that sent it. */
  text?: string;
  /** getUpdates: the offset and timeout asked, and how many updates the answer carried. */
  offset?: number;
  timeout?: number;
  limit?: number;
  updates?: number;
  /** getUpdates: the update_ids of the answer. */
  updateIds?: number[];
}

/** A per-instance HTTP proxy to the emulator; `calls` is shared by all proxies of one journal. */
export class UpstreamJournal {
  readonly calls: UpstreamCall[] = [];
  private readonly servers: http.Server[] = [];
  private readonly agent = new http.Agent({ keepAlive: true });

  constructor(private readonly emulatorUrl: string) {}

  /** Start a proxy for `instance`; resolves with its root URL (use it as --api-root). */
  async proxy(instance: string): Promise<string> {
    const target = new URL(this.emulatorUrl);
    const server = http.createServer((req, res) => {
      const method = (req.url ?? '').split('?')[0]?.split('/').pop() ?? '';
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const call: UpstreamCall = { instance, method, start: Date.now(), end: undefined };
        const params = paramsOf(body, req.headers['content-type']);
        if (/^sendmessage$/i.test(method) && params.text !== undefined) call.text = String(params.text);
        if (/^getupdates$/i.test(method)) {
          if (params.offset !== undefined) call.offset = Number(params.offset);
          if (params.timeout !== undefined) call.timeout = Number(params.timeout);
          if (params.limit !== undefined) call.limit = Number(params.limit);
        }
        this.calls.push(call);
        const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
        const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent: this.agent }, (ur) => {
          const upChunks: Buffer[] = [];
          ur.on('data', (c: Buffer) => upChunks.push(c));
          ur.on('end', () => {
            call.end = Date.now();
            const out = Buffer.concat(upChunks);
            if (/^getupdates$/i.test(method)) {
              call.updateIds = [...out.toString('utf8').matchAll(/"update_id":(\d+)/g)].map((m) => Number(m[1]));
              call.updates = call.updateIds.length;
            }
            const h = { ...ur.headers, 'content-length': String(out.length) };
            delete h['transfer-encoding'];
            if (!res.destroyed) res.writeHead(ur.statusCode ?? 502, h).end(out);
          });
          ur.on('error', () => res.destroy());
        });
        up.on('error', () => {
          call.end ??= Date.now();
          res.destroy();
        });
        // The instance died or gave up: the emulator must see the disconnect too, as it would without a proxy.
        res.on('close', () => {
          if (call.end === undefined) {
            call.end = Date.now();
            up.destroy();
          }
        });
        up.end(body);
      });
    });
    this.servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address() as net.AddressInfo;
    return `http://127.0.0.1:${addr.port}`;
  }

  /** getUpdates intervals of different instances that overlapped in time (each pair once). */
  overlappingPolls(): Array<[UpstreamCall, UpstreamCall]> {
    const polls = this.calls.filter((c) => /^getupdates$/i.test(c.method)).sort((a, b) => a.start - b.start);
    const out: Array<[UpstreamCall, UpstreamCall]> = [];
    for (let i = 0; i < polls.length; i++) {
      const a = polls[i] as UpstreamCall;
      const aEnd = a.end ?? Infinity;
      for (let j = i + 1; j < polls.length; j++) {
        const b = polls[j] as UpstreamCall;
        if (b.start >= aEnd) break;
        if (b.instance !== a.instance) out.push([a, b]);
      }
    }
    return out;
  }

  /** The first sendMessage `instance` forwarded at or after `since` (epoch ms). */
  firstReplyBy(instance: string, since: number): UpstreamCall | undefined {
    return this.calls.find((c) => c.instance === instance && /^sendmessage$/i.test(c.method) && c.start >= since);
  }

  /** getUpdates calls `instance` sent upstream at or after `since` (epoch ms). */
  pollsBy(instance: string, since = 0): UpstreamCall[] {
    return this.calls.filter((c) => c.instance === instance && /^getupdates$/i.test(c.method) && c.start >= since);
  }

  /** Close every proxy (safe twice). */
  async close(): Promise<void> {
    const servers = this.servers.splice(0);
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    this.agent.destroy();
  }
}

function paramsOf(body: Buffer, contentType: string | undefined): Record<string, unknown> {
  try {
    if (contentType?.includes('json')) return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    if (contentType?.includes('x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  } catch {
    // not ours to judge
  }
  return {};
}

/** A compact timeline of the journal for failure messages: `A getUpdates off=… t=… +start..+end n=…`. */
export function describeCalls(calls: readonly UpstreamCall[], since = 0): string {
  const t0 = calls[0]?.start ?? 0;
  return calls
    .filter((c) => c.start >= since)
    .map((c) => `${new Date(c.start).toISOString().slice(11)} ${c.instance} ${c.method}${c.offset !== undefined ? ` off=${c.offset}` : ''}${c.timeout !== undefined ? ` t=${c.timeout}` : ''}${c.text ? ` "${c.text}"` : ''} +${c.start - t0}..${c.end === undefined ? '∞' : `+${c.end - t0}`}${c.updates !== undefined ? ` n=${c.updates}` : ''}`)
    .join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Instances.

/** A `botwarden run` with its own state dir and process groups, reached through its own upstream proxy. */
export interface ChaosInstance {
  readonly name: string;
  readonly stateDir: string;
  readonly proc: Spawned;
  /** botwarden's pid (also its process group id). */
  readonly pid: number;
  readonly healthUrl: string;
  /** GET /status; undefined when it does not answer within `timeoutMs` (frozen, dead, stopping). */
  status(timeoutMs?: number): Promise<StatusSnapshot | undefined>;
  role(timeoutMs?: number): Promise<Role | undefined>;
  /** SIGSTOP botwarden's and its bot's process groups (a frozen VM). Resolves with the frozen groups. */
  freeze(): number[];
  /** SIGCONT what freeze() stopped. */
  thaw(): void;
  /** SIGKILL botwarden's and its bot's process groups; resolves once botwarden has exited. */
  kill9(): Promise<void>;
  /** SIGTERM botwarden (a graceful stop); resolves with its exit code. */
  stop(): Promise<number | string>;
  /** Kill whatever is left and remove the state dir (safe twice). */
  dispose(): Promise<void>;
}

/** Options of startInstance. */
export interface InstanceOptions {
  name: string;
  emu: TestEmulator;
  token: string;
  /** `--lease` URL. */
  lease: string;
  /** `--lease-ttl` (ms). Default 2000. */
  ttlMs?: number;
  /** Proxy journal; the instance's --api-root is a fresh proxy of it. Without one, --api-root is the emulator. */
  journal?: UpstreamJournal;
  /** Bot command. Default: the raw echo fixture. */
  command?: string[];
  args?: string[];
  /** Wait for the health URL (default true). */
  waitForHealth?: boolean;
  /** Called with the process as soon as it is spawned (before the health URL). */
  onSpawn?: (proc: Spawned) => void;
}

/** Start `botwarden run` in its own process group with its own state dir ("another host"). */
export async function startInstance(o: InstanceOptions): Promise<ChaosInstance> {
  const state = tempStateDir();
  // The token goes by file, not environment: tsx's esbuild helper, a child of botwarden, would inherit it and look
  // like an unmanaged token holder to the other instances' preflight (they all share this machine).
  const tokenFile = path.join(state.dir, 'token');
  writeFileSync(tokenFile, o.token, { mode: 0o600 });
  const apiRoot = o.journal ? await o.journal.proxy(o.name) : o.emu.url;
  const args = ['run', '--api-root', apiRoot, '--state-dir', state.dir, '--health-port', '0', '--lease', o.lease, '--lease-ttl', String(o.ttlMs ?? 2000), '--stop-timeout', '3000', '--token-file', tokenFile, ...(o.args ?? []), '--', ...(o.command ?? [process.execPath, RAW_ECHO])];
  const proc = spawnProcess(process.execPath, ['--import', 'tsx', CLI_SOURCE, ...args], { env: { BOT_TOKEN: '', TELEGRAM_BOT_TOKEN: '' }, detached: true });
  const pid = proc.child.pid;
  if (pid === undefined) throw new Error(`${o.name}: botwarden did not start`);
  trackGroup(pid);
  o.onSpawn?.(proc);
  let frozen: number[] = [];
  let disposed = false;
  const killAll = (): void => {
    for (const g of new Set([pid, ...groupsOf(pid), ...frozen])) killGroup(g, 'SIGKILL');
    frozen = [];
  };
  let healthUrl = '';
  if (o.waitForHealth !== false) {
    try {
      healthUrl = (await proc.waitFor(/health: (http:\/\/127\.0\.0\.1:\d+)/, 20_000))[1] ?? '';
    } catch (err) {
      killAll();
      state.remove();
      throw err;
    }
  }
  const status = async (timeoutMs = 1000): Promise<StatusSnapshot | undefined> => {
    if (!healthUrl) return undefined;
    try {
      const res = await fetch(`${healthUrl}/status`, { signal: AbortSignal.timeout(timeoutMs) });
      return res.ok ? ((await res.json()) as StatusSnapshot) : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    name: o.name,
    stateDir: state.dir,
    proc,
    pid,
    healthUrl,
    status,
    role: async (timeoutMs) => (await status(timeoutMs))?.role,
    freeze() {
      const groups = groupsOf(pid);
      for (const g of groups) {
        trackGroup(g);
        killGroup(g, 'SIGSTOP');
      }
      frozen = groups;
      return groups;
    },
    thaw() {
      for (const g of frozen) killGroup(g, 'SIGCONT');
      frozen = [];
    },
    async kill9() {
      killAll();
      await proc.exited();
    },
    async stop() {
      for (const g of frozen) killGroup(g, 'SIGCONT');
      frozen = [];
      return proc.stop(8000);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      for (const g of frozen) killGroup(g, 'SIGCONT');
      frozen = [];
      const groups = groupsOf(pid);
      await Promise.race([proc.stop(3000), sleep(4000)]);
      for (const g of new Set([pid, ...groups, ...groupsOf(pid)])) killGroup(g, 'SIGKILL');
      state.remove();
    },
  };
}

/** Poll until `inst` reports `role`; resolves with the epoch ms it was first seen. Bounded by `timeoutMs`. */
export async function waitForRole(inst: ChaosInstance, role: Role, timeoutMs = 10_000, everyMs = 20): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await inst.status(500);
    if (s?.role === role) return Date.now();
    if (Date.now() > until) throw new Error(`${inst.name}: role ${role} not reached within ${timeoutMs} ms (last: ${s?.role ?? 'no answer'})\n${inst.proc.stderr().slice(-4000)}`);
    await sleep(everyMs);
  }
}

/** The first of `insts` seen as leader (polling every `everyMs`), and when. */
export async function waitForAnyLeader(insts: readonly ChaosInstance[], timeoutMs = 10_000, everyMs = 20): Promise<{ leader: ChaosInstance; at: number }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const roles = await Promise.all(insts.map((i) => i.role(500)));
    const idx = roles.indexOf('leader');
    if (idx >= 0) return { leader: insts[idx] as ChaosInstance, at: Date.now() };
    if (Date.now() > until) throw new Error(`no leader within ${timeoutMs} ms (roles: ${roles.map((r, i) => `${insts[i]?.name}=${r ?? '?'}`).join(', ')})`);
    await sleep(everyMs);
  }
}

/**
 * Samples every instance's /status while a test runs: who claimed to be leader with polling on, at the same time,
 * and the sequence of (instance, fence) leaderships, so a test can assert "never two" and "fences only grow".
 */
export class RoleMonitor {
  /** Samples in which two or more instances said they may poll (leader, polling on, lease time left). */
  readonly doubleLeaders: Array<{ at: number; names: string[] }> = [];
  /** Each new leadership term as first seen: instance and fence. */
  readonly terms: Array<{ at: number; name: string; fence: number | null }> = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly insts: readonly ChaosInstance[],
    everyMs = 25,
  ) {
    this.loop = (async () => {
      while (this.running) {
        const snaps = await Promise.all(this.insts.map((i) => i.status(300)));
        const at = Date.now();
        // "May poll now" as the gateway judges it: role leader, polling on, and time left on the monotonic deadline (a
        // process just woken from SIGSTOP can answer /status before its deadline timer has demoted it).
        const leaders = snaps.flatMap((s, i) => (s?.role === 'leader' && s.gateway.polling && s.lease.msLeft > 0 ? [{ name: this.insts[i]?.name ?? '?', fence: s.lease.fence }] : []));
        if (leaders.length > 1) this.doubleLeaders.push({ at, names: leaders.map((l) => l.name) });
        for (const l of leaders) {
          const last = this.terms.at(-1);
          if (!last || last.name !== l.name || (l.fence !== null && last.fence !== l.fence)) this.terms.push({ at, name: l.name, fence: l.fence });
        }
        await sleep(everyMs);
      }
    })();
  }

  /** Fences in order of leadership; true when each is larger than the one before. */
  fencesGrow(): boolean {
    const f = this.terms.map((t) => t.fence);
    return f.every((v, i) => v !== null && (i === 0 || v > (f[i - 1] ?? Infinity)));
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Messages in, replies out.

/** Sends a text to the bot every `everyMs` until stopped (at most `max`). */
export class Injector {
  readonly texts: string[] = [];
  /** update_id of each text, same index. */
  readonly ids: number[] = [];
  readonly sentAt: number[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(emu: TestEmulator, botId: number, opts: { everyMs?: number; prefix?: string; max?: number } = {}) {
    const everyMs = opts.everyMs ?? 25;
    const prefix = opts.prefix ?? 'm';
    const max = opts.max ?? 3000;
    this.loop = (async () => {
      for (let i = 0; this.running && i < max; i++) {
        const text = `${prefix}${i}`;
        const at = Date.now();
        const id = await emu.sendText(botId, text);
        this.sentAt.push(at);
        this.ids.push(id);
        this.texts.push(text);
        await sleep(everyMs);
      }
    })();
  }

  /** Stop sending; resolves once the last send finished. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/** What happened to the injected messages, from the emulator's point of view. */
export interface DeliveryReport {
  injected: number;
  /** Texts that never got their `echo: <text>` reply. */
  missing: string[];
  /** Texts whose reply was sent more than once (processed twice), with the count. */
  duplicateReplies: Array<{ text: string; times: number }>;
  /** Updates the emulator delivered in more than one getUpdates answer. */
  redelivered: number;
  /** 409s the emulator answered for this bot. */
  conflicts: number;
}

/** Wait (bounded) until every text got its echo reply, then report missing, duplicate and conflict counts. */
export async function deliveryReport(emu: TestEmulator, botId: number, texts: readonly string[], timeoutMs = 15_000): Promise<DeliveryReport> {
  const until = Date.now() + timeoutMs;
  let counts = new Map<string, number>();
  for (;;) {
    counts = new Map();
    for (const m of await emu.sent(botId)) {
      if (m.text?.startsWith('echo: ')) counts.set(m.text.slice(6), (counts.get(m.text.slice(6)) ?? 0) + 1);
    }
    if (texts.every((t) => counts.has(t)) || Date.now() > until) break;
    await sleep(100);
  }
  const stats = await emu.stats(botId);
  return {
    injected: texts.length,
    missing: texts.filter((t) => !counts.has(t)),
    duplicateReplies: [...counts].filter(([, n]) => n > 1).map(([text, times]) => ({ text, times })),
    redelivered: Object.values(stats.delivered).filter((n) => n > 1).length,
    conflicts: stats.conflicts,
  };
}

/** One line for t.diagnostic. */
export function describeDelivery(r: DeliveryReport): string {
  const dups = r.duplicateReplies.map((d) => `${d.text}×${d.times}`).join(' ');
  return `injected ${r.injected}, missing ${r.missing.length}${r.missing.length ? ` (${r.missing.slice(0, 10).join(' ')})` : ''}, duplicate replies ${r.duplicateReplies.length}${dups ? ` (${dups})` : ''}, updates redelivered ${r.redelivered}, 409s ${r.conflicts}`;
}

// ---------------------------------------------------------------------------------------------------------------
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
    await sleep(25);
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

/** `botwarden status --state-dir <dir>` (text), from source. */
export async function statusCommand(stateDir: string): Promise<{ code: number | string; out: string }> {
  const p = spawnProcess(process.execPath, ['--import', 'tsx', CLI_SOURCE, 'status', '--state-dir', stateDir]);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
  const code = await p.exited();
  clearTimeout(timer);
  return { code, out: p.stdout() + p.stderr() };
}

/** With CHAOS_DEBUG=1: write the upstream timeline and every instance's log to a temp file and name it in a diagnostic. */
export function dumpTimeline(t: { name: string; diagnostic(msg: string): void }, journal: UpstreamJournal, insts: readonly ChaosInstance[]): void {
  if (!process.env.CHAOS_DEBUG) return;
  const file = path.join(os.tmpdir(), `bw-chaos-${t.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.log`);
  writeFileSync(file, `${describeCalls(journal.calls)}\n\n${insts.map((i) => `==== ${i.name}\n${i.proc.stderr()}`).join('\n')}`);
  t.diagnostic(`timeline: ${file}`);
}

/** Epoch ms of the first botwarden log line matching `re` (its ISO timestamp), or undefined. */
export function logTime(log: string, re: RegExp): number | undefined {
  const line = log.split('\n').find((l) => re.test(l));
  const iso = line?.match(/^(\d{4}-\d\d-\d\dT[\d:.]+Z)/)?.[1];
  return iso ? Date.parse(iso) : undefined;
}

/** Milliseconds between the first log lines matching `a` (in logA) and `b` (in logB). */
export function logGapMs(logA: string, a: RegExp, logB: string, b: RegExp): number | undefined {
  const ta = logTime(logA, a);
  const tb = logTime(logB, b);
  return ta === undefined || tb === undefined ? undefined : tb - ta;
}
