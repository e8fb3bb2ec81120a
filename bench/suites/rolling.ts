// Suite 4: rolling deploy of a grammY bot — start a second instance while the first runs, then stop the first.
// Plain `node bot.js` twice (what users do today) vs the same under botwarden, with a cold and a hot standby
// (`--standby hot`: B's bot runs from the start, its getUpdates held); 409s, lost updates, reply gap (the handover gap).
import path from 'node:path';
import { hasRun, RUN_NA, startBotwardenRun } from '../lib/botwarden.js';
import { emulatorMissing, startBenchEmulator } from '../lib/botwarden.js';
import { type RunningEmulator } from '../../test/helpers/fleet.js';
import type { CreatedBot } from '../../src/emulator/index.js';
import { delay, killPid, startProc, type Proc } from '../lib/proc.js';
import { median } from '../lib/stats.js';
import { readStamps } from '../lib/stamps.js';
import type { Suite, SuiteContext } from '../lib/suite.js';
import { naCell, type BenchTable, type Cell } from '../lib/table.js';
import { summarizeTraffic, Traffic, type TrafficSummary } from '../../test/helpers/traffic.js';
import { FIXTURES, replyTag, goal } from './common.js';

const SUBJECTS = ['botwarden (2 runs, file lease)', 'botwarden --standby hot', 'plain node bot.js ×2'] as const;
type Subject = (typeof SUBJECTS)[number];
const SEND_EVERY_MS = 50;
/** A alone with traffic, then A and B together, then B alone after A was stopped. */
const ALONE_MS = 1000;
const OVERLAP_MS = 3000;
const AFTER_STOP_MS = 3000;
const DRAIN_MS = 4000;

interface DeployResult extends TrafficSummary {
  conflicts: number;
  note?: string;
}

/** An echo-bot instance under one of the subjects. */
interface Instance {
  proc: Proc;
  stop(): Promise<void>;
}

/** Rolling deploy suite. */
export const rollingSuite: Suite = {
  id: 'rolling',
  title: 'Rolling deploy',
  budgetMs: 90_000,
  run: async (ctx) => {
    const repeats = ctx.quick ? 1 : 2;
    const results = new Map<Subject, DeployResult[] | string>();
    const emuMissing = await emulatorMissing();
    for (const subject of SUBJECTS) {
      const why = emuMissing ?? (subject.startsWith('botwarden') && !(await hasRun()) ? RUN_NA : undefined);
      if (why) {
        results.set(subject, why);
        continue;
      }
      const list: DeployResult[] = [];
      results.set(subject, list);
      for (let r = 0; r < repeats && !ctx.signal.aborted; r++) {
        const res = await deployOnce(ctx, subject);
        ctx.log(`${subject} #${r + 1}: 409s ${res.conflicts}, lost ${res.lost}/${res.sent}, dup ${res.duplicates}, gap ${res.longestGapMs.toFixed(0)} ms${res.note ? ` (${res.note})` : ''}`);
        list.push(res);
      }
    }
    ctx.emit(rollingTable(results, repeats));
  },
};

function startInstance(ctx: SuiteContext, subject: Subject, emu: RunningEmulator, bot: CreatedBot, dir: string, tag: string): Instance {
  const stampFile = path.join(dir, `${tag}.stamps`);
  const botCmd = [process.execPath, path.join(FIXTURES, 'echo-bot.mjs')];
  if (subject.startsWith('botwarden')) {
    const args = subject === 'botwarden --standby hot' ? ['--standby', 'hot'] : [];
    const run = startBotwardenRun({ token: bot.token, apiRoot: emu.url, stateDir: path.join(dir, 'state'), command: botCmd, args, env: { STAMP_FILE: stampFile, ECHO_INSTANCE: tag } });
    return { proc: run.proc, stop: () => stopAndTrack(ctx, run.proc, stampFile) };
  }
  const proc = startProc(botCmd[0] as string, botCmd.slice(1), {
    env: { ...process.env, BOT_TOKEN: bot.token, TELEGRAM_API_ROOT: emu.url, STAMP_FILE: stampFile, ECHO_INSTANCE: tag },
  });
  return { proc, stop: () => stopAndTrack(ctx, proc, stampFile) };
}

async function stopAndTrack(ctx: SuiteContext, proc: Proc, stampFile: string): Promise<void> {
  await proc.stop(10_000);
  for (const e of readStamps(stampFile)) {
    ctx.track(e.pid);
    killPid(e.pid, 'SIGKILL');
  }
}

