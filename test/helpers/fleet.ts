// The one harness for "emulator + N `botwarden run` instances (+ traffic, see traffic.ts)": used by the end-to-end
// and chaos tests, the benchmarks and `npm run demo`. An instance is a "host": its own process group (frozen or
// killed -9 whole), its own state dir unless a test shares one (two instances on one host). POSIX process groups.
import { spawnSync } from 'node:child_process';
import { after, before } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI_SOURCE, REPO_ROOT, spawnProcess, type Spawned } from './cli.js';

export { REPO_ROOT };
import { groupsOf, killGroup, trackGroup } from './process-groups.js';
import { EmulatorClient, startEmulator, type EmulatorOptions } from '../../src/emulator/index.js';
import type { Role, StatusSnapshot } from '../../src/health/status.js';
import { shebangNodeFlags } from '../../src/util/shebang.js';

export const RAW_ECHO = path.join(REPO_ROOT, 'test', 'fixtures', 'bots', 'raw-echo.mjs');
export const EXAMPLES = path.join(REPO_ROOT, 'examples', 'bots');
/** The built executable (`npm run build`). */
export const DIST_BIN = path.join(REPO_ROOT, 'dist', 'bin', 'botwarden.js');

/** Which botwarden runs: the TypeScript source through tsx (tests), or a built executable with its shebang's node flags (bench, demo). */
export type BotwardenBin = 'source' | { dist: string };

function botwardenArgv(bin: BotwardenBin, args: readonly string[]): string[] {
  return bin === 'source' ? ['--import', 'tsx', CLI_SOURCE, ...args] : [...shebangNodeFlags(bin.dist), bin.dist, ...args];
}

