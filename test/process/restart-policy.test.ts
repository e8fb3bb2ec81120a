// Restart policy: the outcome table row by row, backoff shape and reset, crash-loop window, with fake time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_RESTART_POLICY,
  EMPTY_RESTART_HISTORY,
  backoffDelayMs,
  decideRestart,
  resolveRestartPolicyConfig,
  type RestartHistory,
  type RestartInput,
} from '../../src/process/restart-policy.js';
import type { ExitInfo } from '../../src/process/spawn.js';

const crash: ExitInfo = { code: 1, signal: null, reason: 'exited' };
const clean: ExitInfo = { code: 0, signal: null, reason: 'exited' };
const killed: ExitInfo = { code: null, signal: 'SIGKILL', reason: 'signalled' };
const spawnFailed: ExitInfo = { code: null, signal: null, reason: 'spawn-failed', error: 'command not found: nope' };

/** No jitter, fixed numbers: the table is exact. */
const cfg = resolveRestartPolicyConfig({ minUptimeMs: 5_000, baseDelayMs: 100, maxDelayMs: 1_000, jitter: 0, crashLoop: { maxRestarts: 10, windowMs: 60_000 } });

function input(over: Partial<RestartInput>): RestartInput {
  return { policy: 'always', exit: crash, history: EMPTY_RESTART_HISTORY, uptimeMs: 50, nowMs: 1_000_000, stopping: false, ...over };
}

test('outcome table: one row per case', () => {
  const rows: Array<[string, Partial<RestartInput>, string]> = [
    ['stopping wins over everything', { stopping: true }, 'stop'],
    ['never, crash', { policy: 'never' }, 'stop'],
    ['never, exit 0', { policy: 'never', exit: clean }, 'stop'],
    ['on-failure, exit 0', { policy: 'on-failure', exit: clean }, 'stop'],
    ['on-failure, exit 1', { policy: 'on-failure' }, 'restart'],
    ['on-failure, killed by a signal', { policy: 'on-failure', exit: killed }, 'restart'],
    ['on-failure, respawn could not start', { policy: 'on-failure', exit: spawnFailed }, 'restart'],
    ['always, exit 0', { policy: 'always', exit: clean }, 'restart'],
    ['always, crash', { policy: 'always' }, 'restart'],
  ];
  for (const [name, over, action] of rows) assert.equal(decideRestart(input(over), cfg).action, action, name);
});

test('first restart after a crash is immediate, even for a crash at start', () => {
  const d = decideRestart(input({ uptimeMs: 3 }), cfg);
  assert.deepEqual(d.action === 'restart' && d.delayMs, 0);
  assert.equal(d.history.streak, 1);
});

test('consecutive short runs back off exponentially: 0, 100, 200, 400, 800, then capped at maxDelayMs', () => {
  let history: RestartHistory = EMPTY_RESTART_HISTORY;
  let now = 0;
  const delays: number[] = [];
  for (let i = 0; i < 7; i++) {
    const d = decideRestart(input({ history, nowMs: now, uptimeMs: 20 }), cfg);
    assert.equal(d.action, 'restart');
    if (d.action === 'restart') delays.push(d.delayMs);
    history = d.history;
    now += 20 + (d.action === 'restart' ? d.delayMs : 0);
  }
  assert.deepEqual(delays, [0, 100, 200, 400, 800, 1_000, 1_000]);
});

test('a run of at least minUptimeMs resets the backoff: the next restart is immediate again', () => {
  let history: RestartHistory = { restartTimesMs: [], streak: 4 };
  const long = decideRestart(input({ history, uptimeMs: 5_000 }), cfg);
  assert.equal(long.action === 'restart' && long.delayMs, 0);
  history = long.history;
  const next = decideRestart(input({ history, uptimeMs: 10, nowMs: 1_000_010 }), cfg);
  assert.equal(next.action === 'restart' && next.delayMs, 100, 'second crash of the new streak waits baseDelayMs');
  const justShort = decideRestart(input({ history: { restartTimesMs: [], streak: 4 }, uptimeMs: 4_999 }), cfg);
  assert.equal(justShort.action === 'restart' && justShort.delayMs, 800);
});

test('crash loop: more than maxRestarts within windowMs; older restarts fall out of the window', () => {
  const within = Array.from({ length: 10 }, (_, i) => 1_000_000 - 50_000 + i * 1_000);
  const d = decideRestart(input({ history: { restartTimesMs: within, streak: 3 } }), cfg);
  assert.equal(d.action, 'crash-loop');
  if (d.action === 'crash-loop') {
    assert.match(d.message, /exited with code 1 11 times within 60 s \(limit 10\)/);
    assert.match(d.message, /not restarting/);
  }
  // Exactly maxRestarts (9 earlier + this one) is still allowed.
  assert.equal(decideRestart(input({ history: { restartTimesMs: within.slice(1), streak: 3 } }), cfg).action, 'restart');
  // The same ten restarts, but more than windowMs ago: allowed, and pruned from the stored history.
  const old = within.map((t) => t - 60_000);
  const ok = decideRestart(input({ history: { restartTimesMs: old, streak: 0 } }), cfg);
  assert.equal(ok.action, 'restart');
  assert.deepEqual(ok.history.restartTimesMs, [1_000_000]);
});

test('jitter spreads a non-zero delay by ±jitter, never the immediate first restart', () => {
  const at = (r: number, streak: number): number => backoffDelayMs(streak, { baseDelayMs: 100, maxDelayMs: 30_000, jitter: 0.2, random: () => r });
  assert.equal(at(0, 0), 0);
  assert.equal(at(0.999, 0), 0);
  assert.equal(at(0, 3), 320);
  assert.equal(at(0.5, 3), 400);
  assert.equal(at(1, 3), 480);
  assert.equal(at(1, 30), 30_000, 'capped even with jitter');
  const real = decideRestart(input({ history: { restartTimesMs: [], streak: 2 } }), { ...DEFAULT_RESTART_POLICY, random: () => 0 });
  assert.equal(real.action === 'restart' && real.delayMs, 160);
});

test('defaults: immediate, then 100 ms doubling to 30 s; crash loop > 10 in 60 s; reset after 5 s', () => {
  const d = resolveRestartPolicyConfig();
  assert.equal(d.minUptimeMs, 5_000);
  assert.equal(d.baseDelayMs, 100);
  assert.equal(d.maxDelayMs, 30_000);
  assert.equal(d.jitter, 0.2);
  assert.deepEqual(d.crashLoop, { maxRestarts: 10, windowMs: 60_000 });
});

test('config is validated once, naming the field', () => {
  assert.throws(() => resolveRestartPolicyConfig({ baseDelayMs: -1 }), /baseDelayMs: expected a number ≥ 0, got -1/);
  assert.throws(() => resolveRestartPolicyConfig({ jitter: 2 }), /jitter: expected a fraction between 0 and 1, got 2/);
  assert.throws(() => resolveRestartPolicyConfig({ crashLoop: { maxRestarts: 0 } }), /maxRestarts: expected an integer ≥ 1, got 0/);
  assert.throws(() => resolveRestartPolicyConfig({ crashLoop: { windowMs: 0 } }), /windowMs: expected a number > 0/);
});

test('the decision never mutates the history it was given', () => {
  const history: RestartHistory = Object.freeze({ restartTimesMs: Object.freeze([1, 2, 3]) as readonly number[], streak: 2 });
  const d = decideRestart(input({ history }), cfg);
  assert.deepEqual(history, { restartTimesMs: [1, 2, 3], streak: 2 });
  assert.notEqual(d.history, history);
});
