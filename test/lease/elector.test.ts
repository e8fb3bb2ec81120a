// Elector logic against an in-memory backend: monotonic deadline, guard order, step-down, errors, option checks.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Elector, type ElectorChange } from '../../src/lease/index.js';
import { Logger } from '../../src/log.js';
import { BotwardenError } from '../../src/errors.js';
import { MemoryBackend } from './memory-backend.js';
import { claimFor, waitUntil } from './helpers.js';

const claim = (id: string) => claimFor(42, id);

// Every elector a test creates is stopped after it, pass or fail (no loop left running).
const started: Elector[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.stop()));
});
function track(e: Elector): Elector {
  started.push(e);
  return e;
}

test('elector: leads at once on a free lease; isLeader, msLeft, fence, holder, events', async () => {
  const backend = new MemoryBackend();
  const e = track(new Elector({ backend, claim: claim('A'), ttlMs: 1000 }));
  const events: ElectorChange[] = [];
  e.onChange((ev) => events.push(ev));
  assert.equal(e.role(), 'stopped');
  assert.equal(e.isLeader(), false);
  e.start();
  // msLeft read in the same instant as isLeader() (a stall after it could use up the 1 s TTL).
  let msLeft = 0;
  await waitUntil(() => {
    msLeft = e.msLeft();
    return e.isLeader();
  }, 10_000, 'leader');
  assert.equal(e.role(), 'leader');
  assert.equal(e.fence(), 1);
  assert.ok(msLeft > 0 && msLeft <= 800, `msLeft ${msLeft} ≤ ttl − margin`);
  assert.equal(e.holder()?.instanceId, 'A');
  // Renewals keep it.
  await waitUntil(() => backend.calls.renew >= 2, 10_000, 'two renewals');
  assert.equal(e.isLeader(), true);
  await e.stop();
  await e.stop();
  assert.equal(e.role(), 'stopped');
  assert.equal(e.msLeft(), 0);
  assert.equal(e.fence(), undefined);
  assert.equal(await backend.holder(), null, 'released on stop');
  assert.deepEqual(events.map((ev) => ev.role), ['leader', 'standby']);
  assert.equal(events[1]?.reason, 'stopping');
});

test('elector: a renew that never answers: isLeader() turns false at the deadline and onLosing runs before the TTL', async () => {
  const backend = new MemoryBackend();
  const e = track(new Elector({ backend, claim: claim('A'), ttlMs: 600, safetyMarginMs: 150 }));
  let acquiredAt = 0;
  let losingAt = 0;
  let losingReason = '';
  let leaderDuringLosing: boolean | undefined;
  e.setGuard({
    beforeLeading: async () => {
      acquiredAt ||= performance.now();
    },
    onLosing: async (reason) => {
      if (losingAt) return;
      losingAt = performance.now();
      losingReason = reason;
      leaderDuringLosing = e.isLeader();
    },
  });
  e.start();
  await waitUntil(() => e.isLeader(), 10_000, 'leader');
  backend.hangRenew = true;
  await waitUntil(() => losingAt > 0, 10_000, 'onLosing');
  assert.equal(leaderDuringLosing, false, 'isLeader() is false when onLosing runs');
  const after = losingAt - acquiredAt;
  // When the timer fires on a busy machine is not judged (isLeader() is false from the deadline on, whatever the
  // timers do: the test above); that it is not early is.
  assert.ok(after >= 600 - 150 - 50, `not much before the deadline (${after.toFixed(0)} ms)`);
  assert.match(losingReason, /not renewed within 450 ms/);
});

test('elector: a blocked event loop (like SIGSTOP) → isLeader() false on the very first check after it', async () => {
  const backend = new MemoryBackend();
  const e = track(new Elector({ backend, claim: claim('A'), ttlMs: 300, safetyMarginMs: 60 }));
  e.start();
  await waitUntil(() => e.isLeader(), 10_000, 'leader');
  const until = performance.now() + 400; // longer than the TTL; no timer can run meanwhile
  while (performance.now() < until) {
    /* busy */
  }
  assert.equal(e.isLeader(), false, 'judged on the monotonic clock, not by a timer');
  assert.equal(e.msLeft(), 0);
  assert.equal(e.fence(), undefined);
  // It then steps down and (the lease being free) campaigns again: a new term with a new fence.
  await waitUntil(() => e.isLeader(), 10_000, 'leader again');
  assert.equal(e.fence(), 2);
  await e.stop();
});

test('elector: renew says "not yours" → steps down at once; the thief is reported as holder', async () => {
  const backend = new MemoryBackend();
  const e = track(new Elector({ backend, claim: claim('A'), ttlMs: 900 }));
  const losing: string[] = [];
  e.setGuard({ onLosing: async (r) => void losing.push(r) });
  e.start();
  await waitUntil(() => e.isLeader(), 10_000, 'leader');
  backend.steal();
  await waitUntil(() => !e.isLeader(), 10_000, 'stepped down on the next renew');
  assert.match(losing[0] ?? '', /lease lost/);
  await waitUntil(() => e.holder()?.instanceId === 'thief', 10_000, 'thief seen');
  assert.equal(e.role(), 'standby');
  await e.stop();
  assert.equal(losing.length, 1, 'stop() while standby does not call onLosing again');
});

