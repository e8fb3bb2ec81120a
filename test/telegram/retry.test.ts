// The retry policy as a table (pure function) and the loop with fake time: what is retried, how long, when it gives up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiUnreachableError, TelegramApiError } from '../../src/telegram/errors.js';
import { backoffMs, retryDelayMs, withRetry } from '../../src/telegram/retry.js';

const unreachable = new ApiUnreachableError('getMe', 'ECONNREFUSED');
const refused = (code: number, retryAfter?: number): TelegramApiError =>
  new TelegramApiError('getMe', code, code, 'x', retryAfter === undefined ? {} : { retry_after: retryAfter });

test('retryDelayMs outcome table', () => {
  const noJitter = { random: () => 1 };
  const rows: [string, unknown, number, number | undefined][] = [
    ['unreachable, attempt 1', unreachable, 1, 250],
    ['unreachable, attempt 2', unreachable, 2, 500],
    ['unreachable, attempt 10 (capped)', unreachable, 10, 10_000],
    ['429 retry_after 3', refused(429, 3), 1, 3000],
    ['429 retry_after 120 (not capped)', refused(429, 120), 4, 120_000],
    ['429 without retry_after', refused(429), 3, 1000],
    ['500', refused(500), 1, 250],
    ['502', refused(502), 2, 500],
    ['401', refused(401), 1, undefined],
    ['409', refused(409), 1, undefined],
    ['400', refused(400), 1, undefined],
    ['a plain Error', new Error('bug'), 1, undefined],
  ];
  for (const [name, err, attempt, want] of rows) assert.equal(retryDelayMs(err, attempt, noJitter), want, name);
  // Jitter stays within [half, full].
  assert.equal(retryDelayMs(unreachable, 3, { random: () => 0 }), 500);
});

/** Fake time: sleep advances the clock instantly. */
function fakeTime(): { now(): number; sleep(ms: number): Promise<void>; waits: number[] } {
  let t = 0;
  const waits: number[] = [];
  return {
    now: () => t,
    sleep: (ms) => {
      waits.push(ms);
      t += ms;
      return Promise.resolve();
    },
    waits,
  };
}

test('withRetry: retries until success, reporting each retry', async () => {
  const clock = fakeTime();
  const seen: [number, number][] = [];
  let calls = 0;
  const v = await withRetry(
    async (attempt) => {
      calls++;
      if (attempt < 3) throw attempt === 1 ? unreachable : refused(429, 2);
      return 'ok';
    },
    { ...clock, random: () => 1, onRetry: (_e, attempt, ms) => seen.push([attempt, ms]) },
  );
  assert.equal(v, 'ok');
  assert.equal(calls, 3);
  assert.deepEqual(seen, [
    [1, 250],
    [2, 2000],
  ]);
  assert.deepEqual(clock.waits, [250, 2000]);
});

test('withRetry: a refusal that will not change is thrown at once', async () => {
  const clock = fakeTime();
  let calls = 0;
  await assert.rejects(
    withRetry(
      async () => {
        calls++;
        throw refused(401);
      },
      clock,
    ),
    TelegramApiError,
  );
  assert.equal(calls, 1);
  assert.deepEqual(clock.waits, []);
});

test('withRetry: gives up with the last error when the next wait would pass maxMs', async () => {
  const clock = fakeTime();
  let calls = 0;
  await assert.rejects(
    withRetry(
      async () => {
        calls++;
        throw unreachable;
      },
      { ...clock, random: () => 1, maxMs: 5000 },
    ),
    ApiUnreachableError,
  );
  // 250 + 500 + 1000 + 2000 = 3750; the next 4000 would pass 5000.
  assert.deepEqual(clock.waits, [250, 500, 1000, 2000]);
  assert.equal(calls, 5);
});

test('withRetry: an abort during the wait rejects with the reason (real sleep)', async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('stop now')), 30);
  const t0 = Date.now();
  await assert.rejects(
    withRetry(
      async () => {
        throw refused(429, 30);
      },
      { signal: ac.signal },
    ),
    /stop now/,
  );
  // The bound only tells "ended by the abort" from "sat out the 30 s retry_after"; it is no speed goal.
  assert.ok(Date.now() - t0 < 20_000, `rejected after ${Date.now() - t0} ms: the abort cut the 30 s wait short`);
});

test('backoffMs: doubling, capped; jitter in [half, full], none with jitter: false', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((a) => backoffMs(a, { capMs: 5000, jitter: false })), [250, 500, 1000, 2000, 4000, 5000, 5000]);
  assert.equal(backoffMs(3, { random: () => 0 }), 500);
  assert.equal(backoffMs(3, { random: () => 0.5 }), 750);
  assert.equal(backoffMs(3, { random: () => 0, jitter: false }), 1000);
});

test('withRetry: a policy of its own (delayMs), a shared deadline and the error onGiveUp makes', async () => {
  const clock = fakeTime();
  const down = new Error('lease backend down');
  const policy = (err: unknown, attempt: number): number | undefined => (err === down ? backoffMs(attempt, { jitter: false }) : undefined);
  const gaveUp = new Error('gave up');
  let calls = 0;
  await assert.rejects(
    withRetry(
      async () => {
        calls++;
        throw down;
      },
      { ...clock, delayMs: policy, deadlineMs: 1000, onGiveUp: (err) => (assert.equal(err, down), gaveUp) },
    ),
    (err) => err === gaveUp,
  );
  // 250 + 500 = 750; the next 1000 would pass the deadline at 1000.
  assert.deepEqual(clock.waits, [250, 500]);
  assert.equal(calls, 3);
  // What the policy does not retry is thrown as it is, at once, without onGiveUp.
  const bug = new Error('bug');
  await assert.rejects(
    withRetry(
      async () => {
        throw bug;
      },
      { ...fakeTime(), delayMs: policy, onGiveUp: () => gaveUp },
    ),
    (err) => err === bug,
  );
});