async function deployOnce(ctx: SuiteContext, subject: Subject): Promise<DeployResult> {
  const dir = ctx.tempDir('rolling');
  const emu = await startBenchEmulator();
  let a: Instance | undefined;
  let b: Instance | undefined;
  let driver: Traffic | undefined;
  try {
    const bot = await emu.createBot('rolling_bot');
    driver = new Traffic(emu, bot.id, { prefix: 'm', everyMs: SEND_EVERY_MS, max: 100_000, tagOf: replyTag, signal: ctx.signal });
    a = startInstance(ctx, subject, emu, bot, dir, 'A');
    if (!(await driver.probe(20_000))) throw new Error(`${subject}: instance A did not answer within 20 s:\n${a.proc.output().slice(-1500)}`);
    driver.watch();
    driver.start();
    await delay(ALONE_MS);
    const tB = Date.now();
    b = startInstance(ctx, subject, emu, bot, dir, 'B');
    await delay(OVERLAP_MS);
    const aDiedEarly = a.proc.hasExited();
    await a.stop();
    await delay(AFTER_STOP_MS);
    await driver.stop();
    await driver.drain(DRAIN_MS);
    const until = Date.now();
    await driver.close();
    const stats = await emu.stats(bot.id);
    const notes: string[] = [];
    if (aDiedEarly) notes.push('A exited during the overlap');
    if (b.proc.hasExited()) notes.push('B exited');
    return { ...summarizeTraffic(driver.log, tB, until), conflicts: stats.conflicts, note: notes.join(', ') || undefined };
  } finally {
    await driver?.close();
    await b?.stop();
    await a?.stop();
    await emu.close();
  }
}

function rollingTable(results: Map<Subject, DeployResult[] | string>, repeats: number): BenchTable {
  const cells: BenchTable['cells'] = {};
  const pick = (list: DeployResult[], f: (r: DeployResult) => number): Cell => {
    const xs = list.map(f);
    return xs.length ? { value: median(xs), samples: xs } : naCell('not run');
  };
  const notes: string[] = [];
  for (const s of SUBJECTS) {
    const r = results.get(s);
    if (r === undefined || typeof r === 'string') {
      const na = naCell(r ?? 'not run');
      cells[s] = { conflicts: na, lost: na, dup: na, gap: na, latency: na };
      continue;
    }
    cells[s] = {
      conflicts: pick(r, (x) => x.conflicts),
      lost: pick(r, (x) => x.lost),
      dup: pick(r, (x) => x.duplicates),
      gap: pick(r, (x) => x.longestGapMs),
      latency: pick(r, (x) => x.maxLatencyMs),
    };
    const runNotes = r.map((x) => x.note).filter(Boolean);
    if (runNotes.length) notes.push(`${s}: ${runNotes.join('; ')}.`);
    const sent = r.map((x) => x.sent);
    if (sent.length) notes.push(`${s}: ${sent.join(', ')} updates sent in the deploy window${r.length > 1 ? 's' : ''}.`);
  }
  const bw = cells[SUBJECTS[0]];
  const hot = cells[SUBJECTS[1]];
  return {
    id: 'rolling',
    title: `4. Rolling deploy of a grammY bot (median of ${repeats})`,
    metrics: [
      { key: 'conflicts', label: '409s', unit: '' },
      { key: 'lost', label: 'updates lost', unit: '' },
      { key: 'dup', label: 'duplicate replies', unit: '' },
      { key: 'gap', label: 'longest gap in replies', unit: 'ms' },
      { key: 'latency', label: 'max reply latency', unit: 'ms' },
    ],
    subjects: [...SUBJECTS],
    cells,
    goals: [
      { text: '0 409s under botwarden', met: goal(bw?.conflicts?.value, (v) => v === 0) },
      { text: '0 updates lost under botwarden', met: goal(bw?.lost?.value, (v) => v === 0) },
      { text: 'reply gap ≤ 500 ms under botwarden', met: goal(bw?.gap?.value, (v) => v <= 500) },
      { text: 'hot standby: 0 lost, reply gap (the handover gap) ≤ 200 ms', met: goal(hot?.gap?.value, (v) => v <= 200) && goal(hot?.lost?.value, (v) => v === 0) },
    ],
    notes: [
      `One update every ${SEND_EVERY_MS} ms; A alone ${ALONE_MS} ms, then B starts, A is stopped (SIGTERM) ${OVERLAP_MS} ms later, traffic goes on ${AFTER_STOP_MS} ms, then up to ${DRAIN_MS} ms for late replies. Counted from B's start.`,
      '409s from the emulator\'s stats (only 409s a live client received); lost = sent with no reply by the end; the echo bot is grammY `bot.start()` with SIGTERM → `bot.stop()`, as its docs advise.',
      ...notes,
    ],
  };
}
