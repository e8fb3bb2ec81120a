// The status page's actions on real `botwarden run` instances: a generated 0600 secret, restart, step down, refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { startFleet, type Fleet } from '../helpers/fleet.js';
import { eventually } from '../helpers/wait.js';

function post(base: string, action: string, secret?: string): Promise<Response> {
  return fetch(`${base}/actions/${action}`, { method: 'POST', headers: secret === undefined ? {} : { 'x-botwarden-secret': secret } });
}

test('run --health-allow-actions: generated secret in a 0600 file; restart and step down work; standby and read-only refuse', async () => {
  let fleet: Fleet | undefined;
  try {
    fleet = await startFleet({ username: 'actions_bot', names: [] });
    const bot = fleet.bot;
    const a = await fleet.add('A', { args: ['--health-allow-actions'] });
    const file = (await a.waitFor(/the secret is in (\S+) \(send it as X-Botwarden-Secret\)/, 10_000))[1]!;
    await a.waitFor(/ready pid/, 20_000);
    const secret = readFileSync(file, 'utf8').trim();
    assert.ok(secret.length >= 32, 'a long random secret');
    if (process.platform !== 'win32') assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(!a.stdout().includes(secret) && !a.stderr().includes(secret), 'the secret itself is never printed');
    assert.ok(!secret.includes(bot.token.split(':')[1]!.slice(0, 12)));

    const b = await fleet.add('B');
    await b.waitFor(/standby: the lease is held by/, 20_000);

    assert.equal((await post(a.healthUrl, 'restart')).status, 401);
    assert.equal((await post(a.healthUrl, 'restart', `${secret}x`)).status, 401);
    assert.equal((await post(a.healthUrl, 'restart', bot.token)).status, 401);
    assert.equal((await post(b.healthUrl, 'restart', secret)).status, 403, 'B is read-only');
    assert.equal((await a.status()).child.restarts, 0);

    const restart = await post(a.healthUrl, 'restart', secret);
    assert.equal(restart.status, 202, await restart.clone().text());
    await eventually('A restarted its bot', async () => (await a.status()).child.restarts === 1 && (await a.status()).child.pid !== null, 10_000);
    assert.match(a.stderr(), /restart requested from the status page/);

    assert.equal((await post(a.healthUrl, 'step-down', secret)).status, 202);
    await eventually('B leads', async () => (await b.status()).role === 'leader', 10_000);
    await eventually('A is standby', async () => (await a.status()).role === 'standby', 10_000);
    const refused = await post(a.healthUrl, 'restart', secret);
    assert.equal(refused.status, 409);
    assert.match(((await refused.json()) as { error: string }).error, /standby/);
    assert.equal((await post(a.healthUrl, 'step-down', secret)).status, 409);

    a.child.kill('SIGTERM');
    assert.equal(await a.exited(), 0, a.stderr());
    assert.equal(existsSync(file), false, 'the secret file is removed on exit');
  } finally {
    await fleet?.close();
  }
});
