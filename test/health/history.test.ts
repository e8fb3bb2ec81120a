// History: the 15-minute ring of samples behind the status page's charts (fake clock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { History } from '../../src/health/history.js';

function clock(start = 1_000_000): { now: () => number; advance(ms: number): void; set(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms), set: (ms) => (t = ms) };
}

test('samples are taken at most once per interval', () => {
  const c = clock();
  const h = new History({ now: c.now });
  assert.equal(h.maybeRecord({ memoryBytes: 10, updatesForwarded: 0 }), true);
  c.advance(9_999);
  assert.equal(h.maybeRecord({ memoryBytes: 11, updatesForwarded: 0 }), false);
  c.advance(1);
  assert.equal(h.maybeRecord({ memoryBytes: 12, updatesForwarded: 0 }), true);
  assert.deepEqual(h.list().map((s) => s.memoryBytes), [10, 12]);
});

test('the ring keeps 15 minutes and no more, bounded in size', () => {
  const c = clock();
  const h = new History({ now: c.now });
  for (let i = 0; i < 500; i++) {
    h.record({ memoryBytes: i, updatesForwarded: i });
    c.advance(10_000);
  }
  c.advance(-10_000);
  const list = h.list();
  assert.ok(list.length <= 91, `kept ${list.length}`);
  assert.equal(list.at(-1)?.memoryBytes, 499);
  assert.ok(list[0]!.at >= c.now() - 900_000, 'nothing older than the window');
  assert.equal(list.length, 91);
  // Later, with no new samples, old ones fall out of the view too.
  c.advance(600_000);
  assert.equal(h.list().length, 31);
});

test('updates per minute from the running total; a reset counter is not a negative rate', () => {
  const c = clock();
  const h = new History({ now: c.now });
  h.record({ memoryBytes: null, updatesForwarded: 100 });
  c.advance(10_000);
  h.record({ memoryBytes: null, updatesForwarded: 110 }); // 10 in 10 s = 60/min
  c.advance(20_000);
  h.record({ memoryBytes: null, updatesForwarded: 110 }); // 0
  c.advance(10_000);
  h.record({ memoryBytes: null, updatesForwarded: 3 }); // reset: 3 in 10 s = 18/min
  const v = h.view();
  assert.deepEqual(v.updatesPerMinute.map(([, r]) => r), [60, 0, 18]);
  assert.equal(v.updatesPerMinute[0]![0], 1_010_000);
  assert.equal(v.memory.length, 4);
  assert.equal(v.windowMs, 900_000);
});

test('memory: null (no bot) and nonsense readings are gaps, not zeros', () => {
  const c = clock();
  const h = new History({ now: c.now, intervalMs: 1_000, windowMs: 10_000 });
  for (const m of [5_000_000, null, Number.NaN, -1, 7_000_000]) {
    h.record({ memoryBytes: m, updatesForwarded: 0 });
    c.advance(1_000);
  }
  assert.deepEqual(h.view().memory.map(([, b]) => b), [5_000_000, null, null, null, 7_000_000]);
});

test('version grows with each sample; a clock stepped back keeps the samples in order', () => {
  const c = clock(50_000);
  const h = new History({ now: c.now, intervalMs: 1_000, windowMs: 60_000 });
  const v0 = h.view().version;
  h.record({ memoryBytes: 1, updatesForwarded: 0 });
  c.advance(1_000);
  h.record({ memoryBytes: 2, updatesForwarded: 0 });
  c.advance(1_000);
  h.record({ memoryBytes: 3, updatesForwarded: 0 });
  assert.ok(h.view().version > v0);
  c.set(50_500);
  h.record({ memoryBytes: 9, updatesForwarded: 0 });
  const ats = h.list().map((s) => s.at);
  assert.deepEqual(ats, [50_000, 50_500]);
  assert.deepEqual([...ats].sort((a, b) => a - b), ats);
});

test('options are checked', () => {
  assert.throws(() => new History({ intervalMs: 0 }), /intervalMs/);
  assert.throws(() => new History({ intervalMs: 10_000, windowMs: 5_000 }), /windowMs/);
});

test('the view names the newest sample (the page draws on from it to the live reading)', () => {
  const c = clock();
  const h = new History({ now: c.now });
  assert.equal(h.view().last, null);
  h.record({ memoryBytes: 1, updatesForwarded: 5 });
  c.advance(10_000);
  h.record({ memoryBytes: 2, updatesForwarded: 9 });
  assert.deepEqual(h.view().last, { at: 1_010_000, memoryBytes: 2, updatesForwarded: 9 });
});
