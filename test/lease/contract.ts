// The LeaseBackend contract, run against each real backend by file-, redis- and postgres-backend.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LeaseBackend, LeaseRecord } from '../../src/lease/types.js';
import { backendKit, claimFor, uniqueBotId, waitUntil, type Kind } from './helpers.js';

/**
 * Registers the contract tests for `kind`; `watchGoalMs` is the release-notice latency goal (printed beside the figure,
 * not asserted); `skip` is the one-line reason the server is missing (test/helpers/services.ts), or false.
 */
export function contractTests(kind: Kind, watchGoalMs: number, skip: false | string = false): void {
  const withKit = async (fn: (make: () => Promise<LeaseBackend>, botId: number) => Promise<void>): Promise<void> => {
    const kit = await backendKit(kind);
    const botId = uniqueBotId();
    try {
      await fn(kit.make, botId);
    } finally {
      await kit.cleanup([botId]);
    }
  };

  test(`${kind}: acquire, holder, renew, release`, { skip }, () =>
    withKit(async (make, botId) => {
      const [a, b] = [await make(), await make()];
      const asked = Date.now();
      const got = await a.tryAcquire(claimFor(botId, 'A'), 5000);
      const answered = Date.now();
      assert.equal(got.acquired, true);
      const rec = (got as { record: LeaseRecord }).record;
      assert.equal(rec.botId, botId);
      assert.equal(rec.instanceId, 'A');
      assert.equal(rec.pid, process.pid);
      assert.ok(rec.fence >= 1);
      // The backend sets the expiry while the call is in flight: between ask + ttl and answer + ttl (1 ms rounding).
      assert.ok(rec.expiresAt >= asked + 5000 - 1 && rec.expiresAt <= answered + 5000 + 1, `expiresAt = now + ttl (${rec.expiresAt - asked} ms after the ask, ${answered - asked} ms round trip)`);

      const other = await b.tryAcquire(claimFor(botId, 'B'), 5000);
      assert.equal(other.acquired, false);
      assert.equal((other as { holder: LeaseRecord | null }).holder?.instanceId, 'A');
      assert.equal((other as { holder: LeaseRecord | null }).holder?.fence, rec.fence);

      const h = await b.holder(botId);
      assert.equal(h?.instanceId, 'A');
      assert.equal(h?.fence, rec.fence);
      // Read back as the time left on the server: not before the ask + ttl, not after this answer + ttl.
      assert.ok(h!.expiresAt >= asked + 5000 - 1 && h!.expiresAt <= Date.now() + 5000 + 1, `the holder record keeps the expiry (${h!.expiresAt - asked} ms after the ask)`);

      assert.equal(await a.renew(rec, 5000), true);
      assert.equal(await b.renew({ ...rec, instanceId: 'B' }, 5000), false, 'someone else cannot renew');
      assert.equal(await a.renew({ ...rec, fence: rec.fence + 100 }, 5000), false, 'a wrong fence cannot renew');

      await b.release({ ...rec, instanceId: 'B' }); // not B's: no-op
      assert.equal((await a.holder(botId))?.instanceId, 'A');
      await a.release(rec);
      assert.equal(await b.holder(botId), null);
      assert.equal(await a.renew(rec, 5000), false, 'renew after release');
      await a.release(rec); // twice: no-op

      const next = await b.tryAcquire(claimFor(botId, 'B'), 5000);
      assert.equal(next.acquired, true);
      assert.ok((next as { record: LeaseRecord }).record.fence > rec.fence);
      await a.close();
      await a.close(); // safe twice
    }));

  test(`${kind}: fence strictly increases across holders (release, expiry, re-acquire by the same holder)`, { skip }, () =>
    withKit(async (make, botId) => {
      const b = await make();
      const fences: number[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await b.tryAcquire(claimFor(botId, `I${i}`), 5000);
        assert.equal(r.acquired, true);
        const rec = (r as { record: LeaseRecord }).record;
        fences.push(rec.fence);
        if (i % 2 === 0) await b.release(rec);
        else {
          // The same holder asking again gets the lease with a new term (fence).
          const again = await b.tryAcquire(claimFor(botId, `I${i}`), 150);
          assert.equal(again.acquired, true);
          fences.push((again as { record: LeaseRecord }).record.fence);
          await waitUntil(async () => (await b.holder(botId)) === null, 10_000, 'the 150 ms lease to expire', 20);
        }
      }
      for (let i = 1; i < fences.length; i++) assert.ok(fences[i]! > fences[i - 1]!, `fences ${fences.join(',')}`);
    }));

  test(`${kind}: an expired lease is free; the old holder can no longer renew`, { skip }, () =>
    withKit(async (make, botId) => {
      const [a, b] = [await make(), await make()];
      const ra = await a.tryAcquire(claimFor(botId, 'A'), 300);
      assert.equal(ra.acquired, true);
      assert.equal((await b.tryAcquire(claimFor(botId, 'B'), 300)).acquired, false);
      await waitUntil(async () => (await b.holder(botId)) === null, 10_000, 'expired = no holder', 20);
      const rb = await b.tryAcquire(claimFor(botId, 'B'), 5000);
      assert.equal(rb.acquired, true);
      const recA = (ra as { record: LeaseRecord }).record;
      assert.equal(await a.renew(recA, 5000), false);
      await a.release(recA);
      assert.equal((await a.holder(botId))?.instanceId, 'B', "A's late release does not free B's lease");
    }));

  test(`${kind}: concurrent acquires: exactly one wins`, { skip }, () =>
    withKit(async (make, botId) => {
      const backends = await Promise.all(Array.from({ length: 4 }, () => make()));
      const results = await Promise.all(
        backends.flatMap((b, i) => [0, 1].map((j) => b.tryAcquire(claimFor(botId, `C${i}.${j}`), 5000))),
      );
      assert.equal(results.filter((r) => r.acquired).length, 1, JSON.stringify(results));
    }));

  test(`${kind}: watchRelease notices a release (well before the 10 s lease could run out)`, { skip }, () =>
    withKit(async (make, botId) => {
      const [a, b] = [await make(), await make()];
      const r = await a.tryAcquire(claimFor(botId, 'A'), 10_000);
      assert.equal(r.acquired, true);
      let notedAt = 0;
      const unwatch = await b.watchRelease(botId, () => {
        notedAt ||= performance.now();
      });
      try {
        // A window in which a wrong notice would arrive (the quiet is what is checked).
        await new Promise((res) => setTimeout(res, 50));
        assert.equal(notedAt, 0, 'no notice while held');
        const t0 = performance.now();
        await a.release((r as { record: LeaseRecord }).record);
        // The callback fires only on a release, and the bound is far below the TTL: a hang check, not a speed goal.
        await waitUntil(() => notedAt > 0, 8000, 'release notice', 1);
        console.log(`${kind}: release noticed after ${(notedAt - t0).toFixed(1)} ms (goal < ${watchGoalMs} ms)`);
        const got = await b.tryAcquire(claimFor(botId, 'B'), 10_000);
        assert.equal(got.acquired, true);
      } finally {
        await unwatch();
      }
    }));
}
