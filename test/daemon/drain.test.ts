// Drain before stop: a bot that confirms updates on fetch, handles them in the background for 2 s and dies at once on
// SIGTERM (pyTelegramBotAPI threaded, aiogram handle_as_tasks) loses nothing when botwarden stops or hands over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startInstance, tempStateDir, emulatorForFile } from '../helpers/fleet.js';
import { eventually } from '../helpers/wait.js';

const THREADED = path.join(import.meta.dirname, '..', 'fixtures', 'bots', 'threaded-echo.mjs');
const emu = emulatorForFile();

const replies = async (botId: number): Promise<string[]> => (await emu.sent(botId)).map((m) => m.text ?? '');

test('graceful handover: the updates in hand are answered by the old bot, the standby takes over before that, 0 lost, 0 409s', async (t) => {
  const bot = await emu.createBot();
  const state = tempStateDir();
  const a = await startInstance({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: [process.execPath, THREADED] });
  const b = await startInstance({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: [process.execPath, THREADED] });
  try {
    await a.waitFor(/ready pid/, 20_000);
    await b.waitFor(/standby: the lease is held/, 20_000);
    const texts = ['h0', 'h1', 'h2', 'h3'];
    for (const text of texts) await emu.sendText(bot.id, text, 4242);
    await a.waitFor(/fetched h3/, 15_000);
    const t0 = Date.now();
    a.child.kill('SIGTERM');
    await b.waitFor(/taking over/, 15_000);
    const handoverMs = Date.now() - t0;
    assert.equal(await a.exited(), 0, a.stderr());
    const stopMs = Date.now() - t0;
    for (const text of ['after1', 'after2']) await emu.sendText(bot.id, text, 4242);
    await eventually('every update answered', async () => {
      const sent = await replies(bot.id);
      return [...texts, 'after1', 'after2'].every((x) => sent.includes(`echo: ${x}`));
    }, 20_000);
    const out = a.stdout() + a.stderr();
    assert.match(out, /lease released after \d+ ms; the bot finishes what it has in hand/);
    assert.match(out, /the bot went quiet after \d+ ms/);
    assert.doesNotMatch(out, /SIGTERM with [1-9]\d* in hand/, 'the bot was signalled with work in hand');
    assert.equal((await emu.stats(bot.id)).conflicts, 0);
    const sent = await replies(bot.id);
    const duplicates = sent.length - new Set(sent).size;
    t.diagnostic(`handover (SIGTERM → standby leads) ${handoverMs} ms; SIGTERM → old botwarden gone ${stopMs} ms; duplicates ${duplicates}`);
    assert.equal(duplicates, 0);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    state.remove();
  }
});

test('--drain-quiet 0: the same bot loses the updates in hand (what the drain prevents)', async () => {
  const bot = await emu.createBot();
  const state = tempStateDir();
  const a = await startInstance({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: [process.execPath, THREADED], args: ['--drain-quiet', '0'] });
  try {
    await a.waitFor(/ready pid/, 20_000);
    await emu.sendText(bot.id, 'x0', 77);
    await a.waitFor(/fetched x0/, 15_000);
    a.child.kill('SIGTERM');
    assert.equal(await a.exited(), 0, a.stderr());
    assert.match(a.stdout(), /SIGTERM with 1 in hand/);
    assert.ok(!(await replies(bot.id)).includes('echo: x0'));
  } finally {
    await a.stop();
    state.remove();
  }
});

test('a bot still busy at --stop-timeout is signalled anyway, with a warning that says how busy', async () => {
  const bot = await emu.createBot();
  const state = tempStateDir();
  const a = await startInstance({
    token: bot.token,
    apiRoot: emu.url,
    stateDir: state.dir,
    command: [process.execPath, THREADED],
    args: ['--stop-timeout', '800'],
    env: { HANDLER_MS: '60000' },
  });
  try {
    await a.waitFor(/ready pid/, 20_000);
    await emu.sendText(bot.id, 'slow', 78);
    await a.waitFor(/fetched slow/, 15_000);
    a.child.kill('SIGTERM');
    assert.equal(await a.exited(), 0, a.stderr());
    assert.match(a.stdout() + a.stderr(), /still busy after --stop-timeout 800 ms of draining: \d+ Bot API calls meanwhile, 0 in flight, the last \d+ ms ago, 1 updates without a reply yet; stopping it anyway/);
  } finally {
    await a.stop();
    state.remove();
  }
});

test('a bot that exits by itself is not reported as busy: nothing to drain, no warning', async () => {
  const bot = await emu.createBot();
  const state = tempStateDir();
  // Calls getMe, then exits 0 at once: with --restart never botwarden stops, and its drain finds no bot to wait for.
  const code = "const r = await fetch(process.env.TELEGRAM_API_ROOT + '/bot' + process.env.BOT_TOKEN + '/getMe'); console.log('getMe', r.status); process.exit(0);";
  const a = await startInstance({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: [process.execPath, '--input-type=module', '-e', code], args: ['--restart', 'never'] });
  try {
    assert.equal(await a.exited(), 0, a.stderr());
    const out = a.stdout() + a.stderr();
    assert.match(out, /getMe 200/);
    assert.doesNotMatch(out, /still busy/);
  } finally {
    await a.stop();
    state.remove();
  }
});
