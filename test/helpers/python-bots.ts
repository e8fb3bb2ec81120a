// The Python example bots (aiogram 3, python-telegram-bot 22, pyTelegramBotAPI) run from the pinned venv
// (.venv-bots/, scripts/python-venv.sh) against an emulator, directly or under `botwarden run` from dist/, and the
// scenarios the end-to-end tests run with each: direct, two copies, and a handover from a leader to a standby under a
// steady stream of messages. Each scenario returns what it counted (sent, lost, duplicates, 409s, handover gap); the
// tests assert on it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DIST_BIN, EXAMPLES, startInstance, tempStateDir, type Instance, type RunningEmulator } from './fleet.js';
import { REPO_ROOT, spawnProcess, type Spawned } from './cli.js';
import { describeCalls, UpstreamJournal } from './chaos.js';
import { describeReport, Traffic, type TrafficReport } from './traffic.js';

export const VENV_DIR = path.join(REPO_ROOT, '.venv-bots');
export const VENV_PYTHON = path.join(VENV_DIR, 'bin', 'python');
export const REQUIREMENTS = path.join(EXAMPLES, 'requirements.txt');

/** Why the Python bots cannot run here (one line), or undefined when the venv matches requirements.txt. */
export function pythonBotsMissing(): string | undefined {
  const fix = 'run `bash scripts/python-venv.sh` (needs PyPI; root when python3-venv is missing)';
  if (!existsSync(VENV_PYTHON)) return `.venv-bots/ is not built: ${fix}`;
  const want = createHash('sha256').update(readFileSync(REQUIREMENTS)).digest('hex');
  let have = '';
  try {
    have = readFileSync(path.join(VENV_DIR, '.requirements'), 'utf8').trim();
  } catch {
    // never completed
  }
  if (have !== want) return `.venv-bots/ does not match examples/bots/requirements.txt: ${fix}`;
  if (!existsSync(DIST_BIN)) return 'dist/ is not built: run `npm run build`';
  return undefined;
}

let runHelp: string | undefined;
/** Whether the built `botwarden run` knows `option` (e.g. `--standby`): cases of a mechanism not built yet skip. */
export function runSupports(option: string): boolean {
  runHelp ??= spawnSync(process.execPath, [DIST_BIN, 'run', '--help'], { encoding: 'utf8', timeout: 30_000 }).stdout ?? '';
  return runHelp.includes(option);
}

/** The example bot of each library (examples/bots/). */
export const PY_BOTS = {
  aiogram3: { title: 'aiogram 3', file: path.join(EXAMPLES, 'aiogram3.py') },
  ptb22: { title: 'python-telegram-bot 22', file: path.join(EXAMPLES, 'ptb22.py') },
  telebot4: { title: 'pyTelegramBotAPI 4', file: path.join(EXAMPLES, 'telebot4.py') },
} as const;
export type PyBot = keyof typeof PY_BOTS;

/** How the example bot is asked to behave (its environment). */
export interface BotBehaviour {
  /** HANDLER_DELAY_MS: each handler sleeps this long before replying. */
  handlerDelayMs?: number;
  /** DROP_PENDING=1: the library's drop-pending start-up idiom. */
  dropPending?: boolean;
}

function botEnv(b: BotBehaviour): NodeJS.ProcessEnv {
  return { HANDLER_DELAY_MS: String(b.handlerDelayMs ?? 0), DROP_PENDING: b.dropPending ? '1' : '0', PYTHONUNBUFFERED: '1' };
}

/** The example bot without botwarden, polling `apiRoot` itself. */
export function startBotDirect(bot: PyBot, token: string, apiRoot: string, b: BotBehaviour = {}): Spawned {
  return spawnProcess(VENV_PYTHON, [PY_BOTS[bot].file], { env: { ...botEnv(b), BOT_TOKEN: token, TELEGRAM_API_ROOT: apiRoot, TELEGRAM_BOT_TOKEN: '' } });
}

