// Redis lease: the contract against the real server, fail-fast when unreachable, recovery after CLIENT KILL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createLeaseBackend } from '../../src/lease/index.js';
import { RedisLeaseBackend } from '../../src/lease/redis.js';
import type { LeaseRecord } from '../../src/lease/types.js';
import { BotwardenError } from '../../src/errors.js';
import { contractTests } from './contract.js';
import { acquireWhileReconnecting, claimFor, redisCleanup, serviceFor, uniqueBotId, waitUntil } from './helpers.js';

const redis = await serviceFor('redis');
const REDIS_URL = redis.url;
contractTests('redis', 100, redis.skip);

test('redis: unreachable → LEASE_UNREACHABLE fast, names the backend, never the password', async () => {
  const b = createLeaseBackend('redis://:s3cretpw@127.0.0.1:1/0', { stateDir: '.' });
  assert.equal(b.description, 'redis://127.0.0.1:1/0');
  const t0 = performance.now();
  await assert.rejects(b.open(), (err: unknown) => {
    assert.ok(err instanceof BotwardenError);
    assert.equal(err.code, 'LEASE_UNREACHABLE');
    assert.equal(err.exitCode, 6);
    assert.match(err.message, /redis:\/\/127\.0\.0\.1:1\/0/);
    assert.match(err.message, /ECONNREFUSED/);
    assert.doesNotMatch(`${err.message} ${err.hint ?? ''}`, /s3cretpw/);
    return true;
  });
  // A bound that catches a retrying client (a connection refused on 127.0.0.1 is answered at once), not a speed goal.
  assert.ok(performance.now() - t0 < 10_000, 'fails without retrying');
  // Calls after a failed open fail fast too (no offline queue).
  const t1 = performance.now();
  await assert.rejects(b.holder(1), (err: unknown) => err instanceof BotwardenError && err.code === 'LEASE_UNREACHABLE');
  assert.ok(performance.now() - t1 < 10_000, 'fails without queueing the call');
  await b.close();
  await b.close();
});

test('redis: the client recovers after its connections are killed (CLIENT KILL), and the watch resubscribes', { skip: redis.skip }, async () => {
  const botId = uniqueBotId();
  const name = `bwtest-${process.pid}-${botId}`;
  const b = new RedisLeaseBackend({ url: REDIS_URL, connectionName: name });
  const admin = new Redis(REDIS_URL, { lazyConnect: true });
  try {
    await b.open();
    await admin.connect();
    let notices = 0;
    const unwatch = await b.watchRelease(botId, () => notices++);
    const kill = async (): Promise<number> => {
      const list = (await admin.client('LIST')) as string;
      const ids = list
        .split('\n')
        .filter((l) => l.includes(` name=${name} `) || l.includes(` name=${name}-watch `))
        .map((l) => /\bid=(\d+)/.exec(l)?.[1])
        .filter((id): id is string => id !== undefined);
      for (const id of ids) await admin.client('KILL', 'ID', id);
      return ids.length;
    };
    assert.equal(await kill(), 2, 'command and watch connections found');
    // The next calls may fail while reconnecting; within 2 s they work again.
    const rec = await acquireWhileReconnecting(b, claimFor(botId, 'A'), 2000, 'acquire after CLIENT KILL');
    // The watch connection came back subscribed: a release by another client reaches it.
    await waitUntil(async () => {
      const subs = (await admin.pubsub('NUMSUB', `botwarden:lease:${botId}:released`)) as [string, number];
      return subs[1] === 1;
    }, 15_000, 'resubscribe');
    const other = createLeaseBackend(REDIS_URL, {});
    await other.open();
    await other.release(rec);
    await other.close();
    await waitUntil(() => notices === 1, 10_000, 'release notice after reconnect');
    await unwatch();
  } finally {
    await b.close();
    admin.disconnect();
    await redisCleanup([botId]);
  }
});

test('redis: the fence survives a released record (INCR key)', { skip: redis.skip }, async () => {
  const botId = uniqueBotId();
  const b = createLeaseBackend(REDIS_URL, {});
  try {
    await b.open();
    const r1 = await b.tryAcquire(claimFor(botId, 'A'), 5000);
    assert.equal(r1.acquired, true);
    await b.release((r1 as { record: LeaseRecord }).record);
    const r2 = await b.tryAcquire(claimFor(botId, 'B'), 5000);
    assert.equal((r2 as { record: LeaseRecord }).record.fence, (r1 as { record: LeaseRecord }).record.fence + 1);
  } finally {
    await b.close();
    await redisCleanup([botId]);
  }
});
