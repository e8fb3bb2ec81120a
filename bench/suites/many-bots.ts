// Suite 8: many bots in one `botwarden up`. Supervisor RSS with 1, 10, 50 and 100 idle sh bots beside PM2's daemon
// supervising the same bots; `up` with 100 bots: time until every bot leads; two hosts (two `up`, separate state
// dirs, one Redis) with 20 echo bots: the split once balanced, then kill -9 of one host's process group → time until
// the other leads every bot and every bot answers, 409s and lost updates.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Pm2Peer } from '../peers/pm2.js';
import { benchRedis } from '../lib/backends.js';
import { BOTWARDEN_BIN, hasRun, ROOT, RUN_NA, shebangFlags } from '../lib/botwarden.js';
import { emulatorMissing, startBenchEmulator } from '../lib/botwarden.js';
import type { RunningEmulator } from '../../test/helpers/fleet.js';
import type { CreatedBot } from '../../src/emulator/index.js';
import type { FleetStatus } from '../../src/daemon/fleet.js';
import { delay, killHost, nowMs, pollUntil, startProc, type Proc } from '../lib/proc.js';
import { sampleFootprint, type Footprint } from '../lib/sample.js';
import { launchPm2, type BotSpec } from '../lib/subjects.js';
import type { Suite, SuiteContext } from '../lib/suite.js';
import { naCell, type BenchTable, type Cell } from '../lib/table.js';
import { FIXTURES, goal } from './common.js';

const COUNTS = [1, 10, 50, 100] as const;
const SETTLE_MS = 3000;
/**
 * The two-host run's lease TTL: botwarden's default. Below about 8 s the lease cannot cover the 3 s poll Telegram makes of
 * a getUpdates repeating its offset (docs/bot-api-semantics.md §4.2), so a bot's updates could wait up to 3 s whatever
 * the failover does; the failover goal is TTL + 1 s.
 */
const HOSTS_TTL_MS = 10_000;

/** `botwarden up` started on a generated config: its process, health URL and /status. */
interface Up {
  proc: Proc;
  url: string;
  status(): Promise<FleetStatus | undefined>;
}

