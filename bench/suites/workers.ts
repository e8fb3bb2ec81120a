// Suite 8: worker mode (`--workers redis://…`): throughput with 1/2/4/8 workers and a 50 ms handler, the poller's own
// ceiling, latency added vs plain `botwarden run`, and 10,000 updates over 100 chats with a worker killed -9 every 2 s
// and the poller once (lost, order violations, duplicates, how soon a killed worker's partitions are served again).
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { hasRun, ROOT, RUN_NA, startBotwardenRun, type BotwardenRun } from '../lib/botwarden.js';
import { benchRedis } from '../lib/backends.js';
import { emulatorMissing, startBenchEmulator } from '../lib/botwarden.js';
import type { SentMessage } from '../../src/emulator/index.js';
import type { StatusSnapshot } from '../../src/health/status.js';
import type { RunningEmulator } from '../../test/helpers/fleet.js';
import { delay, killGroup, killPid, pollUntil } from '../lib/proc.js';
import { median, percentile } from '../lib/stats.js';
import type { Suite, SuiteContext } from '../lib/suite.js';
import { naCell, type BenchTable } from '../lib/table.js';
import { goal } from './common.js';

/** The Redis of this run (benchRedis), set before any worker starts. */
let REDIS = '';
const TTL_MS = 3000;
const PARTITIONS = 16;
/** The worker-mode echo bot the tests use; REPLY_STAMP=1 adds when it received each update. */
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'bots', 'worker-echo.mjs');

/** A worker instance and its /status. */
class Worker {
  readonly run: BotwardenRun;
  constructor(ctx: SuiteContext, emu: RunningEmulator, token: string, dir: string, readonly tag: string, handlerMs: number) {
    this.run = startBotwardenRun({
      token,
      apiRoot: emu.url,
      stateDir: path.join(dir, `state-${tag}`),
      lease: REDIS,
      leaseTtlMs: TTL_MS,
      command: [process.execPath, FIXTURE],
      env: { HANDLER_MS: String(handlerMs), REPLY_STAMP: '1' },
      args: ['--workers', REDIS, '--partitions', String(PARTITIONS)],
    });
    ctx.track(this.run.proc.pid);
  }
  async status(): Promise<StatusSnapshot | undefined> {
    try {
      const port = await this.run.healthPort(20_000);
      const res = await fetch(`http://127.0.0.1:${port}/status`, { signal: AbortSignal.timeout(2000) });
      return res.ok ? ((await res.json()) as StatusSnapshot) : undefined;
    } catch {
      return undefined;
    }
  }
  /** kill -9 botwarden and its bot (a lost host). */
  async kill9(): Promise<void> {
    const bot = (await this.status())?.child.pid;
    killGroup(this.run.proc.pid, 'SIGKILL');
    if (bot) killPid(bot, 'SIGKILL');
    await this.run.proc.exited;
  }
}

/** Replies of one bot, collected incrementally (the emulator keeps only its last 10,000, oldest dropped). */
class Replies {
  readonly list: Array<{ label: string; t: number; at: number }> = [];
  private last: string | undefined;
  constructor(
    private readonly emu: RunningEmulator,
    private readonly botId: number,
  ) {}
  async poll(): Promise<void> {
    const sent: SentMessage[] = await this.emu.sent(this.botId);
    const key = (m: SentMessage): string => `${m.chat_id}:${m.message_id}:${m.at}`;
    let from = 0;
    if (this.last !== undefined) {
      for (let i = sent.length - 1; i >= 0; i--) {
        if (key(sent[i]!) === this.last) {
          from = i + 1;
          break;
        }
      }
    }
    for (const m of sent.slice(from)) {
      const x = /^echo: (\S+) t=([\d.]+)$/.exec(m.text ?? '');
      if (x) this.list.push({ label: x[1]!, t: Number(x[2]), at: m.at });
    }
    if (sent.length > 0) this.last = key(sent[sent.length - 1]!);
  }
  /** Poll until every label was answered (bounded); true when all were. */
  async waitAll(labels: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      await this.poll();
      const got = new Set(this.list.map((r) => r.label));
      if (labels.every((l) => got.has(l))) return true;
      if (Date.now() > end || signal.aborted) return false;
      await delay(200);
    }
  }
}

