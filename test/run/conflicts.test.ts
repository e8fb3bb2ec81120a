// Local conflicts: an unmanaged process holding the token stops preflight (exit 7) unless --takeover; a bot orphaned
// by a botwarden killed with -9 is found through the state file and stopped without asking.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnProcess } from '../helpers/cli.js';
import { RAW_ECHO, isAlive, startRun, tempStateDir } from '../helpers/botwarden-run.js';
import { eventually, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

let emu: TestEmulator;
before(async () => {
  emu = await startTestEmulator();
});
after(async () => {
  await emu.close();
});

test('an unmanaged process with the token: exit 7 naming its pid; --takeover stops it', async () => {
  const bot = await emu.createBot();
  const state = tempStateDir();
  const stray = spawnProcess(process.execPath, ['-e', 'console.log("stray up"); setInterval(() => {}, 1000)'], { env: { BOT_TOKEN: bot.token } });
  try {
    await stray.waitFor(/stray up/, 5000);
    const refused = await startRun({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: [process.execPath, RAW_ECHO], waitForHealth: false });
    assert.equal(await refused.exited(), 7, refused.stderr());
    assert.match(refused.stderr(), new RegExp(`pid ${stray.child.pid}`));
    assert.match(refused.stderr(), /--takeover/);
    assert.ok(isAlive(stray.child.pid as number), 'must not stop anything without --takeover');

    const bw = await startRun({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: [process.execPath, RAW_ECHO], args: ['--takeover', '--stop-timeout', '1000'] });
    try {
      await bw.waitFor(/ready pid/, 15_000);
      assert.notEqual(await stray.exited(), 'unknown');
      assert.ok(!isAlive(stray.child.pid as number));
    } finally {
      await bw.stop();
    }
  } finally {
    await stray.stop();
    state.remove();
  }
});

test('after kill -9 of botwarden, the next start stops the orphaned bot and takes the lock at once', async () => {
  const bot = await emu.createBot();
  const state = tempStateDir();
  const first = await startRun({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: [process.execPath, RAW_ECHO] });
  let orphan = 0;
  try {
    await first.waitFor(/ready pid/, 15_000);
    orphan = (await first.status()).child.pid as number;
    first.child.kill('SIGKILL');
    await first.exited();
    assert.ok(isAlive(orphan), 'the bot survives its botwarden (own process group)');
    const t0 = Date.now();
    const second = await startRun({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: [process.execPath, RAW_ECHO] });
    try {
      await second.waitFor(/ready pid/, 15_000);
      assert.match(second.stderr(), new RegExp(`orphaned bot process \\(pid ${orphan}\\)`));
      assert.ok(!isAlive(orphan), 'orphan stopped');
      assert.equal((await second.status()).role, 'leader');
      assert.ok(Date.now() - t0 < 10_000, 'the dead holder did not block the lock');
      await emu.sendText(bot.id, 'after orphan');
      await eventually('reply', async () => (await emu.sent(bot.id)).find((m) => m.text === 'echo: after orphan'));
    } finally {
      await second.stop();
    }
  } finally {
    if (orphan && isAlive(orphan)) process.kill(orphan, 'SIGKILL');
    state.remove();
  }
});