test('elector: beforeLeading runs before isLeader() is true; if it fails the lease is given back', async () => {
  const backend = new MemoryBackend();
  const e = track(new Elector({ backend, claim: claim('A'), ttlMs: 1000, holdOffMs: 200 }));
  let seenDuring: boolean | undefined;
  let fail = true;
  e.setGuard({
    beforeLeading: async () => {
      await new Promise((r) => setTimeout(r, 50)); // a preparation that takes a while (the scenario)
      seenDuring = e.isLeader();
      if (fail) {
        fail = false;
        throw new Error('cannot start the bot');
      }
    },
    onLosing: async () => undefined,
  });
  e.start();
  await waitUntil(() => backend.calls.release === 1, 10_000, 'lease given back');
  assert.equal(seenDuring, false);
  assert.equal(e.isLeader(), false);
  await waitUntil(() => e.isLeader(), 10_000, 'leader on the second try (after the hold-off)');
  assert.equal(e.fence(), 2);
  await e.stop();
});

test('elector: stepDown({campaign:false}) releases and stays passive; resume() campaigns again; release() hands over', async () => {
  const backend = new MemoryBackend();
  const a = track(new Elector({ backend, claim: claim('A'), ttlMs: 1000 }));
  const order: string[] = [];
  a.setGuard({ onLosing: async () => void order.push(`onLosing(released=${backend.calls.release})`) });
  a.start();
  await waitUntil(() => a.isLeader(), 10_000, 'A leads');
  await a.stepDown({ campaign: false });
  order.push(`after(released=${backend.calls.release})`);
  assert.deepEqual(order, ['onLosing(released=0)', 'after(released=1)'], 'onLosing runs before the release');
  assert.equal(a.role(), 'standby');
  // A window of more than one retry period (ttl/4) in which an active elector would take the free lease.
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(a.isLeader(), false, 'passive: does not take the free lease');
  a.resume();
  await waitUntil(() => a.isLeader(), 10_000, 'A leads again');

  // B's own retry comes only every ttl/4 = 15 s: leading before that means the release notice woke it.
  const b = track(new Elector({ backend, claim: claim('B'), ttlMs: 60_000 }));
  b.start();
  await waitUntil(() => b.role() === 'standby', 20_000, 'B standby');
  await a.release();
  await waitUntil(() => b.isLeader(), 10_000, 'B leads after A.release() (on the release notice)');
  // A window longer than A's hold-off in which A must not take the lease back.
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(a.isLeader(), false);
  assert.equal(b.isLeader(), true, 'A held off, B kept it');
  await Promise.all([a.stop(), b.stop()]);
});

test('elector: backend errors while standby are logged once, retried with backoff, and it leads when the backend returns', async () => {
  const backend = new MemoryBackend();
  backend.failing = true;
  const lines: string[] = [];
  const logger = new Logger({ level: 'debug', sink: { write: (l: string) => lines.push(l) } });
  const e = track(new Elector({ backend, claim: claim('A'), ttlMs: 1000, logger }));
  const t0 = performance.now();
  e.start();
  await waitUntil(() => backend.calls.acquire >= 3, 10_000, 'three attempts');
  // Backoff: a busy machine makes fewer attempts, never more, so an upper bound on the rate holds under load.
  const attempts = backend.calls.acquire;
  const windows = Math.ceil((performance.now() - t0) / 500);
  assert.ok(attempts <= 12 * windows, `with backoff (${attempts} attempts in ${windows} × 500 ms)`);
  assert.equal(lines.filter((l) => l.includes('WARN')).length, 1, lines.join(''));
  backend.failing = false;
  await waitUntil(() => e.isLeader(), 10_000, 'leader after recovery');
  assert.ok(lines.some((l) => l.includes('answers again')));
  await e.stop();
});

test('elector: options are checked at the edge with usage errors', () => {
  const backend = new MemoryBackend();
  const bad = (opts: Record<string, number>, re: RegExp): void =>
    assert.throws(
      () => new Elector({ backend, claim: claim('A'), ...opts }),
      (err: unknown) => err instanceof BotwardenError && err.code === 'USAGE' && re.test(err.message),
    );
  bad({ ttlMs: 50 }, /--lease-ttl/);
  bad({ ttlMs: 1000.5 }, /--lease-ttl/);
  bad({ ttlMs: 1000, safetyMarginMs: 1000 }, /safetyMarginMs/);
  bad({ ttlMs: 1000, renewEveryMs: 900 }, /renewEveryMs/);
  bad({ ttlMs: 1000, retryMs: 0 }, /retryMs/);
  const e = track(new Elector({ backend, claim: claim('A') }));
  assert.equal(e.ttlMs, 10_000);
  assert.equal(e.renewEveryMs, 3333);
  assert.equal(e.safetyMarginMs, 2000);
  assert.equal(e.campaignEveryMs, 2000);
});