/** Send `labels` (`c<chat>-<seq>`) with `concurrency` posts in flight; resolves with each send time (epoch ms). */
async function inject(emu: RunningEmulator, botId: number, labels: readonly string[], concurrency: number, signal: AbortSignal): Promise<Map<string, number>> {
  const sentAt = new Map<string, number>();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < labels.length && !signal.aborted) {
      const label = labels[next++]!;
      sentAt.set(label, performance.timeOrigin + performance.now());
      await emu.sendText(botId, label, Number(/^c(\d+)-/.exec(label)![1]));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return sentAt;
}

/** `count` labels round-robin over `chats` chats starting at chat id `base`. */
function labelsFor(count: number, chats: number, base: number): string[] {
  const seq = new Array<number>(chats).fill(0);
  return Array.from({ length: count }, (_x, i) => `c${base + (i % chats)}-${seq[i % chats]!++}`);
}

async function startWorkers(ctx: SuiteContext, emu: RunningEmulator, token: string, dir: string, n: number, handlerMs: number, prefix = 'w'): Promise<Worker[]> {
  const ws = Array.from({ length: n }, (_x, i) => new Worker(ctx, emu, token, dir, `${prefix}${i}`, handlerMs));
  const spread = await pollUntil(
    async () => {
      const snaps = await Promise.all(ws.map((w) => w.status()));
      const owned = snaps.map((s) => s?.workers?.partitions.length ?? 0);
      return owned.reduce((a, b) => a + b, 0) === PARTITIONS && owned.every((o) => o > 0) && snaps.every((s) => s?.child.pid) ? true : undefined;
    },
    60_000,
    200,
  );
  if (!spread) throw new Error(`${n} workers did not share the ${PARTITIONS} partitions within 60 s:\n${ws[0]?.run.proc.output().slice(-1500)}`);
  return ws;
}

async function stopAll(ws: readonly Worker[]): Promise<void> {
  await Promise.all(ws.map((w) => w.run.proc.stop(8000)));
}

/** Per chat: gaps or first replies after a later one (violations), and replies beyond the first (duplicates). */
function orderCheck(replies: ReadonlyArray<{ label: string }>, labels: readonly string[]): { lost: number; violations: number; duplicates: number } {
  const seen = new Set<string>();
  const max = new Map<string, number>();
  let violations = 0;
  let duplicates = 0;
  for (const { label } of replies) {
    const m = /^(c\d+)-(\d+)$/.exec(label);
    if (!m) continue;
    const s = Number(m[2]);
    const hi = max.get(m[1]!) ?? -1;
    if (seen.has(label)) duplicates++;
    else if (s !== hi + 1) violations++;
    seen.add(label);
    max.set(m[1]!, Math.max(hi, s));
  }
  return { lost: labels.filter((l) => !seen.has(l)).length, violations, duplicates };
}

/** Worker-mode suite. */
export const workersSuite: Suite = {
  id: 'workers',
  title: 'Workers',
  budgetMs: 420_000,
  run: async (ctx) => {
    const redis = await benchRedis();
    REDIS = redis.url;
    const why = (await hasRun()) ? ((await emulatorMissing()) ?? (redis.skip || undefined)) : RUN_NA;
    if (why) {
      ctx.emit(naTable(why));
      return;
    }
    const emu = await startBenchEmulator();
    try {
      ctx.emit(await throughputTable(ctx, emu));
      ctx.emit(await latencyTable(ctx, emu));
      ctx.emit(await chaosTable(ctx, emu));
    } finally {
      await emu.close();
    }
  },
};

function naTable(why: string): BenchTable {
  return { id: 'workers', title: '8. Workers', metrics: [{ key: 'x', label: 'result', unit: '' }], subjects: ['botwarden --workers'], cells: { 'botwarden --workers': { x: naCell(why) } } };
}

