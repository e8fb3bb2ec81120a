// Suite 7: `botwarden run` → bot started, against the emulator with 0 ms and 50 ms added per request, vs its round trips.
import path from 'node:path';
import { hasRun, RUN_NA, startBotwardenRun } from '../lib/botwarden.js';
import { emulatorMissing, startBenchEmulator } from '../lib/botwarden.js';
import { type RunningEmulator } from '../../test/helpers/fleet.js';
import { startLatencyProxy } from '../lib/latency-proxy.js';
import { killPid, startProc, type Proc } from '../lib/proc.js';
import { median } from '../lib/stats.js';
import { readStamps } from '../lib/stamps.js';
import type { Suite, SuiteContext } from '../lib/suite.js';
import { naCell, type BenchTable, type Cell } from '../lib/table.js';
import { FIXTURES, waitForEvents } from './common.js';

const SUBJECTS = ['botwarden run', 'bare node bot.js (no preflight)'] as const;
type Subject = (typeof SUBJECTS)[number];
const LATENCY_MS = 50;

interface StartResult {
  ms: number;
  roundTrips: number;
}

/** Preflight suite. */
export const preflightSuite: Suite = {
  id: 'preflight',
  title: 'Preflight: run → bot started',
  budgetMs: 60_000,
  run: async (ctx) => {
    const repeats = ctx.quick ? 1 : 3;
    const results = new Map<string, StartResult[] | string>();
    let emu: RunningEmulator | undefined;
    try {
      for (const subject of SUBJECTS) {
        const why = subject === 'botwarden run' ? ((await hasRun()) ? await emulatorMissing() : RUN_NA) : undefined;
        for (const latency of [0, LATENCY_MS]) {
          const key = `${subject}|${latency}`;
          if (why) {
            results.set(key, why);
            continue;
          }
          const list: StartResult[] = [];
          results.set(key, list);
          for (let r = 0; r < repeats && !ctx.signal.aborted; r++) {
            if (subject === 'botwarden run') emu ??= await startBenchEmulator();
            const res = await startOnce(ctx, subject, latency, emu);
            ctx.log(`${subject}, +${latency} ms: ${res.ms.toFixed(1)} ms, ${res.roundTrips} round trips`);
            list.push(res);
          }
        }
      }
    } finally {
      await emu?.close();
    }
    ctx.emit(preflightTable(results, repeats));
  },
};

async function startOnce(ctx: SuiteContext, subject: Subject, latencyMs: number, emu: RunningEmulator | undefined): Promise<StartResult> {
  const dir = ctx.tempDir('preflight');
  const stampFile = path.join(dir, 'bot.stamps');
  const command = [process.execPath, path.join(FIXTURES, 'idle.mjs')];
  if (subject !== 'botwarden run') {
    const t0 = Date.now();
    const proc = startProc(command[0] as string, command.slice(1), { env: { ...process.env, STAMP_FILE: stampFile } });
    try {
      const ev = (await waitForEvents(ctx, stampFile, 'start', 1, 10_000)).find((e) => e.event === 'start');
      if (!ev) throw new Error('the bare bot did not start within 10 s');
      return { ms: ev.at - t0, roundTrips: 0 };
    } finally {
      await proc.stop(2000);
    }
  }
  const e = emu as RunningEmulator;
  const proxy = await startLatencyProxy(e.url, latencyMs);
  let proc: Proc | undefined;
  try {
    const bot = await e.createBot('preflight_bot');
    const t0 = Date.now();
    const run = startBotwardenRun({ token: bot.token, apiRoot: proxy.url, stateDir: path.join(dir, 'state'), command, env: { STAMP_FILE: stampFile } });
    proc = run.proc;
    const ev = (await waitForEvents(ctx, stampFile, 'start', 1, 20_000)).find((x) => x.event === 'start');
    if (!ev) throw new Error(`botwarden run did not start the bot within 20 s:\n${proc.output().slice(-1500)}`);
    return { ms: ev.at - t0, roundTrips: proxy.requests.filter((r) => r.at <= ev.at).length };
  } finally {
    await proc?.stop(5000);
    for (const ev of readStamps(stampFile)) {
      ctx.track(ev.pid);
      killPid(ev.pid, 'SIGKILL');
    }
    await proxy.close();
  }
}

function preflightTable(results: Map<string, StartResult[] | string>, repeats: number): BenchTable {
  const cells: BenchTable['cells'] = {};
  for (const s of SUBJECTS) {
    const r0 = results.get(`${s}|0`);
    const r50 = results.get(`${s}|${LATENCY_MS}`);
    const na = typeof r0 === 'string' ? r0 : typeof r50 === 'string' ? r50 : undefined;
    if (na !== undefined || !Array.isArray(r0) || !Array.isArray(r50) || !r0.length || !r50.length) {
      const c = naCell(na ?? 'not run');
      cells[s] = { t0: c, t50: c, rt: c, implied: c };
      continue;
    }
    const t0 = median(r0.map((x) => x.ms));
    const t50 = median(r50.map((x) => x.ms));
    const rt: Cell = { value: median(r50.map((x) => x.roundTrips)), samples: r50.map((x) => x.roundTrips) };
    cells[s] = {
      t0: { value: t0, samples: r0.map((x) => x.ms) },
      t50: { value: t50, samples: r50.map((x) => x.ms) },
      rt,
      implied: s === 'botwarden run' ? { value: (t50 - t0) / LATENCY_MS } : naCell('—'),
    };
  }
  return {
    id: 'preflight',
    title: `7. Preflight: start → bot process running (median of ${repeats})`,
    metrics: [
      { key: 't0', label: 'start, +0 ms per request', unit: 'ms' },
      { key: 't50', label: `start, +${LATENCY_MS} ms per request`, unit: 'ms' },
      { key: 'rt', label: 'requests to the Bot API before the bot started', unit: '' },
      { key: 'implied', label: `sequential round trips implied ((t${LATENCY_MS} − t0) ÷ ${LATENCY_MS} ms)`, unit: '' },
    ],
    subjects: [...SUBJECTS],
    cells,
    notes: [
      `Latency is added by a proxy in front of the emulator (each request waits ${LATENCY_MS} ms before it is forwarded); the time runs from spawning the command to the bot's own "start" stamp.`,
      'When the implied figure is below the request count, preflight overlaps requests; when equal, every request waits for the previous one.',
    ],
  };
}
