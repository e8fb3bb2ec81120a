// Suite 3: SIGTERM to the supervisor → every process gone, for a bot that exits at once and one that ignores SIGTERM.
import path from 'node:path';
import { Pm2Peer } from '../peers/pm2.js';
import { hasRun, RUN_NA } from '../lib/botwarden.js';
import { emulatorMissing, startBenchEmulator } from '../lib/botwarden.js';
import type { RunningEmulator } from '../../test/helpers/fleet.js';
import { killPid, nowMs, pollUntil } from '../lib/proc.js';
import { isProcessAlive } from '../../src/process/liveness.js';
import { median } from '../lib/stats.js';
import { botPids, fixtureBot, launchBotwarden, launchPm2, launchSupervisord, type Launched } from '../lib/subjects.js';
import type { Suite, SuiteContext } from '../lib/suite.js';
import { naCell, type BenchTable, type Cell } from '../lib/table.js';
import { FIXTURES, waitForEvents } from './common.js';

const SUBJECTS = ['botwarden', 'pm2 daemon', 'supervisord'] as const;
type Subject = (typeof SUBJECTS)[number];
const SCENARIOS = [
  { key: 'prompt', fixture: 'idle.mjs', label: 'bot exits at once' },
  { key: 'stubborn', fixture: 'ignore-sigterm.mjs', label: 'bot ignores SIGTERM' },
] as const;
/** Past supervisord's stopwaitsecs (10 s): anything still alive then is counted as left behind. */
const GONE_CAP_MS = 15_000;

interface StopResult {
  ms: number | null;
  leftBehind: number;
}

/** Stop suite. */
export const stopSuite: Suite = {
  id: 'stop',
  title: 'Stop: SIGTERM → all processes gone',
  budgetMs: 120_000,
  run: async (ctx) => {
    const results = new Map<string, StopResult[] | string>();
    let emu: RunningEmulator | undefined;
    try {
      for (const subject of SUBJECTS) {
        let why: string | undefined;
        if (subject === 'botwarden') {
          why = (await hasRun()) ? await emulatorMissing() : RUN_NA;
          if (!why) emu = await startBenchEmulator();
        }
        for (const sc of SCENARIOS) {
          const key = `${subject}|${sc.key}`;
          if (why) {
            results.set(key, why);
            continue;
          }
          // supervisord's stubborn case is its fixed 10 s stopwaitsecs: once is enough (keeps the run < 10 min).
          const repeats = ctx.quick ? 1 : sc.key === 'prompt' ? 3 : subject === 'supervisord' ? 1 : 2;
          const list: StopResult[] = [];
          results.set(key, list);
          for (let r = 0; r < repeats && !ctx.signal.aborted; r++) {
            const res = await stopOnce(ctx, subject, sc.fixture, emu);
            ctx.log(`${subject}, ${sc.label}: ${res.ms === null ? 'not gone' : `${res.ms.toFixed(1)} ms`}, left behind ${res.leftBehind}`);
            list.push(res);
          }
        }
      }
    } finally {
      await emu?.close();
    }
    ctx.emit(stopTable(results));
  },
};

async function stopOnce(ctx: SuiteContext, subject: Subject, fixture: string, emu: RunningEmulator | undefined): Promise<StopResult> {
  const dir = ctx.tempDir('stop');
  const bot = fixtureBot(FIXTURES, fixture, dir, 'stopper');
  let launched: Launched | undefined;
  let pm2: Pm2Peer | undefined;
  try {
    if (subject === 'botwarden') launched = await launchBotwarden(emu as RunningEmulator, [bot], () => path.join(dir, 'state'));
    else if (subject === 'pm2 daemon') {
      pm2 = await Pm2Peer.start();
      launched = await launchPm2(pm2, [bot]);
    } else launched = await launchSupervisord([bot]);
    const evs = await waitForEvents(ctx, bot.stampFile, 'start', 1, 20_000);
    if (!evs.some((e) => e.event === 'start')) throw new Error(`${subject}: the bot did not start within 20 s`);
    const supervisors = launched.supervisorPids();
    const bots = botPids([bot]);
    const all = [...supervisors, ...bots];
    const t0 = nowMs();
    for (const pid of supervisors) killPid(pid, 'SIGTERM');
    const gone = await pollUntil(() => (all.every((p) => !isProcessAlive(p)) ? nowMs() : undefined), GONE_CAP_MS, 5);
    const leftBehind = all.filter((p) => isProcessAlive(p)).length;
    return { ms: gone === undefined ? null : gone - t0, leftBehind };
  } finally {
    for (const pid of botPids([bot])) {
      ctx.track(pid);
      killPid(pid, 'SIGKILL');
    }
    await launched?.close();
    await pm2?.close();
  }
}

function stopTable(results: Map<string, StopResult[] | string>): BenchTable {
  const cells: BenchTable['cells'] = {};
  for (const s of SUBJECTS) {
    const row: Record<string, Cell> = {};
    let left = 0;
    let anyRun = false;
    for (const sc of SCENARIOS) {
      const r = results.get(`${s}|${sc.key}`);
      if (r === undefined) row[sc.key] = naCell('not run');
      else if (typeof r === 'string') row[sc.key] = naCell(r);
      else {
        anyRun = true;
        const ms = r.map((x) => x.ms).filter((x): x is number => x !== null);
        left += r.reduce((a, x) => a + x.leftBehind, 0);
        row[sc.key] = ms.length === r.length && ms.length > 0 ? { value: median(ms), samples: ms } : naCell(`not all gone within ${GONE_CAP_MS / 1000} s`);
      }
    }
    const na = [...SCENARIOS].map((sc) => row[sc.key]?.na).find((x) => x !== undefined);
    row.left = anyRun ? { value: left } : naCell(na ?? 'not run');
    cells[s] = row;
  }
  return {
    id: 'stop',
    title: '3. Stop: SIGTERM to the supervisor → supervisor and bot gone (median)',
    metrics: [
      ...SCENARIOS.map((sc) => ({ key: sc.key, label: sc.label, unit: 'ms' })),
      { key: 'left', label: `processes left after ${GONE_CAP_MS / 1000} s`, unit: '' },
    ],
    subjects: [...SUBJECTS],
    cells,
    notes: [
      'Defaults of each: PM2 stops apps with SIGINT then SIGKILL after kill_timeout 1600 ms; supervisord SIGTERM then SIGKILL after stopwaitsecs 10 s; botwarden SIGTERM to the tree then SIGKILL after its --stop-timeout default.',
      'The stubborn fixture ignores SIGTERM and SIGINT, so only SIGKILL ends it.',
    ],
  };
}