async function throughputTable(ctx: SuiteContext, emu: RunningEmulator): Promise<BenchTable> {
  const counts = ctx.quick ? [1, 2] : [1, 2, 4, 8];
  const rates = new Map<number, number>();
  const cells: BenchTable['cells'] = {};
  for (const n of counts) {
    if (ctx.signal.aborted) break;
    const dir = ctx.tempDir(`workers-tp${n}`);
    const bot = await emu.createBot(`workers_tp${n}_bot`);
    const ws = await startWorkers(ctx, emu, bot.token, dir, n, 50);
    try {
      // 128 chats: 8 per partition, so every worker gets the same share.
      const labels = labelsFor(160 * n, 128, 10_000);
      const replies = new Replies(emu, bot.id);
      const t0 = Date.now();
      await inject(emu, bot.id, labels, 16, ctx.signal);
      const ok = await replies.waitAll(labels, 60_000, ctx.signal);
      const last = Math.max(...replies.list.map((r) => r.at));
      const rate = ok ? labels.length / ((last - t0) / 1000) : NaN;
      rates.set(n, rate);
      ctx.log(`workers throughput: ${n} worker(s): ${labels.length} updates in ${last - t0} ms = ${rate.toFixed(1)}/s${ok ? '' : ' (not all answered)'}`);
    } finally {
      await stopAll(ws);
    }
  }
  const one = rates.get(1);
  for (const n of counts) {
    const r = rates.get(n);
    cells[`${n} worker${n > 1 ? 's' : ''}`] = {
      rate: r === undefined || !Number.isFinite(r) ? naCell('not measured') : { value: r },
      scale: r === undefined || one === undefined ? naCell('not measured') : { value: r / one },
    };
  }
  const ceiling = await pollerCeiling(ctx, emu);
  cells['poller alone'] = { rate: Number.isFinite(ceiling) ? { value: ceiling } : naCell('not measured'), scale: naCell('the ceiling') };
  ctx.log(`workers: poller ceiling ${ceiling.toFixed(0)}/s`);
  const goals = counts
    .filter((n) => n > 1)
    .map((n) => {
      const r = rates.get(n);
      const want = Math.min(0.9 * n * (one ?? NaN), ceiling);
      return { text: `${n} workers ≥ 0.9 × ${n} × one worker's (${Number.isFinite(want) ? want.toFixed(1) : '?'}/s), up to the poller's ceiling`, met: goal(r, (v) => v >= want) };
    });
  return {
    id: 'workers-throughput',
    title: '8a. Workers: throughput, echo bot with a 50 ms handler (updates/s)',
    metrics: [
      { key: 'rate', label: 'throughput', unit: 'updates/s', lowerIsBetter: false },
      { key: 'scale', label: '× one worker', unit: '', lowerIsBetter: false },
    ],
    subjects: Object.keys(cells),
    cells,
    goals,
    notes: [
      `--partitions ${PARTITIONS}, 128 chats (8 per partition), 160 updates per worker sent at once, timed from the first send to the last reply; one worker handles its updates one after the other (50 ms each), so it does ~20/s.`,
      '"poller alone": 5000 updates waiting at the emulator, one worker whose bot does nothing but echo: updates stored per second by the poller.',
    ],
  };
}

async function pollerCeiling(ctx: SuiteContext, emu: RunningEmulator): Promise<number> {
  const bot = await emu.createBot('workers_ceiling_bot');
  const total = ctx.quick ? 1000 : 5000;
  await inject(emu, bot.id, labelsFor(total, 128, 20_000), 16, ctx.signal);
  const dir = ctx.tempDir('workers-ceiling');
  const w = new Worker(ctx, emu, bot.token, dir, 'p', 0);
  try {
    let first: number | undefined;
    const done = await pollUntil(
      async () => {
        const s = await w.status();
        const n = s?.workers?.poller.self.appended ?? 0;
        if (n > 0 && first === undefined) first = performance.now();
        return n >= total ? performance.now() : undefined;
      },
      60_000,
      20,
    );
    return done !== undefined && first !== undefined && done > first ? total / ((done - first) / 1000) : NaN;
  } finally {
    await w.run.proc.stop(8000);
  }
}

