// `botwarden emulator`: prints its URL once ready, serves the ★ contract, stops cleanly on SIGTERM and SIGINT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmulatorClient } from '../../src/emulator/index.js';
import { spawnCli } from '../helpers/cli.js';
import { eventually } from '../helpers/wait.js';

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`botwarden emulator --port 0: URL on stdout, control API works, ${signal} → exit 0 with a long poll pending`, async (t) => {
    const p = spawnCli(['emulator', '--host', '127.0.0.1', '--port', '0', '--webhook-retry-scale', '0.1']);
    t.after(() => p.stop(1000));
    const m = await p.waitFor(/(http:\/\/127\.0\.0\.1:(\d+))/, 20_000);
    const url = m[1]!;
    assert.notEqual(m[2], '0');
    const client = new EmulatorClient(url);
    const bot = await client.createBot();
    const poll = fetch(`${url}/bot${bot.token}/getUpdates?timeout=30`).then(async (r) => [r.status, await r.text()] as const);
    await eventually('the poll to be pending', async () => (await client.stats(bot.id)).longPollWaiting);
    const t0 = Date.now();
    p.child.kill(signal);
    assert.equal(await p.exited(), 0, p.stderr());
    t.diagnostic(`stopped in ${Date.now() - t0} ms`);
    const [status, body] = await poll;
    assert.equal(status, 429, 'a pending poll is answered as the real server does on shutdown');
    assert.match(body, /retry after 5/);
  });
}

test('botwarden emulator: a bad --port is a usage error', async () => {
  const p = spawnCli(['emulator', '--port', 'abc']);
  assert.equal(await p.exited(), 2);
  assert.match(p.stderr(), /expected a port/);
});
