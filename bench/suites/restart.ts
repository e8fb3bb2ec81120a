// Suite 1: restart after a crash (crash exit → next start, by the fixture's own clock), botwarden vs PM2 vs supervisord.
import type { Pm2Peer } from '../peers/pm2.js';
import { Pm2Peer as Pm2 } from '../peers/pm2.js';
import { hasRun, RUN_NA } from '../lib/botwarden.js';
import { emulatorMissing, startBenchEmulator, type BenchEmulator } from '../lib/emulator.js';
import { median } from '../lib/stats.js';
import { restartGaps } from '../lib/stamps.js';
import { botPids, fixtureBot, launchBotwarden, launchPm2, launchSupervisord, type BotSpec, type Launched } from '../lib/subjects.js';
import type { Suite, SuiteContext } from '../lib/suite.js';
import { naCell, type BenchTable, type Cell } from '../lib/table.js';
import { FIXTURES, goal, waitForEvents } from './common.js';
import path from 'node:path';

/** How long the crasher runs before exiting 1: past supervisord's startsecs (1 s) and PM2's min_uptime (1 s). */
const CRASH_AFTER_MS = 1100;
/** First restart and the next five. */
const RESTARTS = 6;
const PER_REPEAT_CAP_MS = 20_000;

const SUBJECTS = ['botwarden', 'pm2 (restart_delay 0)', 'pm2 (exp_backoff_restart_delay 100)', 'supervisord'] as const;
type Subject = (typeof SUBJECTS)[number];

/** Restart suite. */
export const restartSuite: Suite = {
  id: 'restart',
  title: 'Restart after a crash',
  budgetMs: 200_000,
  run: async (ctx) => {
    const repeats = ctx.quick ? 1 : 3;
    const gaps = new Map<Subject, number[][]>();
    const na = new Map<Subject, string>();
    let pm2: Pm2Peer | undefined;
    let emu: BenchEmulator | undefined;
    try {
      for (const subject of SUBJECTS) {
        const runs: number[][] = [];
        gaps.set(subject, runs);
        if (subject === 'botwarden') {
          const why = (await hasRun()) ? await emulatorMissing() : RUN_NA;
          if (why) {
            na.set(subject, why);
            continue;
          }
          emu = await startBenchEmulator();
        }
        if (subject.startsWith('pm2')) pm2 ??= await Pm2.start();
        for (let r = 0; r < repeats && !ctx.signal.aborted; r++) {
          const dir = ctx.tempDir('restart');
          const bot = fixtureBot(FIXTURES, 'crasher.mjs', dir, `crasher${r}`, { CRASH_AFTER_MS: String(CRASH_AFTER_MS) });
          const g = await measureOnce(ctx, subject, bot, dir, pm2, emu);
          ctx.log(`${subject} #${r + 1}: ${g.map((x) => x.toFixed(1)).join(', ')} ms`);
          runs.push(g);
        }
      }
    } finally {
      await emu?.close();
      await pm2?.close();
    }
    ctx.emit(restartTable(gaps, na, repeats));
  },
};

async function measureOnce(ctx: SuiteContext, subject: Subject, bot: BotSpec, dir: string, pm2: Pm2Peer | undefined, emu: BenchEmulator | undefined): Promise<number[]> {
  let launched: Launched | undefined;
  try {
    if (subject === 'botwarden') launched = await launchBotwarden(emu as BenchEmulator, [bot], () => path.join(dir, 'state'), { restart: 'always' });
    else if (subject === 'supervisord') launched = await launchSupervisord([bot]);
    else launched = await launchPm2(pm2 as Pm2Peer, [bot], subject === 'pm2 (restart_delay 0)' ? { restartDelayMs: 0 } : { expBackoffRestartDelayMs: 100 });
    const events = await waitForEvents(ctx, bot.stampFile, 'start', RESTARTS + 1, PER_REPEAT_CAP_MS);
    return restartGaps(events).slice(0, RESTARTS);
  } finally {
    await launched?.close();
    for (const pid of botPids([bot])) ctx.track(pid);
  }
}

function cellOf(samples: number[]): Cell {
  return samples.length ? { value: median(samples), samples } : naCell(`none within ${PER_REPEAT_CAP_MS / 1000} s`);
}

function restartTable(gaps: Map<Subject, number[][]>, na: Map<Subject, string>, repeats: number): BenchTable {
  const cells: BenchTable['cells'] = {};
  for (const s of SUBJECTS) {
    const why = na.get(s);
    const runs = gaps.get(s) ?? [];
    if (why) {
      cells[s] = { first: naCell(why), next5: naCell(why), sixth: naCell(why), count: naCell(why) };
      continue;
    }
    const first = runs.map((g) => g[0]).filter((x): x is number => x !== undefined);
    const next5 = runs.flatMap((g) => g.slice(1, RESTARTS));
    const sixth = runs.map((g) => g[RESTARTS - 1]).filter((x): x is number => x !== undefined);
    const counts = runs.map((g) => g.length);
    cells[s] = {
      first: cellOf(first),
      next5: cellOf(next5),
      sixth: cellOf(sixth),
      count: counts.length ? { value: Math.min(...counts), samples: counts } : naCell('not run'),
    };
  }
  const bw = cells.botwarden?.first?.value;
  const pm = cells['pm2 (restart_delay 0)']?.first?.value;
  return {
    id: 'restart',
    title: `1. Restart after a crash (crasher exits 1 after ${CRASH_AFTER_MS} ms; median of ${repeats} runs)`,
    metrics: [
      { key: 'first', label: '1st restart', unit: 'ms' },
      { key: 'next5', label: 'restarts 2–6 (median)', unit: 'ms' },
      { key: 'sixth', label: '6th restart', unit: 'ms' },
      { key: 'count', label: `restarts seen of ${RESTARTS}`, unit: '', lowerIsBetter: false },
    ],
    subjects: [...SUBJECTS],
    cells,
    goals: [{ text: "botwarden's first restart ≤ 0.5× PM2's (restart_delay 0)", met: goal(bw != null && pm != null ? bw / pm : null, (r) => r <= 0.5) }],
    notes: [
      'Time from the fixture\'s own "exit" stamp to the next "start" stamp (wall clock, sub-ms), so Node start-up of the bot is inside every figure.',
      `Each supervisor runs with its defaults except as named; PM2 runs the command directly (interpreter none); supervisord autorestart=true; a run stops after ${RESTARTS} restarts or ${PER_REPEAT_CAP_MS / 1000} s.`,
    ],
  };
}
