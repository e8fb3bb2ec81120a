// PostgreSQL lease backend outages (issue #4) on a PRIVATE cluster (initdb once per file; the shared server at 5432
// is never touched): unreachable at start, coming up late, and a server restart mid-run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, postgresMissing, startPrivatePostgres, type PrivateServer } from '../helpers/services.js';
import { startFleetEmulator, type RunningEmulator } from '../helpers/fleet.js';
import { comesUpLate, outageMidRun, unreachableAtStart } from './outage.js';

const TTL_MS = 3000; // see redis.test.ts
const skip = postgresMissing() ?? false;
let emu: RunningEmulator;
let pg: PrivateServer;
before(async () => {
  if (skip) return;
  emu = await startFleetEmulator();
  pg = await startPrivatePostgres();
});
after(async () => {
  await pg?.close();
  await emu?.close();
});

test('postgres unreachable at start: says so, retries, exits 6 after --startup-timeout', { skip }, async (t) => {
  await unreachableAtStart(t, { emu, lease: `postgres://postgres@127.0.0.1:${await freePort()}/postgres`, ttlMs: TTL_MS, label: 'postgres' });
});

test('postgres down at start and up later: botwarden keeps retrying, then leads and answers', { skip }, async (t) => {
  await comesUpLate(t, { emu, lease: pg.url, ttlMs: TTL_MS, label: 'postgres' }, pg);
});

test('postgres server restarted mid-run (down > TTL): the leader steps down in time, then one instance leads again with a larger fence; nothing lost, no 409', { skip }, async (t) => {
  const f = await outageMidRun(t, { emu, lease: pg.url, ttlMs: TTL_MS, label: 'postgres' }, pg, { crash: false });
  assert.ok(f.fenceBefore !== null && f.fenceAfter !== null && f.fenceAfter > f.fenceBefore, `fence ${f.fenceBefore} → ${f.fenceAfter}`);
});
