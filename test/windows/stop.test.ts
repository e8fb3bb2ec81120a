// botwarden stops a bot on Windows: drain first (no update handed out, the handlers in progress finish and
// reply), then the tree is terminated at once — Windows cannot ask a console program to stop (see README).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFleetEmulator } from '../helpers/fleet.js';
import { eventually } from '../helpers/wait.js';
import { SKIP, botwardenOnce, runEchoBot, scratch, winPath } from './wine.js';

test('windows: stop drains the bot (its handler in progress replies), then ends the tree at once; nothing lost', { skip: SKIP, timeout: 240_000 }, async () => {
  const emu = await startFleetEmulator();
  // Confirms updates as it fetches them and replies HANDLER_MS later, like pyTelegramBotAPI threaded.
  const s = scratch('threaded-echo.mjs');
  const bot = await emu.createBot();
  const a = runEchoBot(s, { token: bot.token, apiRoot: emu.url, name: 'a', args: ['--stop-timeout', '120000'], env: { HANDLER_MS: '1500' } });
  try {
    await a.waitFor(/ready pid \d+/);
    const id = await emu.sendText(bot.id, 'in hand at stop');
    await eventually('the bot fetched the update', async () => ((await emu.stats(bot.id)).delivered[String(id)] ?? 0) >= 1, 60_000);
    const stop = await botwardenOnce(['stop', '--state-dir', winPath(s.stateDir)], { dir: s.dir, name: 'stop' });
    assert.equal(stop.code, 0, stop.output);
    assert.equal(await a.exited(), 0, a.output());
    const sent = await emu.sent(bot.id);
    assert.ok(sent.some((m) => m.text === 'echo: in hand at stop'), `the handler ran before the stop: ${JSON.stringify(sent)}`);
    const stopped = /bot stopped in (\d+) ms \(terminated: Windows cannot ask a console program to stop\)/.exec(a.output());
    assert.ok(stopped, a.output());
    console.log(`# stop: the drain took what the handler needed, then the tree went in ${stopped[1]} ms`);
    assert.doesNotMatch(a.output(), /after --stop-timeout/, 'no wait for --stop-timeout');
    assert.deepEqual(s.processes(), [], 'no bot process left');
  } finally {
    a.kill();
    await emu.close();
    s.remove();
  }
});
