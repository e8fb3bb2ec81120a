// --standby hot: the standby's bot runs all along, its getUpdates held (never a 409) until it leads; on the leader's
// SIGTERM the same bot process answers at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RAW_ECHO, startInstance, tempStateDir, emulatorForFile } from '../helpers/fleet.js';
import { eventually } from '../helpers/wait.js';

const emu = emulatorForFile();

test('hot standby: bot running while standby, getUpdates held without 409s, takes over without a restart, 0 lost', async (t) => {
  const bot = await emu.createBot();
  const state = tempStateDir();
  const args = ['--standby', 'hot'];
  const a = await startInstance({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: [process.execPath, RAW_ECHO], args });
  await a.waitFor(/ready pid/, 20_000);
  const b = await startInstance({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: [process.execPath, RAW_ECHO], args });
  try {
    await b.waitFor(/hot standby: starting the bot now/, 20_000);
    await b.waitFor(/ready pid/, 20_000);
    const sb = await b.status();
    assert.equal(sb.role, 'standby');
    assert.equal(typeof sb.child.pid, 'number', 'the standby runs its bot');
    const standbyPid = sb.child.pid;
    const role = async (root: string | null): Promise<unknown> => ((await (await fetch(`${root}/botwarden/role`)).json()) as { result: { role: string } }).result.role;
    assert.equal(await role(sb.gateway.root), 'standby');
    assert.equal(await role((await a.status()).gateway.root), 'leader');
    // The standby's bot polls all along (raw-echo polls with timeout 1): held, answered [], never a 409.
    await eventually('the standby bot polls', async () => (await b.status()).gateway.lastGetUpdatesAt !== null);
    await emu.sendText(bot.id, 'before');
    await eventually('answered by the leader', async () => (await emu.sent(bot.id)).some((m) => m.text === 'echo: before'));

    const t0 = Date.now();
    a.child.kill('SIGTERM');
    const id = await emu.sendText(bot.id, 'during');
    await eventually('answered by the hot standby', async () => (await emu.sent(bot.id)).some((m) => m.text === 'echo: during'), 15_000, 5);
    const gapMs = Date.now() - t0;
    assert.equal(await a.exited(), 0, a.stderr());
    const s = await b.status();
    assert.equal(s.role, 'leader');
    assert.equal(s.child.pid, standbyPid, 'the same bot process, not a restart');
    assert.equal(s.child.restarts, 0);
    assert.match(b.stdout() + b.stderr(), /taking over; the bot already runs \(hot standby\)/);
    assert.equal(await role(s.gateway.root), 'leader');
    const stats = await emu.stats(bot.id);
    assert.equal(stats.conflicts, 0);
    assert.ok(id > 0);
    t.diagnostic(`hot handover: leader SIGTERM → standby's reply ${gapMs} ms`);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    state.remove();
  }
});
