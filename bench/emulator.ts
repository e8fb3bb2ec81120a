// The emulator's own figures: updates/s drained through getUpdates (limit=100 loop) and RSS with 1,000 concurrent
// long polls. The emulator runs as `botwarden emulator` in its own process (the build, else the TypeScript source).
import { existsSync, readFileSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BOTWARDEN_BIN, ROOT } from './lib/botwarden.js';
import { startProc, type Proc } from './lib/proc.js';
import { median } from './lib/stats.js';
import type { SuiteContext } from './lib/suite.js';
import type { BenchTable, Cell } from './lib/table.js';
import type { ControlStats, CreatedBot, InjectedMessage } from '../src/emulator/index.js';

const GOAL_UPS = 20_000;
const GOAL_RSS_MB = 100;
const POLLS = 1000;

interface HttpAnswer {
  status: number;
  text: string;
}

/** One HTTP request on a keep-alive agent (JSON body when given). */
function request(agent: http.Agent, url: string, method: 'GET' | 'POST', body?: unknown, signal?: AbortSignal): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(url, { method, agent, headers: data === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }, ...(signal ? { signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** RSS of one process in MB (Linux /proc; elsewhere undefined). */
function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** How the emulator process is started: the `botwarden emulator` CLI, or a bare script importing only src/emulator. */
type Launch = 'cli' | 'module';

/** Args for a process that imports only the emulator module (built, else the TypeScript source via tsx). */
function moduleArgs(): string[] {
  const built = path.join(ROOT, 'dist', 'emulator', 'index.js');
  const file = existsSync(built) ? built : path.join(ROOT, 'src', 'emulator', 'index.ts');
  const code =
    `const { startEmulator } = await import(${JSON.stringify(pathToFileURL(file).href)});` +
    `const e = await startEmulator({ port: 0 }); console.log('listening on ' + e.url);` +
    `for (const s of ['SIGTERM', 'SIGINT']) process.once(s, () => void e.close());`;
  return [...(existsSync(built) ? [] : ['--import', 'tsx']), '--input-type=module', '-e', code];
}

/** Start an emulator process on a free port and return its URL. */
async function startEmulatorProcess(ctx: SuiteContext, launch: Launch): Promise<{ proc: Proc; url: string }> {
  const args =
    launch === 'module'
      ? moduleArgs()
      : existsSync(BOTWARDEN_BIN)
        ? [BOTWARDEN_BIN, 'emulator', '--port', '0']
        : ['--import', 'tsx', path.join(ROOT, 'src', 'bin', 'botwarden.ts'), 'emulator', '--port', '0'];
  const proc = startProc(process.execPath, args, { cwd: ROOT });
  ctx.track(proc.pid);
  try {
    const m = await proc.waitFor(/(http:\/\/127\.0\.0\.1:\d+)/, 20_000);
    return { proc, url: m[1] as string };
  } catch (err) {
    await proc.stop();
    throw err;
  }
}

/** Preload `n` updates, then drain them with getUpdates limit=100 in a loop; updates per second. */
async function drainRound(agent: http.Agent, url: string, n: number, signal: AbortSignal): Promise<number> {
  const bot = JSON.parse((await request(agent, `${url}/_emulator/bots`, 'POST', {})).text) as CreatedBot;
  const loaded = JSON.parse((await request(agent, `${url}/_emulator/bots/${bot.id}/updates`, 'POST', { text: 'benchmark update text', count: n })).text) as InjectedMessage;
  if (loaded.queued !== n) throw new Error(`preloaded ${loaded.queued} of ${n} updates`);
  let offset = 0;
  let got = 0;
  const t0 = performance.now();
  while (got < n && !signal.aborted) {
    const r = await request(agent, `${url}/bot${bot.token}/getUpdates`, 'POST', { offset, limit: 100 });
    const body = JSON.parse(r.text) as { ok: boolean; result: Array<{ update_id: number }> };
    if (!body.ok || body.result.length === 0) throw new Error(`drain stopped at ${got}: ${r.text.slice(0, 200)}`);
    got += body.result.length;
    offset = (body.result.at(-1) as { update_id: number }).update_id + 1;
  }
  const s = (performance.now() - t0) / 1000;
  await request(agent, `${url}/bot${bot.token}/getUpdates`, 'POST', { offset }); // confirm the last batch, free the queue
  return got / s;
}

/** Open `count` long polls on `count` bots; RSS of the emulator while they wait, and how fast 1,000 wake-ups answer. */
async function longPolls(ctx: SuiteContext, url: string, pid: number, count: number): Promise<{ idleMb?: number; pollsMb?: number; wakeMs?: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
  const pollAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const ac = new AbortController();
  setMaxListeners(count + 10, ac.signal);
  try {
    const bots: Array<{ id: number; token: string }> = [];
    for (let i = 0; i < count; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => request(agent, `${url}/_emulator/bots`, 'POST', {})));
      for (const b of batch) bots.push(JSON.parse(b.text) as CreatedBot);
    }
    await new Promise((r) => setTimeout(r, 500));
    const idleMb = rssMb(pid);
    const answers = bots.map((b) => request(pollAgent, `${url}/bot${b.token}/getUpdates`, 'POST', { timeout: 50 }, ac.signal).catch(() => undefined));
    const waiting = async (): Promise<boolean> => {
      const s = JSON.parse((await request(agent, `${url}/_emulator/bots/${bots.at(-1)?.id}/stats`, 'GET')).text) as ControlStats;
      return s.longPollWaiting;
    };
    for (let i = 0; i < 100 && !(await waiting()); i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1000));
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const v = rssMb(pid);
      if (v !== undefined) samples.push(v);
      await new Promise((r) => setTimeout(r, 200));
    }
    // Wake every poll with one update each; time until the last answer.
    const t0 = performance.now();
    for (let i = 0; i < bots.length; i += 50) {
      await Promise.all(bots.slice(i, i + 50).map((b) => request(agent, `${url}/_emulator/bots/${b.id}/updates`, 'POST', { text: 'wake' })));
    }
    const got = await Promise.all(answers);
    const wakeMs = performance.now() - t0;
    const ok = got.filter((a) => a?.status === 200 && a.text.includes('"update_id"')).length;
    ctx.log(`emulator: ${ok}/${count} long polls answered with their update in ${wakeMs.toFixed(0)} ms`);
    return { ...(idleMb !== undefined ? { idleMb } : {}), ...(samples.length ? { pollsMb: median(samples) } : {}), ...(ok === count ? { wakeMs } : {}) };
  } finally {
    ac.abort();
    agent.destroy();
    pollAgent.destroy();
  }
}