async function latencyTable(ctx: SuiteContext, emu: RunningEmulator): Promise<BenchTable> {
  const samples = ctx.quick ? 60 : 200;
  const measure = async (name: string, start: (token: string, dir: string) => Promise<() => Promise<void>>): Promise<number[]> => {
    const bot = await emu.createBot(`workers_lat_${name}_bot`);
    const dir = ctx.tempDir(`workers-lat-${name}`);
    const stop = await start(bot.token, dir);
    try {
      const replies = new Replies(emu, bot.id);
      const labels = labelsFor(samples + 10, 10, 30_000);
      // One at a time, 20 ms apart; the first 10 warm up.
      const sentAt = new Map<string, number>();
      for (const l of labels) {
        if (ctx.signal.aborted) break;
        sentAt.set(l, performance.timeOrigin + performance.now());
        await emu.sendText(bot.id, l, Number(/^c(\d+)-/.exec(l)![1]));
        await delay(20);
      }
      await replies.waitAll(labels, 30_000, ctx.signal);
      const byLabel = new Map(replies.list.map((r) => [r.label, r.t]));
      return labels.slice(10).flatMap((l) => {
        const t = byLabel.get(l);
        const s = sentAt.get(l);
        return t !== undefined && s !== undefined ? [t - s] : [];
      });
    } finally {
      await stop();
    }
  };
  const plain = await measure('plain', async (token, dir) => {
    const run = startBotwardenRun({ token, apiRoot: emu.url, stateDir: path.join(dir, 'state'), command: [process.execPath, FIXTURE], env: { HANDLER_MS: '0', REPLY_STAMP: '1' } });
    ctx.track(run.proc.pid);
    await run.proc.waitFor(/ready/, 30_000);
    return () => run.proc.stop(8000);
  });
  const workers = await measure('workers', async (token, dir) => {
    const ws = await startWorkers(ctx, emu, token, dir, 2, 0, 'l');
    return () => stopAll(ws);
  });
  const cell = (xs: number[]) => (xs.length ? { value: median(xs), p99: percentile(xs, 99), samples: xs } : naCell('no samples'));
  const delta = plain.length && workers.length ? median(workers) - median(plain) : NaN;
  ctx.log(`workers latency: plain p50 ${median(plain).toFixed(2)} ms, workers p50 ${median(workers).toFixed(2)} ms (+${delta.toFixed(2)})`);
  return {
    id: 'workers-latency',
    title: '8b. Workers: update entering the emulator → the bot receiving it (ms)',
    metrics: [{ key: 'lat', label: 'latency p50', unit: 'ms' }],
    subjects: ['botwarden run (plain)', 'botwarden run --workers (2 workers)'],
    cells: { 'botwarden run (plain)': { lat: cell(plain) }, 'botwarden run --workers (2 workers)': { lat: cell(workers) } },
    baseline: 'botwarden run --workers (2 workers)',
    goals: [{ text: `worker mode adds ≤ 5 ms at p50 (measured +${Number.isFinite(delta) ? delta.toFixed(2) : '?'} ms)`, met: goal(delta, (d) => d <= 5) }],
    notes: [`${samples} updates, one every 20 ms over 10 chats, the bot's handler does nothing; times from the emulator's control call to the bot's getUpdates answer, one clock.`],
  };
}

