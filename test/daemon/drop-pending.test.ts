// A bot that starts with the libraries' "drop pending updates" idioms loses nothing under botwarden run, unless
// --allow-drop-pending lets its wish through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RAW_ECHO, startInstance, tempStateDir, emulatorForFile } from '../helpers/fleet.js';
import { eventually } from '../helpers/wait.js';

const emu = emulatorForFile();

test('deleteWebhook(drop_pending_updates) and getUpdates(offset=-1) at start-up: every update that queued before is answered', async () => {
  const bot = await emu.createBot();
  const state = tempStateDir();
  for (const text of ['p1', 'p2', 'p3']) await emu.sendText(bot.id, text);
  const bw = await startInstance({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: [process.execPath, RAW_ECHO], env: { DROP_PENDING: '1' } });
  try {
    await bw.waitFor(/dropped pending: deleteWebhook \{"ok":true,"result":true.*offset=-1 → 0 updates/, 15_000);
    await eventually('all three answered', async () => {
      const sent = (await emu.sent(bot.id)).map((m) => m.text);
      return ['p1', 'p2', 'p3'].every((t) => sent.includes(`echo: ${t}`));
    });
    const s = await bw.status();
    assert.deepEqual(s.gateway.dropPendingKept, { total: 2, byMethod: { getUpdates: 1, deleteWebhook: 1, setWebhook: 0 } });
    const metrics = await (await fetch(`${bw.healthUrl}/metrics`)).text();
    assert.match(metrics, /botwarden_drop_pending_kept_total\{method="deleteWebhook"\} 1/);
    assert.equal((bw.stdout() + bw.stderr()).match(/--allow-drop-pending to let it through/g)?.length, 2, 'said once per kind');
    assert.equal((await emu.stats(bot.id)).conflicts, 0);
  } finally {
    await bw.stop();
    state.remove();
  }
});

test('--allow-drop-pending: the bot drops what queued before it started, as it asked', async () => {
  const bot = await emu.createBot();
  const state = tempStateDir();
  for (const text of ['old1', 'old2']) await emu.sendText(bot.id, text);
  const bw = await startInstance({
    token: bot.token,
    apiRoot: emu.url,
    stateDir: state.dir,
    command: [process.execPath, RAW_ECHO],
    args: ['--allow-drop-pending'],
    env: { DROP_PENDING: '1' },
  });
  try {
    await bw.waitFor(/ready pid/, 15_000);
    await emu.sendText(bot.id, 'new');
    await eventually('the new one answered', async () => (await emu.sent(bot.id)).some((m) => m.text === 'echo: new'));
    const sent = (await emu.sent(bot.id)).map((m) => m.text);
    assert.ok(!sent.includes('echo: old1') && !sent.includes('echo: old2'), JSON.stringify(sent));
    assert.equal((await bw.status()).gateway.dropPendingKept.total, 0);
  } finally {
    await bw.stop();
    state.remove();
  }
});
