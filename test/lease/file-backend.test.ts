// File lease: the contract, plus instant takeover from a dead or pid-reused holder, stale locks, a multi-process race.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createLeaseBackend, FileLeaseBackend } from '../../src/lease/index.js';
import { processStartTime } from '../../src/process/identity.js';
import type { LeaseRecord } from '../../src/lease/types.js';
import { BotwardenError } from '../../src/errors.js';
import { spawnProcess } from '../helpers/cli.js';
import { contractTests } from './contract.js';
import { claimFor, tempStateDir, uniqueBotId } from './helpers.js';

contractTests('file', 300);

const CHILD = new URL('./fixtures/lease-child.ts', import.meta.url).pathname;

test('file: a holder killed with -9 is taken over at once (no TTL wait)', async () => {
  const { dir, cleanup } = await tempStateDir();
  const botId = uniqueBotId();
  const child = spawnProcess(process.execPath, ['--import', 'tsx', CHILD], {
    env: { LEASE_MODE: 'acquire', LEASE_URL: 'file:', STATE_DIR: dir, BOT_ID: String(botId), TTL_MS: '60000', INSTANCE: 'child' },
  });
  const b = createLeaseBackend('file:', { stateDir: dir });
  try {
    await child.waitFor(/acquired fence (\d+)/, 15_000);
    await b.open();
    const busy = await b.tryAcquire(claimFor(botId, 'parent'), 60_000);
    assert.equal(busy.acquired, false, 'held while the child lives');
    assert.equal((busy as { holder: LeaseRecord | null }).holder?.pid, child.child.pid);
    child.child.kill('SIGKILL');
    await child.exited();
    assert.equal(await b.holder(botId), null, 'a dead holder holds nothing');
    const got = await b.tryAcquire(claimFor(botId, 'parent'), 60_000);
    assert.equal(got.acquired, true, 'the first attempt after the holder died gets the lease (its 60 s TTL is far off)');
  } finally {
    await child.stop();
    await b.close();
    await cleanup();
  }
});

test('file: pid reuse: a record with a live pid but another start time is taken over; with the right start time it is not', async () => {
  const { dir, cleanup } = await tempStateDir();
  const botId = uniqueBotId();
  const leases = join(dir, 'leases');
  await mkdir(leases, { recursive: true });
  const real = await processStartTime(process.pid);
  assert.ok(real);
  const rec = (start: string): LeaseRecord => ({
    botId,
    instanceId: 'ghost',
    host: hostname(),
    pid: process.pid, // alive (it is us), but is it the same process?
    fence: 7,
    since: Date.now(),
    expiresAt: Date.now() + 60_000,
    processStart: start,
  });
  const b = createLeaseBackend(`file:${dir}`, {});
  try {
    await b.open();
    await writeFile(join(leases, `${botId}.json`), JSON.stringify(rec(`${real}9`)));
    assert.equal(await b.holder(botId), null, 'reused pid: not the holder');
    const got = await b.tryAcquire(claimFor(botId, 'new'), 60_000);
    assert.equal(got.acquired, true);
    assert.equal((got as { record: LeaseRecord }).record.fence, 8, 'fence continues after the ghost');

    await writeFile(join(leases, `${botId}.json`), JSON.stringify(rec(real)));
    const busy = await b.tryAcquire(claimFor(botId, 'other'), 60_000);
    assert.equal(busy.acquired, false, 'same pid and same start time: still held');
  } finally {
    await b.close();
    await cleanup();
  }
});

test('file: a stale lock file is broken (dead owner at once, live owner after lockStaleMs)', async () => {
  const { dir, cleanup } = await tempStateDir();
  const botId = uniqueBotId();
  const b = new FileLeaseBackend({ dir, lockStaleMs: 400 });
  // A backend whose stale-lock age is far beyond any wait here: breaking a lock through it is not age.
  const patient = new FileLeaseBackend({ dir, lockStaleMs: 600_000 });
  try {
    await b.open();
    await patient.open();
    const lock = join(dir, 'leases', `${botId}.lock`);
    // Owner pid that does not exist.
    await writeFile(lock, JSON.stringify({ pid: 2 ** 22 + 12345, processStart: '1', host: hostname(), nonce: 'x' }));
    assert.equal((await patient.tryAcquire(claimFor(botId, 'A'), 5000)).acquired, true, 'dead owner: broken at once (not by age)');
    // Owner alive (us), e.g. frozen in its critical section: broken only once older than lockStaleMs.
    await writeFile(lock, JSON.stringify({ pid: process.pid, processStart: await processStartTime(process.pid), host: hostname(), nonce: 'y' }));
    const t0 = performance.now();
    const h = await b.renew((await b.holder(botId))!, 5000);
    const waited = performance.now() - t0;
    assert.equal(h, true);
    assert.ok(waited >= 300, `waited ${waited} ms for a live owner's lock (not before it was ≈ lockStaleMs old)`);
  } finally {
    await patient.close();
    await b.close();
    await cleanup();
  }
});

test('file: processes racing for the lease: exactly one wins each round', async () => {
  const { dir, cleanup } = await tempStateDir();
  const children: ReturnType<typeof spawnProcess>[] = [];
  try {
    for (let round = 0; round < 2; round++) {
      const botId = uniqueBotId();
      const startAt = Date.now() + 1500;
      const kids = Array.from({ length: 4 }, (_, i) =>
        spawnProcess(process.execPath, ['--import', 'tsx', CHILD], {
          env: { LEASE_MODE: 'race', LEASE_URL: 'file:', STATE_DIR: dir, BOT_ID: String(botId), TTL_MS: '60000', INSTANCE: `r${i}`, START_AT: String(startAt) },
        }),
      );
      children.push(...kids);
      const outs = await Promise.all(kids.map(async (k) => (await k.waitFor(/result (won|lost)/, 15_000))[1]));
      assert.equal(outs.filter((o) => o === 'won').length, 1, outs.join(','));
      await Promise.all(kids.map((k) => k.stop()));
    }
  } finally {
    await Promise.all(children.map((k) => k.stop()));
    await cleanup();
  }
});

test('file: an unusable state dir fails with LEASE_UNREACHABLE naming it', async () => {
  const { dir, cleanup } = await tempStateDir();
  try {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const b = createLeaseBackend(`file:${blocker}`, {});
    await assert.rejects(b.open(), (err: unknown) => {
      assert.ok(err instanceof BotwardenError);
      assert.equal(err.code, 'LEASE_UNREACHABLE');
      assert.equal(err.exitCode, 6);
      assert.match(err.message, /not-a-dir/);
      return true;
    });
  } finally {
    await cleanup();
  }
});