async function chaosTable(ctx: SuiteContext, emu: RunningEmulator): Promise<BenchTable> {
  const total = ctx.quick ? 2000 : 10_000;
  const bot = await emu.createBot('workers_chaos_bot');
  const dir = ctx.tempDir('workers-chaos');
  let gen = 4;
  let ws = await startWorkers(ctx, emu, bot.token, dir, 4, 5, 'k');
  const labels = labelsFor(total, 100, 40_000);
  const replies = new Replies(emu, bot.id);
  const servedAgain: number[] = [];
  let kills = 0;
  let pollerKilled = false;
  // A seeded choice of victims: the same run, the same kills.
  let seed = 15;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let sending = true;
  const sender = (async () => {
    // ~250 updates/s: 5 every 20 ms.
    for (let i = 0; i < labels.length && !ctx.signal.aborted; i += 5) {
      await inject(emu, bot.id, labels.slice(i, i + 5), 5, ctx.signal);
      await delay(20);
    }
    sending = false;
  })();
  const watcher = (async () => {
    while (sending && !ctx.signal.aborted) {
      await replies.poll();
      await delay(1000);
    }
  })();
  try {
    const t0 = Date.now();
    while (sending && !ctx.signal.aborted) {
      await delay(2000);
      if (!sending) break;
      const snaps = await Promise.all(ws.map((w) => w.status()));
      const pollerIdx = snaps.findIndex((s) => s?.role === 'leader');
      const killPoller = !pollerKilled && Date.now() - t0 > 15_000 && pollerIdx >= 0;
      const candidates = ws.map((_w, i) => i).filter((i) => i !== pollerIdx);
      const idx = killPoller ? pollerIdx : candidates[Math.floor(rnd() * candidates.length)]!;
      const victim = ws[idx]!;
      const at = performance.now();
      await victim.kill9();
      kills++;
      if (killPoller) pollerKilled = true;
      const fresh = new Worker(ctx, emu, bot.token, dir, `k${gen++}`, 5);
      ws = ws.map((w) => (w === victim ? fresh : w));
      const again = await pollUntil(
        async () => {
          const owned = (await Promise.all(ws.map((w) => w.status()))).reduce((n, s) => n + (s?.workers?.partitions.length ?? 0), 0);
          return owned === PARTITIONS ? performance.now() - at : undefined;
        },
        15_000,
        100,
      );
      servedAgain.push(again ?? NaN);
      ctx.log(`workers chaos: kill -9 ${victim.tag}${killPoller ? ' (the poller)' : ''}: all partitions served again after ${again === undefined ? '>15000' : again.toFixed(0)} ms`);
    }
    await sender;
    await watcher;
    await replies.waitAll(labels, 90_000, ctx.signal);
  } finally {
    sending = false;
    await stopAll(ws);
  }
  const r = orderCheck(replies.list, labels);
  const maxAgain = servedAgain.length ? Math.max(...servedAgain) : NaN;
  ctx.log(`workers chaos: ${total} updates, ${kills} kills (poller ${pollerKilled ? 'once' : 'not'}), lost ${r.lost}, order violations ${r.violations}, duplicates ${r.duplicates}, served again ≤ ${maxAgain.toFixed(0)} ms`);
  const subject = 'botwarden --workers (4 workers)';
  return {
    id: 'workers-chaos',
    title: `8c. Workers: ${total} updates over 100 chats, a worker killed -9 every 2 s, the poller once`,
    metrics: [
      { key: 'lost', label: 'lost', unit: '' },
      { key: 'order', label: 'order violations', unit: '' },
      { key: 'dups', label: 'duplicates', unit: '' },
      { key: 'kills', label: 'kills', unit: '', lowerIsBetter: false },
      { key: 'again', label: 'partitions served again (median / max)', unit: 'ms' },
    ],
    subjects: [subject],
    cells: {
      [subject]: {
        lost: { value: r.lost },
        order: { value: r.violations },
        dups: { value: r.duplicates },
        kills: { value: kills },
        again: servedAgain.length ? { value: median(servedAgain.filter(Number.isFinite)), note: `max ${maxAgain.toFixed(0)}`, samples: servedAgain } : naCell('no kill'),
      },
    },
    goals: [
      { text: '0 lost', met: r.lost === 0 },
      { text: '0 order violations within any chat', met: r.violations === 0 },
      { text: `a killed worker's partitions served again within TTL + 1 s (${TTL_MS + 1000} ms)`, met: goal(maxAgain, (v) => v <= TTL_MS + 1000) },
    ],
    notes: [`--lease-ttl ${TTL_MS}, --partitions ${PARTITIONS}, handler 5 ms, ~250 updates/s sent; each killed worker (botwarden and its bot, -9) is replaced by a new one at once; duplicates = replies beyond the first (updates a killed worker had in hand).`],
  };
}