async function startUp(ctx: SuiteContext, dir: string, stateName: string, config: unknown, env: Record<string, string>): Promise<Up> {
  const file = path.join(dir, 'botwarden.config.json');
  writeFileSync(file, JSON.stringify(config));
  const proc = startProc(process.execPath, [...shebangFlags(), BOTWARDEN_BIN, 'up', '--config', file, '--state-dir', path.join(dir, stateName), '--health-port', '0'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  ctx.track(proc.pid);
  const m = await proc.waitFor(/health: (http:\/\/127\.0\.0\.1:\d+)/, 30_000);
  const url = m[1] as string;
  return {
    proc,
    url,
    status: async () => {
      try {
        const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(3000) });
        return res.ok ? ((await res.json()) as FleetStatus) : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

function leading(s: FleetStatus | undefined): number {
  return s ? s.bots.filter((b) => b.role === 'leader').length : 0;
}

/** Many-bots suite. */
export const manyBotsSuite: Suite = {
  id: 'many-bots',
  title: '8. Many bots in one process',
  budgetMs: 300_000,
  run: async (ctx) => {
    const why = (await hasRun()) ? await emulatorMissing() : RUN_NA;
    const counts = ctx.quick ? COUNTS.filter((n) => n <= 10) : COUNTS;
    const windowMs = ctx.quick ? 2000 : 4000;
    const bw = new Map<number, Footprint | string>();
    const pm2 = new Map<number, Footprint | string>();
    let ready100: number | string = ctx.quick ? 'not run with --quick' : 'not run';
    const hosts: Record<Standby, HostsResult | string> = { cold: ctx.quick ? 'not run with --quick' : 'not run', hot: ctx.quick ? 'not run with --quick' : 'not run' };
    let emu: RunningEmulator | undefined;
    try {
      if (!why) emu = await startBenchEmulator();
      for (const n of counts) {
        if (ctx.signal.aborted) break;
        if (emu) {
          const r = await measureUp(ctx, emu, n, windowMs);
          bw.set(n, r.footprint);
          if (n === 100) ready100 = r.readyMs;
          if (typeof r.footprint !== 'string') ctx.log(`botwarden up, ${n} bot(s): ${r.footprint.rssMb.toFixed(1)} MB; all leading after ${typeof r.readyMs === 'number' ? r.readyMs.toFixed(0) : r.readyMs} ms`);
        } else bw.set(n, why ?? 'n/a');
        const p = await measurePm2(ctx, n, windowMs);
        pm2.set(n, p);
        if (typeof p !== 'string') ctx.log(`pm2 daemon, ${n} bot(s): ${p.rssMb.toFixed(1)} MB`);
      }
      for (const standby of ['cold', 'hot'] as const) if (emu && !ctx.quick && !ctx.signal.aborted) hosts[standby] = await twoHosts(ctx, emu, 20, standby);
    } finally {
      await emu?.close();
    }
    ctx.emit(footprintTable(bw, pm2, counts));
    ctx.emit(hostsTable(ready100, hosts));
  },
};

async function measureUp(ctx: SuiteContext, emu: RunningEmulator, n: number, windowMs: number): Promise<{ footprint: Footprint | string; readyMs: number | string }> {
  const dir = ctx.tempDir(`many-${n}`);
  const bots = await Promise.all(Array.from({ length: n }, (_v, i) => emu.createBot(`many_${n}_${i}_bot`)));
  const env = Object.fromEntries(bots.map((b, i) => [`MANY_T${i}`, b.token]));
  const config = { apiRoot: emu.url, bots: bots.map((_b, i) => ({ name: `b${i}`, command: ['sleep', '1000000'], tokenEnv: `MANY_T${i}` })) };
  const t0 = nowMs();
  let up: Up | undefined;
  try {
    up = await startUp(ctx, dir, 'state', config, env);
    const u = up;
    const done = await pollUntil(async () => (leading(await u.status()) === n ? true : undefined), 60_000, 50);
    if (!done) return { footprint: `not every bot led within 60 s`, readyMs: 'not within 60 s' };
    const readyMs = nowMs() - t0;
    await delay(SETTLE_MS);
    return { footprint: await sampleFootprint(() => [u.proc.pid], windowMs, 500, ctx.signal), readyMs };
  } catch (err) {
    return { footprint: err instanceof Error ? err.message.split('\n')[0]! : String(err), readyMs: 'failed' };
  } finally {
    await up?.proc.stop(15_000);
  }
}

async function measurePm2(ctx: SuiteContext, n: number, windowMs: number): Promise<Footprint | string> {
  let peer: Pm2Peer | undefined;
  try {
    peer = await Pm2Peer.start();
    const dir = ctx.tempDir(`many-pm2-${n}`);
    const bots: BotSpec[] = Array.from({ length: n }, (_v, i) => ({ name: `b${i}`, command: ['sleep', '1000000'], env: {}, stampFile: path.join(dir, `b${i}.stamps`) }));
    const launched = await launchPm2(peer, bots);
    await delay(SETTLE_MS);
    const f = await sampleFootprint(() => launched.supervisorPids(), windowMs, 500, ctx.signal);
    await launched.close();
    return f;
  } catch (err) {
    return err instanceof Error ? err.message.split('\n')[0]! : String(err);
  } finally {
    await peer?.close();
  }
}

type Standby = 'cold' | 'hot';
interface HostsResult {
  split: string;
  failoverMs: number | null;
  answeredMs: number | null;
  conflicts: number;
  lost: number;
}

/**
 * Two hosts, one Redis, `n` echo bots: balance, then kill -9 of host A's process group. Cold standby: host B starts
 * A's bots when it takes their leases (20 Node.js bots starting at once); hot: they already run on B, their getUpdates
 * held by its gateway until it leads.
 */
async function twoHosts(ctx: SuiteContext, emu: RunningEmulator, n: number, standby: Standby): Promise<HostsResult | string> {
  const redis = await benchRedis();
  if (redis.skip) return redis.skip;
  const dir = ctx.tempDir(`many-hosts-${standby}`);
  const bots: CreatedBot[] = await Promise.all(Array.from({ length: n }, (_v, i) => emu.createBot(`hosts_${standby}_${i}_bot`)));
  const env = Object.fromEntries(bots.map((b, i) => [`HOSTS_T${i}`, b.token]));
  const ttlMs = HOSTS_TTL_MS;
  const config = {
    apiRoot: emu.url,
    lease: redis.url,
    leaseTtl: ttlMs,
    fleet: `bench-${process.pid}-${bots[0]!.id}`,
    standby,
    bots: bots.map((_b, i) => ({ name: `b${i}`, command: [process.execPath, path.join(FIXTURES, 'echo-bot.mjs')], tokenEnv: `HOSTS_T${i}`, env: { POLL_TIMEOUT_S: '1' } })),
  };
  let a: Up | undefined;
  let b: Up | undefined;
  try {
    a = await startUp(ctx, dir, 'state-a', config, env);
    const ua = a;
    if (!(await pollUntil(async () => (leading(await ua.status()) === n ? true : undefined), 60_000, 100))) return 'host A did not lead every bot within 60 s';
    b = await startUp(ctx, dir, 'state-b', config, env);
    const ub = b;
    const balanced = await pollUntil(
      async () => {
        const [la, lb] = [leading(await ua.status()), leading(await ub.status())];
        return la + lb === n && Math.abs(la - lb) <= 1 ? `${la} / ${lb}` : undefined;
      },
      90_000,
      200,
    );
    if (!balanced) return `not balanced within 90 s (${leading(await ua.status())} / ${leading(await ub.status())})`;
    ctx.log(`two hosts, ${n} bots, ${standby} standby: balanced ${balanced}`);
    const sentIds = new Map<number, number[]>();
    for (const bot of bots) sentIds.set(bot.id, [await emu.sendText(bot.id, 'before')]);
    await delay(1000);
    const t0 = nowMs();
    killHost(ua.proc.pid);
    const led = await pollUntil(async () => (leading(await ub.status()) === n ? nowMs() - t0 : undefined), 30_000, 20);
    for (const bot of bots) sentIds.get(bot.id)!.push(await emu.sendText(bot.id, 'after'));
    const answered = await pollUntil(
      async () => {
        for (const bot of bots) if (!(await emu.sent(bot.id)).some((m) => m.text?.startsWith('echo:after'))) return undefined;
        return nowMs() - t0;
      },
      30_000,
      50,
    );
    let conflicts = 0;
    let lost = 0;
    for (const bot of bots) {
      conflicts += (await emu.stats(bot.id)).conflicts;
      const texts = (await emu.sent(bot.id)).map((m) => m.text ?? '');
      for (const t of ['before', 'after']) if (!texts.some((x) => x.startsWith(`echo:${t}`))) lost += 1;
    }
    ctx.log(`two hosts, ${standby} standby: kill -9 → all lead ${led ?? 'not within 30 s'} ms, all answered ${answered ?? 'not within 30 s'} ms, 409s ${conflicts}, lost ${lost}`);
    return { split: balanced, failoverMs: led ?? null, answeredMs: answered ?? null, conflicts, lost };
  } catch (err) {
    return err instanceof Error ? err.message.split('\n')[0]! : String(err);
  } finally {
    if (a) killHost(a.proc.pid);
    await b?.proc.stop(15_000);
  }
}

function footprintTable(bw: Map<number, Footprint | string>, pm2: Map<number, Footprint | string>, counts: readonly number[]): BenchTable {
  const cell = (r: Footprint | string | undefined): Cell => (r === undefined ? naCell('—') : typeof r === 'string' ? naCell(r) : { value: r.rssMb, samples: r.rssSamples });
  const cells: BenchTable['cells'] = { 'botwarden up': {}, 'pm2 daemon': {} };
  for (const n of counts) {
    cells['botwarden up']![`rss${n}`] = cell(bw.get(n));
    cells['pm2 daemon']![`rss${n}`] = cell(pm2.get(n));
  }
  const v = (m: Map<number, Footprint | string>, n: number): number | undefined => {
    const r = m.get(n);
    return r && typeof r !== 'string' ? r.rssMb : undefined;
  };
  const b1 = v(bw, 1);
  const b100 = v(bw, 100);
  const perBot = b1 !== undefined && b100 !== undefined ? (b100 - b1) / 99 : undefined;
  return {
    id: 'many-bots-footprint',
    title: '8a. Supervisor RSS with N idle sh bots: one `botwarden up` vs PM2\'s daemon (MB, median)',
    metrics: counts.map((n) => ({ key: `rss${n}`, label: `${n} bot${n > 1 ? 's' : ''}`, unit: 'MB' })),
    subjects: ['botwarden up', 'pm2 daemon'],
    cells,
    goals: [
      { text: 'botwarden up ≤ PM2 daemon at 10 bots', met: goal(v(bw, 10), (x) => x <= (v(pm2, 10) ?? -1)) },
      { text: 'botwarden up ≤ PM2 daemon at 100 bots', met: goal(v(bw, 100), (x) => x <= (v(pm2, 100) ?? -1)) },
      { text: `≤ 0.25 MB per added bot (measured: ${perBot === undefined ? 'n/a' : perBot.toFixed(2)} MB)`, met: goal(perBot, (x) => x <= 0.25) },
    ],
    notes: ['Bots are `sleep 1000000` (they never call the gateway); only the supervisor process is counted. Each bot still has its own gateway listener, elector, supervisor and page state.'],
  };
}

function hostsTable(ready100: number | string, hosts: Record<Standby, HostsResult | string>): BenchTable {
  const c = (x: number | string | null | undefined): Cell => (typeof x === 'number' ? { value: x } : naCell(x === null || x === undefined ? 'not within 30 s' : x));
  const subject = { cold: 'botwarden up, cold standby', hot: 'botwarden up, hot standby' } as const;
  const cells: BenchTable['cells'] = {};
  for (const standby of ['cold', 'hot'] as const) {
    const r = hosts[standby];
    const h = typeof r === 'string' ? undefined : r;
    cells[subject[standby]] = {
      ready: standby === 'cold' ? c(ready100) : naCell('—'),
      failover: h ? c(h.failoverMs) : naCell(r as string),
      answered: h ? c(h.answeredMs) : naCell(r as string),
      conflicts: h ? { value: h.conflicts } : naCell(r as string),
      lost: h ? { value: h.lost } : naCell(r as string),
    };
  }
  const ok = (r: HostsResult | string): HostsResult | undefined => (typeof r === 'string' ? undefined : r);
  const [cold, hot] = [ok(hosts.cold), ok(hosts.hot)];
  return {
    id: 'many-bots-hosts',
    title: `8b. \`up\` with 100 bots; two hosts with 20 bots on one Redis (lease TTL ${HOSTS_TTL_MS / 1000} s, the default), kill -9 of one host`,
    metrics: [
      { key: 'ready', label: '100 bots: all leading after', unit: 'ms' },
      { key: 'failover', label: 'kill -9 → other host leads all 20', unit: 'ms' },
      { key: 'answered', label: 'kill -9 → all 20 answered', unit: 'ms' },
      { key: 'conflicts', label: '409s', unit: '' },
      { key: 'lost', label: 'lost updates', unit: '' },
    ],
    subjects: [subject.cold, subject.hot],
    cells,
    goals: [
      { text: '100 bots leading within 5 s of start', met: goal(typeof ready100 === 'number' ? ready100 : undefined, (x) => x <= 5000) },
      { text: `two hosts balanced 10/10 ± 1 (measured ${cold ? cold.split : 'n/a'} cold, ${hot ? hot.split : 'n/a'} hot)`, met: cold || hot ? true : null },
      { text: 'kill -9 → the other host leads all 20 within TTL + 1 s (cold standby)', met: goal(cold?.failoverMs ?? undefined, (x) => x <= HOSTS_TTL_MS + 1000) },
      { text: 'kill -9 → all 20 answer within TTL + 1 s (hot standby: the bots already run on the other host)', met: goal(hot?.answeredMs ?? undefined, (x) => x <= HOSTS_TTL_MS + 1000) },
      { text: '0 409s, 0 lost (cold and hot)', met: cold && hot ? cold.conflicts + hot.conflicts === 0 && cold.lost + hot.lost === 0 : null },
    ],
    notes: [
      'Cold standby: the answer time includes starting the 20 Node.js bots (grammY) the surviving host takes over, at once on a 2-core machine; hot standby runs them beforehand (`standby: hot`).',
      'The lease TTL is the default (10 s): with a TTL under about 8 s a getUpdates that repeats the previous offset is forwarded only once 3 s have passed since that call started (Telegram raises it to a 3 s poll, longer than the lease can cover; docs/bot-api-semantics.md §4.2), so an update for a bot that stayed on the surviving host may wait up to ~3 s, host failure or not.',
    ],
  };
}
