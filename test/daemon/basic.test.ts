// botwarden run end to end against the emulator: echo through the gateway, /status, status/stop commands, SIGTERM,
// and the documented exit codes of preflight failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnCli } from '../helpers/cli.js';
import { RAW_ECHO, isProcessAlive, startInstance, tempStateDir, emulatorForFile } from '../helpers/fleet.js';
import { eventually } from '../helpers/wait.js';

const emu = emulatorForFile();

test('runs a bot through the gateway, reports /status, stops on SIGTERM with exit 0', async () => {
  const bot = await emu.createBot('basic_bot');
  const state = tempStateDir();
  const bw = await startInstance({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: [process.execPath, RAW_ECHO] });
  try {
    await bw.waitFor(/ready pid/, 15_000);
    await emu.sendText(bot.id, 'hello');
    await eventually('echo reply', async () => (await emu.sent(bot.id)).find((m) => m.text === 'echo: hello'));
    const s = await bw.status();
    assert.equal(s.role, 'leader');
    assert.equal(s.bot.id, bot.id);
    assert.equal(s.bot.username, 'basic_bot');
    assert.equal(typeof s.child.pid, 'number');
    assert.equal(s.child.restarts, 0);
    assert.equal(s.conflicts, 0);
    assert.equal(s.gateway.used, true);
    const ready = await fetch(`${bw.healthUrl}/readyz`);
    assert.equal(ready.status, 200);
    const metrics = await (await fetch(`${bw.healthUrl}/metrics`)).text();
    assert.match(metrics, /botwarden_leader 1/);
    assert.match(metrics, /botwarden_updates_forwarded_total [1-9]/);

    const st = spawnCli(['status', '--state-dir', state.dir]);
    assert.equal(await st.exited(), 0, st.stderr());
    assert.match(st.stdout(), /role: leader/);
    assert.match(st.stdout(), new RegExp(`held by .* pid ${bw.child.pid}`));

    const childPid = s.child.pid as number;
    const stop = spawnCli(['stop', '--state-dir', state.dir]);
    assert.equal(await stop.exited(), 0, stop.stderr());
    assert.equal(await bw.exited(), 0, bw.stderr());
    assert.ok(!isProcessAlive(childPid), 'the bot process must be gone');
    const all = bw.stdout() + bw.stderr() + st.stdout();
    assert.ok(!all.includes(bot.token.split(':')[1] as string), 'token leaked');
    const again = spawnCli(['status', '--state-dir', state.dir]);
    assert.equal(await again.exited(), 9);
  } finally {
    await bw.stop();
    state.remove();
  }
});

test('SIGTERM: bot stopped, lease released, exit 0', async () => {
  const bot = await emu.createBot();
  const state = tempStateDir();
  const bw = await startInstance({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: [process.execPath, RAW_ECHO] });
  try {
    await bw.waitFor(/ready pid/, 15_000);
    const pid = (await bw.status()).child.pid as number;
    bw.child.kill('SIGTERM');
    assert.equal(await bw.exited(), 0, bw.stderr());
    assert.ok(!isProcessAlive(pid));
    assert.match(bw.stderr(), /lease released/);
  } finally {
    await bw.stop();
    state.remove();
  }
});

test('preflight failures exit with their documented codes and say what to do', async () => {
  const state = tempStateDir();
  try {
    const revoked = await emu.createBot();
    await emu.revoke(revoked.id);
    const r1 = spawnCli(['run', '--api-root', emu.url, '--state-dir', state.dir, '--', process.execPath, RAW_ECHO], { env: { BOT_TOKEN: revoked.token } });
    const malformed = spawnCli(['run', '--api-root', emu.url, '--state-dir', state.dir, '--', process.execPath, RAW_ECHO], { env: { BOT_TOKEN: '12345:short' } });
    const noToken = spawnCli(['run', '--state-dir', state.dir, '--', 'x'], { env: { BOT_TOKEN: '', TELEGRAM_BOT_TOKEN: '' } });
    const ok = await emu.createBot();
    const unreachable = spawnCli(['run', '--api-root', 'http://127.0.0.1:1', '--startup-timeout', '1200', '--state-dir', state.dir, '--', process.execPath, RAW_ECHO], { env: { BOT_TOKEN: ok.token } });
    const missing = spawnCli(['run', '--api-root', emu.url, '--state-dir', state.dir, '--', 'definitely-not-a-command-xyz'], { env: { BOT_TOKEN: ok.token } });
    assert.equal(await r1.exited(), 3, r1.stderr());
    assert.match(r1.stderr(), /rejected.*BotFather/s);
    assert.equal(await malformed.exited(), 3);
    assert.match(malformed.stderr(), /malformed/);
    assert.equal(await noToken.exited(), 2);
    assert.match(noToken.stderr(), /BOT_TOKEN/);
    assert.equal(await unreachable.exited(), 4, unreachable.stderr());
    assert.match(unreachable.stderr(), /could not be reached/);
    assert.equal(await missing.exited(), 8, missing.stderr());
    assert.match(missing.stderr(), /not found/);
    for (const p of [r1, malformed, noToken, unreachable, missing]) {
      assert.doesNotMatch(p.stderr(), /\n\s+at .*\.ts:\d+/, 'no stack trace for an expected failure');
      assert.ok(!p.stderr().includes(ok.token.split(':')[1] as string));
    }
  } finally {
    state.remove();
  }
});