/** `botwarden run` (dist) with the example bot (fleet.ts); the bot's own lines appear in its stdout as `… stdout[pid] …`. */
export function startBotUnderRun(bot: PyBot, o: { name: string; token: string; apiRoot: string; stateDir: string; args?: string[] } & BotBehaviour): Promise<Instance> {
  return startInstance({
    name: o.name,
    token: o.token,
    apiRoot: o.apiRoot,
    stateDir: o.stateDir,
    bin: { dist: DIST_BIN },
    waitForHealth: false,
    env: botEnv(o),
    ...(o.args ? { args: o.args } : {}),
    command: [VENV_PYTHON, PY_BOTS[bot].file],
  });
}

/** Lines of the output that report a 409 (every library quotes Telegram's "Conflict: …" description). */
export function conflictLines(output: string): string[] {
  return output.split('\n').filter((l) => /conflict|error code: 409|error_code\W{0,3}409/i.test(l));
}

/** What a scenario counted: the traffic report (lost, answered twice, delivered twice, 409s), and the bot's own 409 lines. */
export interface Tally extends TrafficReport {
  /** Bot output lines reporting a 409. */
  conflictLines: string[];
}

/** `count` texts `m0…`, one every `everyMs` (traffic.ts), all sent; then the report once every one is answered (bounded). */
async function sendAll(emu: RunningEmulator, botId: number, o: { count: number; everyMs: number }): Promise<Traffic> {
  const traffic = new Traffic(emu, botId, { everyMs: o.everyMs, max: o.count }).start();
  await traffic.done();
  return traffic;
}

async function tally(traffic: Traffic, timeoutMs: number, output: string): Promise<Tally> {
  return { ...(await traffic.report({ timeoutMs })), conflictLines: conflictLines(output) };
}

/** One line for a test's diagnostics. */
export function describeTally(t: Tally & { gapMs?: number; inHand?: number }): string {
  return `${describeReport(t)} (bot output: ${t.conflictLines.length} 409 lines)${t.inHand !== undefined ? `, in hand at stop ${t.inHand}` : ''}${t.gapMs !== undefined ? `, SIGTERM → first reply of the new leader ${t.gapMs} ms` : ''}`;
}

/** The example bot alone, straight at the emulator: the baseline. */
export async function runDirect(emu: RunningEmulator, bot: PyBot, o: { count: number; everyMs: number; timeoutMs: number } & BotBehaviour): Promise<Tally & { exit: number | string }> {
  const b = await emu.createBot();
  const proc = startBotDirect(bot, b.token, emu.url, o);
  try {
    await proc.waitFor(/^ready$/m, 60_000);
    const traffic = await sendAll(emu, b.id, o);
    await traffic.drain(o.timeoutMs);
    proc.child.kill('SIGTERM');
    const exit = await proc.exited();
    return { ...(await tally(traffic, o.timeoutMs, proc.stdout() + proc.stderr())), exit };
  } finally {
    await proc.stop();
  }
}

