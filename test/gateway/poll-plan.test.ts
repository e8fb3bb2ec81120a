// planPoll's outcome table, row by row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaseCoversRaisedPoll, planPoll, type PollSituation, type PollStep } from '../../src/gateway/poll-plan.js';
import { Elector } from '../../src/lease/elector.js';
import { MemoryBackend } from '../lease/memory-backend.js';

const base: PollSituation = {
  mayForward: true,
  remainingMs: 30_000,
  timeoutS: 30,
  upstreamCalls: 0,
  backoffMs: 0,
  msLeft: 120_000,
  sameOffsetRecently: false,
  leaseMarginMs: 1000,
  shortPollHoldMs: 1000,
  holdWhenStandbyMs: Infinity,
};

test('planPoll outcome table', () => {
  const rows: [string, Partial<PollSituation>, PollStep][] = [
    ['leader, plenty of lease: forward the bot timeout', {}, { kind: 'forward', timeoutS: 30 }],
    ['forward rounds the time left up', { remainingMs: 29_400 }, { kind: 'forward', timeoutS: 30 }],
    ['bot timeout above 50 is capped (already clamped on parse, capped again here)', { timeoutS: 60, remainingMs: 60_000 }, { kind: 'forward', timeoutS: 50 }],
    ['lease caps the long poll: ends ≥ margin before expiry', { msLeft: 4500 }, { kind: 'forward', timeoutS: 3 }],
    ['standby: hold for the time left', { mayForward: false }, { kind: 'hold-for-leader', ms: 30_000 }],
    ['standby, short poll: hold shortPollHoldMs', { mayForward: false, timeoutS: 0, remainingMs: 0 }, { kind: 'hold-for-leader', ms: 1000 }],
    ['standby, capped by holdWhenStandbyMs', { mayForward: false, holdWhenStandbyMs: 200 }, { kind: 'hold-for-leader', ms: 200 }],
    ['backing off, short poll', { backoffMs: 5000, timeoutS: 0, remainingMs: 0 }, { kind: 'wait', ms: 1000, thenEmpty: true }],
    ['backing off past the time left', { backoffMs: 40_000 }, { kind: 'wait', ms: 30_000, thenEmpty: true }],
    ['backing off, then retry within the poll', { backoffMs: 2000 }, { kind: 'wait', ms: 2000, thenEmpty: false }],
    ['short poll already forwarded: [] now', { timeoutS: 0, remainingMs: 0, upstreamCalls: 1 }, { kind: 'wait', ms: 0, thenEmpty: true }],
    ['short poll, first time: forward timeout 0', { timeoutS: 0, remainingMs: 0 }, { kind: 'forward', timeoutS: 0 }],
    ['lease too short for a 1 s poll, same offset as just sent: wait for a renewal', { msLeft: 1500, sameOffsetRecently: true }, { kind: 'wait', ms: 250, thenEmpty: false }],
    ['lease too short for a 1 s poll, new offset: forward timeout 0 (confirms now)', { msLeft: 1500 }, { kind: 'forward', timeoutS: 0 }],
    ['polling stopped, short poll: [] at once', { mayForward: false, pollingStopped: true, timeoutS: 0, remainingMs: 0 }, { kind: 'hold-for-leader', ms: 0 }],
    ['lease gone entirely, poll time left: wait', { msLeft: 0 }, { kind: 'wait', ms: 250, thenEmpty: false }],
    ['lease too short and nothing left: short hold then []', { msLeft: 500, timeoutS: 0, remainingMs: 0 }, { kind: 'wait', ms: 1000, thenEmpty: true }],
    ['short poll the server would raise to 3 s, lease 3.5 s: wait', { timeoutS: 0, remainingMs: 0, sameOffsetRecently: true, msLeft: 3500 }, { kind: 'wait', ms: 1000, thenEmpty: true }],
    ['short poll the server would raise to 3 s, lease plenty: forward', { timeoutS: 0, remainingMs: 0, sameOffsetRecently: true }, { kind: 'forward', timeoutS: 0 }],
    ['2 s poll raised to 3 s does not fit 3.9 s of lease', { timeoutS: 2, remainingMs: 2000, sameOffsetRecently: true, msLeft: 3900 }, { kind: 'wait', ms: 250, thenEmpty: false }],
    ['less than a second of the poll left after an empty answer: forward 1 s', { remainingMs: 400, upstreamCalls: 1 }, { kind: 'forward', timeoutS: 1 }],
  ];
  for (const [name, change, want] of rows) assert.deepEqual(planPoll({ ...base, ...change }), want, name);
});

test('leaseCoversRaisedPoll with the elector\'s own timings: 9 s and more cover Telegram\'s 3 s raise, 8 s and less do not', () => {
  const covers = (ttlMs: number): boolean => {
    const e = new Elector({ backend: new MemoryBackend(), claim: { botId: 1, instanceId: 'i', host: 'h', pid: 1 }, ttlMs });
    return leaseCoversRaisedPoll({ ttlMs: e.ttlMs, safetyMarginMs: e.safetyMarginMs, renewEveryMs: e.renewEveryMs, leaseMarginMs: Math.min(1000, Math.round(ttlMs / 10)) });
  };
  assert.deepEqual([3000, 5000, 8000, 9000, 10_000, 30_000].map(covers), [false, false, false, true, true, true]);
});