/** Runs `fn` with a fresh temp dir, removed afterwards whatever happened. */
export function inTempDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bw-test-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fresh temp dir removed after the test `t` (its `after` hook). */
export function tempDirFor(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bw-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A temp state dir removed by the returned function. */
export function tempStateDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bw-state-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------------------------------------------------------
// The emulator.

/** A running emulator: the typed control client plus `close()` (safe twice). */
export class RunningEmulator extends EmulatorClient {
  private closing: Promise<void> | undefined;

  constructor(
    url: string,
    private readonly closeFn: () => Promise<unknown>,
  ) {
    super(url);
  }

  async close(): Promise<void> {
    this.closing ??= this.closeFn().then(() => undefined);
    await this.closing;
  }
}

/**
 * Start an emulator on 127.0.0.1 with a free port. In this process by default (tests); with `process`, as
 * `botwarden emulator` in a child process of that executable, so its work is not measured with the caller's (bench, demo).
 */
export async function startFleetEmulator(o: { options?: EmulatorOptions; process?: BotwardenBin } = {}): Promise<RunningEmulator> {
  if (!o.process) {
    const emu = await startEmulator({ host: '127.0.0.1', port: 0, ...o.options });
    return new RunningEmulator(emu.url, () => emu.close());
  }
  const proc = spawnProcess(process.execPath, botwardenArgv(o.process, ['emulator', '--host', '127.0.0.1', '--port', '0']), { detached: true });
  if (proc.child.pid) trackGroup(proc.child.pid);
  try {
    const url = (await proc.waitFor(/(http:\/\/127\.0\.0\.1:\d+)/, 20_000))[1] as string;
    return new RunningEmulator(url, () => proc.stop(3000));
  } catch (err) {
    await proc.stop(1000);
    throw err;
  }
}

/**
 * One in-process emulator for every test of a file: started by a node:test `before` hook, closed by an `after` hook.
 * The object is usable inside the tests (its URL is set once `before` ran), so a file writes
 * `const emu = emulatorForFile();` instead of `let emu; before(…); after(…)`.
 */
export function emulatorForFile(options?: EmulatorOptions): RunningEmulator {
  let started: RunningEmulator | undefined;
  const emu = new RunningEmulator('http://127.0.0.1:0', async () => started?.close());
  before(async () => {
    started = await startFleetEmulator(options ? { options } : {});
    (emu as { url: string }).url = started.url;
  });
  after(() => emu.close());
  return emu;
}

// ---------------------------------------------------------------------------------------------------------------
// Instances.

/** A `botwarden run` started by startInstance: its output (Spawned), its /status, and whole-host freeze and kill. */
export interface Instance extends Spawned {
  readonly name: string;
  readonly stateDir: string;
  /** botwarden's pid (also its process group id). */
  readonly pid: number;
  /** `http://127.0.0.1:<port>` ('' when started with waitForHealth: false). */
  readonly healthUrl: string;
  /** GET /status; throws when it does not answer. */
  status(): Promise<StatusSnapshot>;
  /** GET /status; undefined when it does not answer within `timeoutMs` (frozen, dead, stopping). */
  probe(timeoutMs?: number): Promise<StatusSnapshot | undefined>;
  role(timeoutMs?: number): Promise<Role | undefined>;
  /** SIGSTOP botwarden's and its bot's process groups (a frozen VM); returns the frozen groups. */
  freeze(): number[];
  /** SIGCONT what freeze() stopped. */
  thaw(): void;
  /** SIGKILL botwarden's and its bot's process groups ("the machine died"); resolves once botwarden has exited. */
  kill9(): Promise<void>;
  /** Thaw, SIGTERM botwarden (a graceful stop), SIGKILL after `graceMs` (default 8 s); resolves with its exit code. */
  stop(graceMs?: number): Promise<number | string>;
  /** Kill whatever is left and remove its own state dir (safe twice). */
  dispose(): Promise<void>;
}

/** Options of startInstance. */
export interface InstanceOptions {
  /** Shown in failure messages (default `bw`). */
  name?: string;
  token: string;
  /** `--api-root`: the emulator's URL (or a proxy to it). */
  apiRoot: string;
  /** `--state-dir`: share one to put instances on one "host"; default a fresh temp dir removed by dispose(). */
  stateDir?: string;
  /** `--lease` URL (default: none given, i.e. `file:` in the state dir). */
  lease?: string;
  /** `--lease-ttl` (ms). */
  ttlMs?: number;
  /** The bot command. Default: the raw echo fixture. */
  command?: string[];
  /** More `run` options (before `--`). */
  args?: string[];
  /** More environment for botwarden and so its bot. */
  env?: NodeJS.ProcessEnv;
  /**
   * How the token is passed: `env` (BOT_TOKEN, default) or `file` (--token-file in the state dir; then no process of
   * this instance has it in its environment — tsx's esbuild helper, a child of botwarden, would otherwise look like an
   * unmanaged token holder to the preflight of other instances on this machine).
   */
  tokenVia?: 'env' | 'file';
  /** Default: the TypeScript source. */
  bin?: BotwardenBin;
  /** Wait for the `health:` line (default true). */
  waitForHealth?: boolean;
  /** Called with the process as soon as it is spawned (before the health URL). */
  onSpawn?: (proc: Spawned) => void;
  /** Sees each chunk of botwarden's output as it comes (the demo shows some of it). */
  onOutput?: (chunk: string) => void;
}

/** Start `botwarden run … -- <command>` in its own process group; resolves once it printed its health URL. */
export async function startInstance(o: InstanceOptions): Promise<Instance> {
  const name = o.name ?? 'bw';
  const own = o.stateDir === undefined ? tempStateDir() : undefined;
  const stateDir = o.stateDir ?? (own as { dir: string }).dir;
  const args = ['run', '--api-root', o.apiRoot, '--state-dir', stateDir, '--health-port', '0'];
  if (o.lease !== undefined) args.push('--lease', o.lease);
  if (o.ttlMs !== undefined) args.push('--lease-ttl', String(o.ttlMs));
  const env: NodeJS.ProcessEnv = { TELEGRAM_BOT_TOKEN: '', BOTWARDEN_API_ROOT: '', BOT_TOKEN: o.token, ...o.env };
  if (o.tokenVia === 'file') {
    const tokenFile = path.join(mkdtempSync(path.join(stateDir, 'token-')), 'token');
    writeFileSync(tokenFile, o.token, { mode: 0o600 });
    args.push('--token-file', tokenFile);
    env.BOT_TOKEN = '';
  }
  args.push(...(o.args ?? []), '--', ...(o.command ?? [process.execPath, RAW_ECHO]));
  const proc = spawnProcess(process.execPath, botwardenArgv(o.bin ?? 'source', args), { env, detached: true, ...(o.onOutput ? { onOutput: o.onOutput } : {}) });
  const pid = proc.child.pid;
  if (pid === undefined) {
    own?.remove();
    throw new Error(`${name}: botwarden did not start: ${await proc.exited()}`);
  }
  trackGroup(pid);
  o.onSpawn?.(proc);
  let frozen: number[] = [];
  let disposed = false;
  const killAll = (): void => {
    for (const g of new Set([pid, ...groupsOf(pid), ...frozen])) killGroup(g, 'SIGKILL');
    frozen = [];
  };
  const thaw = (): void => {
    for (const g of frozen) killGroup(g, 'SIGCONT');
    frozen = [];
  };
  let healthUrl = '';
  if (o.waitForHealth !== false) {
    try {
      healthUrl = (await proc.waitFor(/health: (http:\/\/127\.0\.0\.1:\d+)/, 30_000))[1] ?? '';
    } catch (err) {
      killAll();
      own?.remove();
      throw new Error(`${name}: ${(err as Error).message}`, { cause: err });
    }
  }
  const probe = async (timeoutMs = 1000): Promise<StatusSnapshot | undefined> => {
    if (!healthUrl) return undefined;
    try {
      const res = await fetch(`${healthUrl}/status`, { signal: AbortSignal.timeout(timeoutMs) });
      return res.ok ? ((await res.json()) as StatusSnapshot) : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    ...proc,
    name,
    stateDir,
    pid,
    healthUrl,
    async status() {
      if (!healthUrl) throw new Error(`${name}: started without waiting for its health URL`);
      const res = await fetch(`${healthUrl}/status`, { signal: AbortSignal.timeout(15_000) });
      if (!res.ok) throw new Error(`${name}: GET /status answered ${res.status}`);
      return (await res.json()) as StatusSnapshot;
    },
    probe,
    role: async (timeoutMs) => (await probe(timeoutMs))?.role,
    freeze() {
      const groups = groupsOf(pid);
      for (const g of groups) {
        trackGroup(g);
        killGroup(g, 'SIGSTOP');
      }
      frozen = groups;
      return groups;
    },
    thaw,
    async kill9() {
      killAll();
      await proc.exited();
    },
    stop(graceMs = 8000) {
      thaw();
      return proc.stop(graceMs);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      thaw();
      const groups = groupsOf(pid);
      await proc.stop(3000);
      for (const g of new Set([pid, ...groups, ...groupsOf(pid)])) killGroup(g, 'SIGKILL');
      own?.remove();
    },
  };
}

/** Poll `inst`'s /status until it reports `role` (bounded); resolves with the epoch ms it was first seen. */
export async function waitForRole(inst: Instance, role: Role, timeoutMs = 15_000, everyMs = 20): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await inst.probe(500);
    if (s?.role === role) return Date.now();
    if (Date.now() > until) throw new Error(`${inst.name}: role ${role} not reached within ${timeoutMs} ms (last: ${s?.role ?? 'no answer'})\n${inst.stderr().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The first of `insts` seen as leader (bounded), and when. */
export async function waitForAnyLeader(insts: readonly Instance[], timeoutMs = 15_000, everyMs = 20): Promise<{ leader: Instance; at: number }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const roles = await Promise.all(insts.map((i) => i.role(500)));
    const idx = roles.indexOf('leader');
    if (idx >= 0) return { leader: insts[idx] as Instance, at: Date.now() };
    if (Date.now() > until) throw new Error(`no leader within ${timeoutMs} ms (roles: ${roles.map((r, i) => `${insts[i]?.name}=${r ?? '?'}`).join(', ')})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// A fleet: one emulator bot served by N instances.

/** What one instance of a fleet may have besides the fleet's options. */
export type InstanceExtras = Omit<InstanceOptions, 'name' | 'token' | 'apiRoot' | 'stateDir'>;

/** Options of startFleet: InstanceOptions for every instance, minus what the fleet decides. */
export interface FleetOptions extends InstanceExtras {
  /** Instance names, started in this order, each once the previous one printed its health URL (default A, B; [] for none). */
  names?: string[];
  /** The emulator to use (default: a new one, closed with the fleet). */
  emulator?: RunningEmulator;
  /** Username of the bot created in the emulator. */
  username?: string;
  /** All instances on one host (one state dir, so the default `file:` lease is shared); default true. */
  sameHost?: boolean;
  /** `--api-root` per instance (e.g. a recording proxy); default the emulator's URL. */
  apiRootFor?: (name: string) => string | Promise<string>;
}

/** An emulator bot and the instances serving it. */
export interface Fleet {
  readonly emu: RunningEmulator;
  readonly bot: { id: number; token: string; username: string };
  readonly instances: Instance[];
  readonly stateDir: string;
  /** The instance that is leader now (bounded wait). */
  leader(timeoutMs?: number): Promise<Instance>;
  /** Start one more instance with the fleet's options, and `extra` ones for it alone (its `env` added to the fleet's). */
  add(name: string, extra?: InstanceExtras): Promise<Instance>;
  /** Dispose of every instance, then the emulator if the fleet started it, then the shared state dir (safe twice). */
  close(): Promise<void>;
}

/** Start an emulator (unless given), create a bot, and start `botwarden run` instances for it. */
export async function startFleet(o: FleetOptions = {}): Promise<Fleet> {
  const emu = o.emulator ?? (await startFleetEmulator());
  const shared = o.sameHost === false ? undefined : tempStateDir();
  const instances: Instance[] = [];
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await Promise.all(instances.map((i) => i.dispose()));
    if (!o.emulator) await emu.close();
    shared?.remove();
  };
  try {
    const bot = await emu.createBot(o.username ? { username: o.username } : {});
    const add = async (name: string, extra: InstanceExtras = {}): Promise<Instance> => {
      const apiRoot = o.apiRootFor ? await o.apiRootFor(name) : emu.url;
      const env = { ...o.env, ...extra.env };
      const inst = await startInstance({ ...o, ...extra, env, name, token: bot.token, apiRoot, ...(shared ? { stateDir: shared.dir } : {}) });
      instances.push(inst);
      return inst;
    };
    for (const name of o.names ?? ['A', 'B']) await add(name);
    return {
      emu,
      bot,
      instances,
      stateDir: shared?.dir ?? '',
      leader: async (timeoutMs) => (await waitForAnyLeader(instances, timeoutMs)).leader,
      add,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** True while `pid` runs; a zombie counts as gone (src/process/liveness.ts owns the check). */
export { isProcessAlive } from '../../src/process/liveness.js';

/** Why Debian's python-telegram-bot 13 cannot run here (one line for a skip), or false when it can. */
export function ptb13Missing(): string | false {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import telegram'], { stdio: 'ignore', timeout: 20_000 });
  return r.status === 0 ? false : 'python-telegram-bot 13 is missing (/usr/bin/python3 cannot import telegram): sudo apt-get install -y python3-python-telegram-bot';
}
