// Suite 5: failover per lease backend (file, Redis, PostgreSQL): graceful handover (SIGTERM) and kill -9 of the leader.
import path from 'node:path';
import { hasRun, RUN_NA, startBotwardenRun, type BotwardenRun } from '../lib/botwarden.js';
import { LEASE_BACKENDS, type LeaseBackendSpec } from '../lib/backends.js';
import { emulatorMissing, startBenchEmulator } from '../lib/botwarden.js';
import { type RunningEmulator } from '../../test/helpers/fleet.js';
import { delay, killGroup, killPid, pollUntil } from '../lib/proc.js';
import { median, percentile } from '../lib/stats.js';
import { readStamps } from '../lib/stamps.js';
import type { Suite, SuiteContext } from '../lib/suite.js';
import { naCell, type BenchTable, type Cell } from '../lib/table.js';
import { Traffic } from '../../test/helpers/traffic.js';
import { logGapMs } from '../../test/helpers/chaos.js';
import { FIXTURES, replyTag, goal } from './common.js';

/** Lease TTL for the benchmark (a crash fails over after about this long). */
const LEASE_TTL_MS = 3000;
const SEND_EVERY_MS = 50;
/** How long a failover may take before the round counts as failed. */
const FAILOVER_CAP_MS = 15_000;

type Mode = 'graceful' | 'kill9';

interface Slot {
  tag: string;
  run: BotwardenRun;
  stampFile: string;
}

interface BackendResult {
  graceful: number[];
  /** Graceful rounds: the leader's "leadership ended" → the standby's "lease acquired" (their log timestamps). */
  notice: number[];
  kill9: number[];
  failedRounds: number;
  /** Replies the standby sent while it should have been standby (two leaders at once). */
  standbyReplies: number;
  lost: number;
  sent: number;
}

