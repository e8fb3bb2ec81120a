// Redis lease backend outages (issue #4) on a PRIVATE redis-server (the shared one at 6379 is never touched):
// unreachable at start, coming up late, and a restart mid-run that forgets every key.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, redisServerMissing, startPrivateRedis, type PrivateServer } from '../helpers/services.js';
import { startFleetEmulator, type RunningEmulator } from '../helpers/fleet.js';
import { comesUpLate, outageMidRun, unreachableAtStart } from './outage.js';

const TTL_MS = 3000; // see redis.test.ts
const skip = redisServerMissing() ?? false;
let emu: RunningEmulator;
let redis: PrivateServer;
before(async () => {
  if (skip) return;
  emu = await startFleetEmulator();
  redis = await startPrivateRedis();
});
after(async () => {
  await redis?.close();
  await emu?.close();
});

test('redis unreachable at start: says so, retries, exits 6 after --startup-timeout', { skip }, async (t) => {
  await unreachableAtStart(t, { emu, lease: `redis://127.0.0.1:${await freePort()}`, ttlMs: TTL_MS, label: 'redis' });
});

test('redis down at start and up later: botwarden keeps retrying, then leads and answers', { skip }, async (t) => {
  await comesUpLate(t, { emu, lease: redis.url, ttlMs: TTL_MS, label: 'redis' }, redis);
});

test('redis restarted mid-run (down > TTL, keys lost): the leader steps down in time, then one instance leads again; nothing lost, no 409', { skip }, async (t) => {
  const f = await outageMidRun(t, { emu, lease: redis.url, ttlMs: TTL_MS, label: 'redis' }, redis, { crash: true });
  assert.ok(f.fenceAfter !== null, 'the new leader has a fence');
  // A Redis without persistence forgets the fence counter (`<key>:fence`, INCR) with the lease: fences start at 1 again.
  await t.test('a new holder after the restart has a larger fence than the one before', () => {
    assert.ok((f.fenceAfter ?? 0) > (f.fenceBefore ?? Infinity), `fence ${f.fenceBefore} → ${f.fenceAfter}`);
  });
});