/** Two copies of the example bot, no botwarden: what a rolling deploy does today. Waits for the first 409. */
export async function runTwoCopies(emu: RunningEmulator, bot: PyBot, o: { count: number; everyMs: number; timeoutMs: number }): Promise<Tally> {
  const b = await emu.createBot();
  const one = startBotDirect(bot, b.token, emu.url);
  const two = startBotDirect(bot, b.token, emu.url);
  try {
    await Promise.all([one.waitFor(/^ready$/m, 60_000), two.waitFor(/^ready$/m, 60_000)]);
    const traffic = await sendAll(emu, b.id, o);
    await traffic.drain(o.timeoutMs);
    // Both poll all the time: the emulator answers the older poll 409 as Telegram does. Bounded wait for the first.
    const until = Date.now() + o.timeoutMs;
    while ((await emu.stats(b.id)).conflicts === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    return tally(traffic, o.timeoutMs, one.stdout() + one.stderr() + two.stdout() + two.stderr());
  } finally {
    await Promise.all([one.stop(), two.stop()]);
  }
}

/** Options of a handover: leader A and standby B under `botwarden run`, SIGTERM to A while messages flow. */
export interface HandoverOptions extends BotBehaviour {
  /** `--standby hot`: B's bot runs before it leads. Default cold. */
  hot?: boolean;
  count: number;
  everyMs: number;
  /** SIGTERM A once it answered this many messages. */
  stopAfterReplies: number;
  /** --stop-timeout of both. */
  stopTimeoutMs: number;
  timeoutMs: number;
  /** Extra `run` options of both. */
  args?: string[];
}

/** Result of a handover. */
export interface HandoverResult extends Tally {
  /** Exit codes of A (after SIGTERM) and of B (stopped at the end). */
  exitA: number | string;
  exitB: number | string;
  /** SIGTERM to A → B's first sendMessage upstream (ms), as B's upstream proxy saw it. */
  gapMs: number | undefined;
  /** Updates A had received but not confirmed when it stopped: the most a handover may hand out twice. */
  inHand: number;
  /** Both instances' output and the upstream timeline, for failure messages. */
  log: string;
}

export async function runHandover(emu: RunningEmulator, bot: PyBot, o: HandoverOptions): Promise<HandoverResult> {
  const b = await emu.createBot();
  const state = tempStateDir();
  const journal = new UpstreamJournal(emu.url);
  const args = ['--stop-timeout', String(o.stopTimeoutMs), ...(o.hot ? ['--standby', 'hot'] : []), ...(o.args ?? [])];
  let A: Instance | undefined;
  let B: Instance | undefined;
  const logOf = (): string => `--- A stdout\n${A?.stdout()}\n--- A stderr\n${A?.stderr()}\n--- B stdout\n${B?.stdout()}\n--- B stderr\n${B?.stderr()}\n--- upstream\n${describeCalls(journal.calls)}`;
  try {
    const common = { token: b.token, stateDir: state.dir, args, handlerDelayMs: o.handlerDelayMs, dropPending: o.dropPending };
    A = await startBotUnderRun(bot, { ...common, name: 'A', apiRoot: await journal.proxy('A') });
    // B starts once A leads, so that both bots' start-ups (seconds for aiogram) overlap.
    await A.waitFor(/✔ lease — leader/, 30_000);
    B = await startBotUnderRun(bot, { ...common, name: 'B', apiRoot: await journal.proxy('B') });
    await A.waitFor(/stdout\[\d+\] ready$/m, 60_000);
    await B.waitFor(/standby: the lease is held by/, 30_000);
    if (o.hot) await B.waitFor(/stdout\[\d+\] ready$/m, 60_000);

    const traffic = new Traffic(emu, b.id, { everyMs: o.everyMs, max: o.count }).start();
    await emu.waitForSent(b.id, o.stopAfterReplies, o.timeoutMs, `${o.stopAfterReplies} replies of the leader`);
    const tStop = Date.now();
    A.child.kill('SIGTERM');
    const exitA = await A.exited();
    await traffic.done();
    await traffic.drain(o.timeoutMs);
    const first = journal.firstReplyBy('B', tStop);
    const aPolls = journal.pollsBy('A');
    const acked = Math.max(0, ...aPolls.map((c) => c.offset ?? 0));
    const inHand = new Set(aPolls.flatMap((c) => c.updateIds ?? []).filter((id) => id >= acked)).size;
    B.child.kill('SIGTERM');
    const exitB = await B.exited();
    const botLines = (p: Spawned): string => (p.stdout() + p.stderr()).split('\n').filter((l) => /^\S+ (stdout|stderr)\[\d+\] /.test(l)).join('\n');
    const t = await tally(traffic, o.timeoutMs, `${botLines(A)}\n${botLines(B)}`);
    return { ...t, exitA, exitB, gapMs: first ? first.start - tStop : undefined, inHand, log: logOf() };
  } catch (err) {
    throw new Error(`${String(err)}\n${logOf()}`, { cause: err });
  } finally {
    await Promise.all([A?.dispose(), B?.dispose()]);
    await journal.close();
    state.remove();
  }
}
