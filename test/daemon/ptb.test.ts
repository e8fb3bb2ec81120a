// python-telegram-bot 13 (Debian's, /usr/bin/python3) under botwarden: echo through the gateway, graceful stop
// confirms the offset the bot acknowledged, and a second botwarden then receives no duplicate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { EXAMPLES, ptb13Missing, startInstance, tempStateDir, emulatorForFile } from '../helpers/fleet.js';
import { eventually } from '../helpers/wait.js';

const PTB = path.join(EXAMPLES, 'ptb13.py');
const emu = emulatorForFile();

test('python-telegram-bot 13 echoes under botwarden; a restart of botwarden delivers nothing twice', { skip: ptb13Missing() }, async () => {
  const bot = await emu.createBot('ptb_bot');
  const state = tempStateDir();
  try {
    const first = await startInstance({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: ['/usr/bin/python3', PTB], args: ['--stop-timeout', '5000'] });
    try {
      await first.waitFor(/ready/, 20_000);
      for (const t of ['one', 'two', 'three']) await emu.sendText(bot.id, t);
      await eventually('3 replies', async () => ((await emu.sent(bot.id)).length >= 3 ? true : undefined), 15_000);
      first.child.kill('SIGTERM');
      assert.equal(await first.exited(), 0, first.stderr());
    } finally {
      await first.stop();
    }
    const stats = await emu.stats(bot.id);
    assert.ok(stats.confirmedUpTo >= Math.max(...Object.keys(stats.delivered).map(Number)), `confirmedUpTo ${stats.confirmedUpTo}`);
    const second = await startInstance({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: ['/usr/bin/python3', PTB], args: ['--stop-timeout', '5000'] });
    try {
      await second.waitFor(/ready/, 20_000);
      await emu.sendText(bot.id, 'four');
      await eventually('4th reply', async () => (await emu.sent(bot.id)).find((m) => m.text === 'echo: four'), 15_000);
      const after2 = await emu.stats(bot.id);
      assert.equal(Object.values(after2.delivered).filter((n) => n > 1).length, 0, 'an update was delivered twice');
      assert.equal(after2.conflicts, 0);
      assert.equal((await emu.sent(bot.id)).length, 4);
    } finally {
      await second.stop();
    }
  } finally {
    state.remove();
  }
});