/** The emulator benchmark (bench/README.md contract). */
export async function runEmulatorBench(ctx: SuiteContext): Promise<void> {
  const n = ctx.quick ? 20_000 : 100_000;
  const rounds = ctx.quick ? 1 : 3;
  const ups: number[] = [];
  const polls: Record<Launch, Awaited<ReturnType<typeof longPolls>>> = { cli: {}, module: {} };
  // Memory first, each in a fresh process (the drain rounds below grow the heap by design).
  for (const launch of ['module', 'cli'] as const) {
    if (ctx.signal.aborted) break;
    const { proc, url } = await startEmulatorProcess(ctx, launch);
    try {
      polls[launch] = await longPolls(ctx, url, proc.pid, POLLS);
    } finally {
      await proc.stop(3000);
    }
  }
  if (!ctx.signal.aborted) {
    const { proc, url } = await startEmulatorProcess(ctx, 'cli');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    try {
      await drainRound(agent, url, Math.min(n, 10_000), ctx.signal); // warm-up, not counted
      for (let r = 0; r < rounds && !ctx.signal.aborted && Date.now() < ctx.deadline - 10_000; r++) {
        const v = await drainRound(agent, url, n, ctx.signal);
        ctx.log(`emulator: drained ${n} updates at ${Math.round(v)} updates/s`);
        ups.push(v);
      }
    } finally {
      agent.destroy();
      await proc.stop(3000);
    }
  }
  const cell = (v: number | undefined, why: string): Cell => (v === undefined ? { value: null, na: why } : { value: v });
  const upsMedian = ups.length ? median(ups) : undefined;
  const cli = polls.cli;
  const mod = polls.module;
  const table: BenchTable = {
    id: 'emulator',
    title: 'Emulator: getUpdates throughput and memory under 1,000 long polls',
    metrics: [
      { key: 'ups', label: `drain ${n.toLocaleString('en')} updates, limit=100`, unit: 'updates/s', lowerIsBetter: false },
      { key: 'rssIdle', label: `RSS with ${POLLS.toLocaleString('en')} bots, idle`, unit: 'MB' },
      { key: 'rssPolls', label: `RSS with ${POLLS.toLocaleString('en')} long polls`, unit: 'MB' },
      { key: 'wake', label: `wake ${POLLS.toLocaleString('en')} polls (1 update each)`, unit: 'ms' },
    ],
    subjects: ['botwarden emulator (CLI)', 'emulator module alone'],
    cells: {
      'botwarden emulator (CLI)': {
        ups: ups.length ? { value: upsMedian as number, samples: ups } : cell(undefined, 'not measured'),
        rssIdle: cell(cli.idleMb, 'not measured (Linux /proc only)'),
        rssPolls: cell(cli.pollsMb, 'not measured (Linux /proc only)'),
        wake: cell(cli.wakeMs, 'not every poll was answered'),
      },
      'emulator module alone': {
        ups: cell(undefined, 'same server code; measured through the CLI'),
        rssIdle: cell(mod.idleMb, 'not measured (Linux /proc only)'),
        rssPolls: cell(mod.pollsMb, 'not measured (Linux /proc only)'),
        wake: cell(mod.wakeMs, 'not every poll was answered'),
      },
    },
    goals: [
      { text: `≥ ${GOAL_UPS.toLocaleString('en')} updates/s through getUpdates`, met: upsMedian === undefined ? null : upsMedian >= GOAL_UPS },
      { text: `emulator RSS < ${GOAL_RSS_MB} MB with ${POLLS.toLocaleString('en')} concurrent long polls (module alone)`, met: mod.pollsMb === undefined ? null : mod.pollsMb < GOAL_RSS_MB },
      { text: `the same through the botwarden CLI`, met: cli.pollsMb === undefined ? null : cli.pollsMb < GOAL_RSS_MB },
    ],
    notes: [
      'Each figure comes from its own emulator process; the client is a separate process. Throughput: one sequential keep-alive HTTP loop (like a bot), JSON-parsing each answer.',
      `Throughput: median of ${rounds} round(s) after a warm-up, each preloading ${n.toLocaleString('en')} updates through the control API (bulk) and draining them with getUpdates(offset, limit=100).`,
      `Memory: ${POLLS.toLocaleString('en')} bots each with one pending getUpdates(timeout=50) on its own connection; VmRSS of the emulator process. "Module alone" imports only src/emulator; the CLI also loads every other command's modules at start.`,
    ],
  };
  ctx.emit(table);
}
