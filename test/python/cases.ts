// The cases every Python library's echo bot runs through, in three test files per library (a file has 120 s, and
// aiogram alone takes 8-15 s to import on a busy machine), each running its cases in sequence against one emulator:
// direct and two copies without botwarden (`<lib>.test.ts`); rolling handovers under `botwarden run` while messages
// flow, cold and hot standby (`<lib>-handover.test.ts`); handovers with slow handlers and with the drop-pending
// start-up idiom (`<lib>-stop.test.ts`).
// Under botwarden every case asserts 0 409s seen by the bot, 0 lost, and duplicates no more than the leader had in
// hand (received, not yet confirmed) when it stopped; the counts go to the test's diagnostics.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { emulatorForFile, type RunningEmulator } from '../helpers/fleet.js';
import { describeTally, PY_BOTS, pythonBotsMissing, runDirect, runHandover, runSupports, runTwoCopies, type HandoverOptions, type HandoverResult, type PyBot } from '../helpers/python-bots.js';

/** Handover with messages every 100 ms; A is stopped after its 5th reply. */
const HANDOVER: HandoverOptions = { count: 30, everyMs: 100, stopAfterReplies: 5, stopTimeoutMs: 10_000, timeoutMs: 60_000 };

function assertClean(t: TestContext, r: HandoverResult): void {
  t.diagnostic(describeTally(r));
  assert.deepEqual(r.lostTexts, [], `lost updates\n${r.log}`);
  assert.equal(r.conflicts, 0, `the emulator answered a 409\n${r.log}`);
  assert.deepEqual(r.conflictLines, [], `the bot reported a 409\n${r.log}`);
  assert.equal(r.exitA, 0, `the leader's botwarden did not exit 0\n${r.log}`);
  // Handled twice only what the leader had received and not confirmed when it stopped. The emulator's "delivered twice"
  // is reported, not bounded: it also counts updates it put into a long poll that the stopping leader cut off, which
  // nobody received.
  assert.ok(r.duplicates <= r.inHand, `${r.duplicates} handled twice, ${r.inHand} in hand\n${r.log}`);
}

/** One emulator for the cases of a file; the whole group skips (one line saying why) without the venv. */
function group(bot: PyBot, what: string, cases: (emu: () => RunningEmulator) => void): void {
  describe(`${PY_BOTS[bot].title}: ${what}`, { skip: pythonBotsMissing() }, () => {
    const emu = emulatorForFile();
    cases(() => emu);
  });
}

/** Without botwarden: direct (the baseline) and two copies (the 409 problem). */
export function pythonBotBasics(bot: PyBot): void {
  group(bot, 'direct and two copies without botwarden', (emu) => {
    test('direct to the emulator (baseline): every message answered, no 409', async (t) => {
      const r = await runDirect(emu(), bot, { count: 10, everyMs: 100, timeoutMs: 30_000 });
      t.diagnostic(`${describeTally(r)}; exit on SIGTERM: ${r.exit}`);
      assert.deepEqual(r.lostTexts, []);
      assert.equal(r.conflicts, 0);
      assert.deepEqual(r.conflictLines, []);
    });

    test('two copies without botwarden: the 409 problem (counted, not asserted away)', async (t) => {
      const r = await runTwoCopies(emu(), bot, { count: 10, everyMs: 100, timeoutMs: 30_000 });
      t.diagnostic(describeTally(r));
      assert.ok(r.conflicts > 0, 'two pollers of one token got no 409 from the emulator');
    });
  });
}

/** Rolling handover under `botwarden run`, cold and hot standby. */
export function pythonBotHandovers(bot: PyBot): void {
  group(bot, 'rolling handover under botwarden', (emu) => {
    test('cold standby: SIGTERM to the leader mid-stream', async (t) => {
      assertClean(t, await runHandover(emu(), bot, HANDOVER));
    });

    test('hot standby (--standby hot): SIGTERM to the leader mid-stream', { skip: !runSupports('--standby') && 'this build has no --standby' }, async (t) => {
      assertClean(t, await runHandover(emu(), bot, { ...HANDOVER, hot: true }));
    });
  });
}

/** Libraries that confirm updates before their handlers ran and drop those handlers at SIGTERM (aiogram cancels its
 * handler tasks, pyTelegramBotAPI dies at once): only botwarden's drain before stop saves them. In a build without the
 * drain (it came with `--standby`) their slow-handler case runs and reports as a todo. */
const NEEDS_DRAIN: ReadonlySet<PyBot> = new Set<PyBot>(['aiogram3', 'telebot4']);
const hasDrain = (): boolean => runSupports('--standby');

/** Handovers that stop a bot with work in hand: slow handlers, the drop-pending idiom. */
export function pythonBotStops(bot: PyBot): void {
  group(bot, 'slow handlers and drop-pending across a handover', (emu) => {
    test('handlers slower than the handover (1 s each): nothing cut off at stop', { todo: NEEDS_DRAIN.has(bot) && !hasDrain() && 'needs the drain before stop' }, async (t) => {
      // A hot standby (when built) makes the handover far shorter than a handler, and keeps aiogram's file short.
      assertClean(t, await runHandover(emu(), bot, { ...HANDOVER, hot: runSupports('--standby'), count: 8, everyMs: 250, stopAfterReplies: 2, handlerDelayMs: 1000, stopTimeoutMs: 20_000, timeoutMs: 40_000 }));
    });

    test('the drop-pending start-up idiom: what queued during the handover is still answered', async (t) => {
      assertClean(t, await runHandover(emu(), bot, { ...HANDOVER, dropPending: true, timeoutMs: 40_000 }));
    });
  });
}
