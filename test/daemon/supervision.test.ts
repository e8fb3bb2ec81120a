// Supervision under botwarden run: crash → immediate restart; a bot that ignores SIGTERM and forks a grandchild
// is stopped as a whole tree; a bot printing its own token never leaks it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RAW_ECHO, isProcessAlive, startInstance, tempStateDir, emulatorForFile } from '../helpers/fleet.js';
import { eventually } from '../helpers/wait.js';

const emu = emulatorForFile();

test('a crashed bot is restarted at once and answers again; /status counts the restart', async () => {
  const bot = await emu.createBot();
  const state = tempStateDir();
  const bw = await startInstance({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: [process.execPath, RAW_ECHO] });
  try {
    await bw.waitFor(/ready pid/, 15_000);
    const first = (await bw.status()).child.pid;
    await emu.sendText(bot.id, 'crash');
    const s = await eventually('restart', async () => {
      const st = await bw.status();
      return st.child.restarts === 1 && st.child.pid !== null && st.child.pid !== first ? st : undefined;
    });
    assert.equal(s.child.lastExit?.code, 1);
    await emu.sendText(bot.id, 'after crash');
    await eventually('reply after restart', async () => (await emu.sent(bot.id)).find((m) => m.text === 'echo: after crash'));
    assert.equal((await emu.stats(bot.id)).conflicts, 0);
  } finally {
    await bw.stop();
    state.remove();
  }
});

test('stop: a bot ignoring SIGTERM with a detached grandchild is gone after --stop-timeout', async () => {
  const bot = await emu.createBot();
  const state = tempStateDir();
  const bw = await startInstance({
    token: bot.token,
    apiRoot: emu.url,
    stateDir: state.dir,
    command: [process.execPath, RAW_ECHO],
    args: ['--stop-timeout', '800'],
    env: { IGNORE_SIGTERM: '1', GRANDCHILD: '1' },
  });
  try {
    const m = await bw.waitFor(/grandchild (\d+)/, 15_000);
    await bw.waitFor(/ready pid/, 15_000);
    const grandchild = Number(m[1]);
    const child = (await bw.status()).child.pid as number;
    assert.ok(isProcessAlive(grandchild) && isProcessAlive(child));
    const t0 = Date.now();
    bw.child.kill('SIGTERM');
    assert.equal(await bw.exited(), 0, bw.stderr());
    const took = Date.now() - t0;
    assert.ok(!isProcessAlive(child), 'bot still alive');
    assert.ok(!isProcessAlive(grandchild), 'grandchild still alive');
    // Not before --stop-timeout (the bot ignores SIGTERM); that it ends at all is the SIGKILL (else exited() hangs).
    assert.ok(took >= 700, `stop took ${took} ms`);
  } finally {
    await bw.stop();
    state.remove();
  }
});

test("the bot's own token is redacted in its streamed output", async () => {
  const bot = await emu.createBot();
  const state = tempStateDir();
  const bw = await startInstance({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: [process.execPath, RAW_ECHO], env: { PRINT_TOKEN: '1' } });
  try {
    await bw.waitFor(/\(oops\)/, 15_000);
    await bw.waitFor(/stderr copy/, 20_000);
    const secret = bot.token.split(':')[1] as string;
    const out = bw.stdout() + bw.stderr();
    assert.ok(!out.includes(secret), 'token secret leaked into output');
    // The fixture writes its token in two pieces with other output in between: no 8-character piece may show.
    for (let i = 0; i + 8 <= secret.length; i++) assert.ok(!out.includes(secret.slice(i, i + 8)), `a piece of the token secret leaked: ${i}..${i + 8}`);
    assert.match(out, new RegExp(`${bot.id}:<redacted>`));
  } finally {
    await bw.stop();
    state.remove();
  }
});

test('--restart never: when the bot ends, botwarden releases the lease and exits (1 for a failing bot)', async () => {
  const bot = await emu.createBot();
  const state = tempStateDir();
  const bw = await startInstance({
    token: bot.token,
    apiRoot: emu.url,
    stateDir: state.dir,
    command: [process.execPath, '-e', 'setTimeout(() => process.exit(3), 300)'],
    args: ['--restart', 'never'],
  });
  try {
    assert.equal(await bw.exited(), 1, bw.stderr());
    assert.match(bw.stderr(), /--restart never does not restart it/);
    assert.match(bw.stderr(), /lease released/);
  } finally {
    await bw.stop();
    state.remove();
  }
});
