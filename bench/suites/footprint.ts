// Suite 2: RSS and CPU of the supervisor itself with 1 and with 10 idle bots: botwarden vs PM2's daemon vs supervisord.
import path from 'node:path';
import { Pm2Peer } from '../peers/pm2.js';
import { hasRun, RUN_NA } from '../lib/botwarden.js';
import { emulatorMissing, startBenchEmulator } from '../lib/botwarden.js';
import { type RunningEmulator } from '../../test/helpers/fleet.js';
import { delay } from '../lib/proc.js';
import { startTlsProxy, tlsProxyMissing, type TlsProxy } from '../lib/tls-proxy.js';
import { sampleFootprint, type Footprint } from '../lib/sample.js';
import { botPids, fixtureBot, launchBare, launchBotwarden, launchPm2, launchSupervisord, type BotSpec, type Launched } from '../lib/subjects.js';
import type { Suite, SuiteContext } from '../lib/suite.js';
import { naCell, type BenchTable, type Cell } from '../lib/table.js';
import { FIXTURES, goal, waitForEvents } from './common.js';

const SUBJECTS = ['botwarden', 'botwarden, HTTPS Bot API', 'pm2 daemon', 'supervisord', 'bare node idle bot (runtime floor)'] as const;
type Subject = (typeof SUBJECTS)[number];
const SETTLE_MS = 2000;

/** Footprint suite. */
export const footprintSuite: Suite = {
  id: 'footprint',
  title: 'Supervisor footprint',
  budgetMs: 120_000,
  run: async (ctx) => {
    const windowMs = ctx.quick ? 2000 : 4000;
    const results = new Map<string, Footprint | string>();
    let emu: RunningEmulator | undefined;
    try {
      for (const subject of SUBJECTS) {
        for (const n of [1, 10]) {
          if (ctx.signal.aborted) break;
          const key = `${subject}|${n}`;
          if ((subject.startsWith('bare') || subject === 'botwarden, HTTPS Bot API') && n === 10) continue;
          if (subject.startsWith('botwarden')) {
            const why = (await hasRun()) ? ((await emulatorMissing()) ?? (subject === 'botwarden' ? undefined : await tlsProxyMissing())) : RUN_NA;
            if (why) {
              results.set(key, why);
              continue;
            }
            emu ??= await startBenchEmulator();
          }
          const f = await measure(ctx, subject, n, windowMs, emu);
          if (typeof f !== 'string') ctx.log(`${subject}, ${n} bot(s): ${f.rssMb.toFixed(1)} MB, ${f.cpuPct.toFixed(2)} % CPU`);
          results.set(key, f);
        }
      }
    } finally {
      await emu?.close();
    }
    ctx.emit(footprintTable(results, windowMs));
  },
};

async function measure(ctx: SuiteContext, subject: Subject, n: number, windowMs: number, emu: RunningEmulator | undefined): Promise<Footprint | string> {
  const dir = ctx.tempDir('footprint');
  const bots: BotSpec[] = Array.from({ length: n }, (_, i) => fixtureBot(FIXTURES, 'idle.mjs', dir, `idle${i}`));
  let launched: Launched | undefined;
  let pm2: Pm2Peer | undefined;
  let tls: TlsProxy | undefined;
  try {
    if (subject === 'botwarden') launched = await launchBotwarden(emu as RunningEmulator, bots, (name) => path.join(dir, `state-${name}`));
    else if (subject === 'botwarden, HTTPS Bot API') {
      tls = await startTlsProxy((emu as RunningEmulator).url);
      launched = await launchBotwarden(emu as RunningEmulator, bots, (name) => path.join(dir, `state-${name}`), { apiRoot: tls.url, env: { NODE_EXTRA_CA_CERTS: tls.caFile } });
    }
    else if (subject === 'pm2 daemon') {
      pm2 = await Pm2Peer.start();
      launched = await launchPm2(pm2, bots);
    } else if (subject === 'supervisord') launched = await launchSupervisord(bots);
    else launched = launchBare(bots);
    for (const b of bots) {
      const evs = await waitForEvents(ctx, b.stampFile, 'start', 1, 20_000);
      if (!evs.some((e) => e.event === 'start')) return `bot ${b.name} did not start within 20 s`;
    }
    await delay(SETTLE_MS);
    const pids = subject.startsWith('bare') ? () => botPids(bots) : () => launched?.supervisorPids() ?? [];
    return await sampleFootprint(pids, windowMs, 500, ctx.signal);
  } finally {
    await launched?.close();
    await pm2?.close();
    await tls?.close();
    for (const pid of botPids(bots)) ctx.track(pid);
  }
}

function footprintTable(results: Map<string, Footprint | string>, windowMs: number): BenchTable {
  const cells: BenchTable['cells'] = {};
  const rss = (r: Footprint | string | undefined): Cell => (r === undefined ? naCell('—') : typeof r === 'string' ? naCell(r) : { value: r.rssMb, samples: r.rssSamples });
  const cpu = (r: Footprint | string | undefined): Cell => (r === undefined ? naCell('—') : typeof r === 'string' ? naCell(r) : { value: r.cpuPct });
  for (const s of SUBJECTS) {
    const one = results.get(`${s}|1`);
    const ten = results.get(`${s}|10`);
    cells[s] = { rss1: rss(one), cpu1: cpu(one), rss10: rss(ten), cpu10: cpu(ten) };
  }
  const bw = cells.botwarden?.rss1?.value;
  return {
    id: 'footprint',
    title: `2. Supervisor footprint with idle bots (RSS median, CPU over ${windowMs / 1000} s)`,
    metrics: [
      { key: 'rss1', label: 'RSS, 1 bot', unit: 'MB' },
      { key: 'cpu1', label: 'CPU, 1 bot', unit: '%' },
      { key: 'rss10', label: 'RSS, 10 bots', unit: 'MB' },
      { key: 'cpu10', label: 'CPU, 10 bots', unit: '%' },
    ],
    subjects: [...SUBJECTS],
    cells,
    goals: [{ text: 'botwarden ≤ 50 MB RSS with one bot', met: goal(bw, (v) => v <= 50) }],
    notes: [
      'The HTTPS row reaches the emulator through a local TLS front (self-signed certificate, trusted via NODE_EXTRA_CA_CERTS), as botwarden reaches api.telegram.org in production: node:https, OpenSSL and the CA store are loaded.',
      'Only the supervisor\'s own processes are counted, not the bots: PM2\'s God daemon, supervisord, and botwarden — one `botwarden run` per bot (each bot has its own token), so its 10-bot figure is the sum of 10 processes.',
      `Sampled every 500 ms after a ${SETTLE_MS / 1000} s settle; CPU is % of one core. PM2's worker loop runs every 30 s, so a short window may miss it.`,
    ],
  };
}