/** Failover suite. */
export const failoverSuite: Suite = {
  id: 'failover',
  title: 'Failover per lease backend',
  budgetMs: 170_000,
  run: async (ctx) => {
    const rounds = ctx.quick ? 2 : 5;
    const results = new Map<string, BackendResult | string>();
    const why = (await hasRun()) ? await emulatorMissing() : RUN_NA;
    let emu: RunningEmulator | undefined;
    try {
      if (!why) emu = await startBenchEmulator();
      for (const backend of LEASE_BACKENDS) {
        if (why) {
          results.set(backend.name, why);
          continue;
        }
        const service = await backend.service?.();
        if (service?.skip) {
          results.set(backend.name, service.skip);
          continue;
        }
        try {
          const r = await measureBackend(ctx, emu as RunningEmulator, backend, service?.url, rounds);
          ctx.log(`${backend.name}: graceful ${r.graceful.map((x) => x.toFixed(0)).join(', ')} ms; kill -9 ${r.kill9.map((x) => x.toFixed(0)).join(', ')} ms; lost ${r.lost}/${r.sent}`);
          results.set(backend.name, r);
        } catch (err) {
          results.set(backend.name, `failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
        }
      }
    } finally {
      await emu?.close();
    }
    ctx.emit(failoverTable(results, rounds));
  },
};

async function measureBackend(ctx: SuiteContext, emu: RunningEmulator, backend: LeaseBackendSpec, lease: string | undefined, rounds: number): Promise<BackendResult> {
  const dir = ctx.tempDir(`failover-${backend.name}`);
  const bot = await emu.createBot(`failover_${backend.name}_bot`);
  const driver = new Traffic(emu, bot.id, { prefix: 'f', everyMs: SEND_EVERY_MS, max: 100_000, tagOf: replyTag, signal: ctx.signal });
  const slots: Slot[] = [];
  let gen = 0;
  const start = (): Slot => {
    const tag = `i${gen++}`;
    const stampFile = path.join(dir, `${tag}.stamps`);
    const stateDir = path.join(dir, backend.sharedStateDir ? 'state' : `state-${tag}`);
    const run = startBotwardenRun({
      token: bot.token,
      apiRoot: emu.url,
      stateDir,
      lease,
      leaseTtlMs: LEASE_TTL_MS,
      command: [process.execPath, path.join(FIXTURES, 'echo-bot.mjs')],
      env: { STAMP_FILE: stampFile, ECHO_INSTANCE: tag },
    });
    const slot = { tag, run, stampFile };
    slots.push(slot);
    return slot;
  };
  const result: BackendResult = { graceful: [], notice: [], kill9: [], failedRounds: 0, standbyReplies: 0, lost: 0, sent: 0 };
  try {
    let leader = start();
    if (!(await driver.probe(20_000))) throw new Error(`the first instance did not answer within 20 s:\n${leader.run.proc.output().slice(-1500)}`);
    let standby = start();
    await waitStandby(ctx, standby);
    driver.watch();
    driver.start();
    const t0All = Date.now();
    const plan: Mode[] = [];
    for (let i = 0; i < rounds; i++) plan.push('graceful', 'kill9');
    for (const mode of plan) {
      if (ctx.signal.aborted) break;
      await delay(300);
      const t0 = Date.now();
      const early = [...driver.log.repliedBy.values()].filter((tag) => tag === standby.tag).length;
      if (early) ctx.log(`${backend.name}: standby ${standby.tag} had already replied ${early} time(s) before the leader was stopped`);
      result.standbyReplies += early;
      if (mode === 'graceful') killPid(leader.run.proc.pid, 'SIGTERM');
      else {
        // Host loss: the supervisor and its bot die together, no goodbye.
        killGroup(leader.run.proc.pid, 'SIGKILL');
        for (const e of readStamps(leader.stampFile)) killPid(e.pid, 'SIGKILL');
      }
      const newTag = standby.tag;
      const tookOver = await pollUntil(
        () => {
          for (const [n, tag] of driver.log.repliedBy) {
            if (tag !== newTag) continue;
            const at = driver.log.replies.get(n)?.[0];
            if (at !== undefined && at >= t0) return at;
          }
          return undefined;
        },
        FAILOVER_CAP_MS,
        10,
      );
      if (tookOver === undefined) {
        result.failedRounds++;
        ctx.log(`${backend.name} ${mode}: no reply from ${newTag} within ${FAILOVER_CAP_MS} ms`);
        break;
      }
      result[mode].push(tookOver - t0);
      await leader.run.proc.stop(5000);
      if (mode === 'graceful') {
        const gap = logGapMs(leader.run.proc.output(), /leadership ended: stopping/, standby.run.proc.output(), /leader: lease acquired/);
        if (gap !== undefined) result.notice.push(gap);
      }
      trackStamps(ctx, leader);
      leader = standby;
      standby = start();
      await waitStandby(ctx, standby);
    }
    await driver.stop();
    await driver.drain(5000);
    const s = summarizeSince(driver, t0All);
    result.lost = s.lost;
    result.sent = s.sent;
    return result;
  } finally {
    await driver.close();
    await Promise.all(slots.map((s) => s.run.proc.stop(5000)));
    for (const s of slots) trackStamps(ctx, s);
  }
}

function summarizeSince(driver: Traffic, from: number): { sent: number; lost: number } {
  let sent = 0;
  let lost = 0;
  for (const [n, at] of driver.log.sentAt) {
    if (at < from) continue;
    sent++;
    if (!driver.log.replies.get(n)?.length) lost++;
  }
  return { sent, lost };
}

function trackStamps(ctx: SuiteContext, slot: Slot): void {
  for (const e of readStamps(slot.stampFile)) {
    ctx.track(e.pid);
    killPid(e.pid, 'SIGKILL');
  }
}

/** Wait (≤ 15 s) until the new instance says it is standby; without a readable /status, give it 3 s. */
async function waitStandby(ctx: SuiteContext, slot: Slot): Promise<void> {
  let port: number | undefined;
  try {
    port = await slot.run.healthPort(15_000);
  } catch {
    port = undefined;
  }
  if (port === undefined) {
    await delay(3000);
    return;
  }
  const ok = await pollUntil(async () => ((await slot.run.status())?.role === 'standby' ? true : undefined), 15_000, 50);
  if (!ok && !ctx.signal.aborted) throw new Error(`instance ${slot.tag} did not report role standby within 15 s:\n${slot.run.proc.output().slice(-1500)}`);
}

function failoverTable(results: Map<string, BackendResult | string>, rounds: number): BenchTable {
  const cells: BenchTable['cells'] = {};
  const stat = (xs: number[], f: (xs: number[]) => number): Cell => (xs.length ? { value: f(xs), samples: xs } : naCell('no round'));
  for (const b of LEASE_BACKENDS) {
    const r = results.get(b.name);
    if (r === undefined || typeof r === 'string') {
      const na = naCell(r ?? 'not run');
      cells[b.name] = { graceful: na, gracefulMax: na, notice: na, kill9: na, kill9Max: na, lost: na, early: na };
      continue;
    }
    cells[b.name] = {
      graceful: stat(r.graceful, median),
      gracefulMax: stat(r.graceful, (xs) => percentile(xs, 100)),
      notice: stat(r.notice, median),
      kill9: stat(r.kill9, median),
      kill9Max: stat(r.kill9, (xs) => percentile(xs, 100)),
      lost: { value: r.lost, note: r.failedRounds ? `(${r.failedRounds} round(s) failed)` : undefined },
      early: { value: r.standbyReplies },
    };
  }
  const all = (k: string): (number | null)[] => LEASE_BACKENDS.map((b) => cells[b.name]?.[k]?.value ?? null);
  const worst = (k: string): number | null => {
    const xs = all(k);
    return xs.some((x) => x === null) ? null : Math.max(...(xs as number[]));
  };
  return {
    id: 'failover',
    title: `5. Failover per lease backend (median of ${rounds} each; lease TTL ${LEASE_TTL_MS} ms)`,
    metrics: [
      { key: 'graceful', label: 'graceful (SIGTERM) → standby replies', unit: 'ms' },
      { key: 'gracefulMax', label: 'graceful, worst', unit: 'ms' },
      { key: 'notice', label: 'graceful: release → standby acquires (logs)', unit: 'ms' },
      { key: 'kill9', label: 'kill -9 → standby replies', unit: 'ms' },
      { key: 'kill9Max', label: 'kill -9, worst', unit: 'ms' },
      { key: 'lost', label: 'updates lost, all rounds', unit: '' },
      { key: 'early', label: 'replies from a standby (two leaders)', unit: '' },
    ],
    subjects: LEASE_BACKENDS.map((b) => b.name),
    baseline: 'file',
    cells,
    goals: [
      { text: 'graceful failover ≤ 2 s median on every backend', met: goal(worst('graceful'), (v) => v <= 2000) },
      { text: `a release wakes the standby: release → acquire < ${Math.min(400, (0.8 * LEASE_TTL_MS) / 4)} ms median on every backend (its own retry comes every TTL/4 = ${LEASE_TTL_MS / 4} ms)`, met: goal(worst('notice'), (v) => v < Math.min(400, (0.8 * LEASE_TTL_MS) / 4)) },
      { text: `kill -9 failover ≤ TTL + 1 s (${LEASE_TTL_MS + 1000} ms) median on every backend`, met: goal(worst('kill9'), (v) => v <= LEASE_TTL_MS + 1000) },
    ],
    notes: [
      'Two `botwarden run` instances of the grammY echo bot: the leader is stopped (SIGTERM) or killed with its bot (SIGKILL to both, as on host loss); the time is from the signal to the first reply from the standby, with one update sent every 50 ms. The stopped one comes back as the next standby.',
      'file: both instances share one state dir (one host); Redis and PostgreSQL: separate state dirs (two "hosts").',
      'For scale: Kubernetes client-go leader election (defaults: lease 15 s, renew deadline 10 s, retry every 2 s, jittered) hands over in ≈ 1–5 s and fails over after a crash in ≈ 15–24 s; Redis/PostgreSQL leases without botwarden are only as fast as their poll/TTL.',
    ],
  };
}
