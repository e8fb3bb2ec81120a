// When the bot exits: restart (after how long), stop, or declare a crash loop. A pure function; no timers, no I/O.
import { usageError } from '../errors.js';
import type { ExitInfo } from './spawn.js';

/** `--restart`: `always` restarts after any exit, `on-failure` not after exit code 0, `never` never. */
export type RestartPolicyName = 'always' | 'on-failure' | 'never';

/** What the policy remembers between exits. Start with `EMPTY_RESTART_HISTORY`; store the `history` a decision returns. */
export interface RestartHistory {
  /** When recent restarts were decided (the caller's clock, ms), oldest first; only the crash-loop window is kept. */
  restartTimesMs: readonly number[];
  /** Exits in the current streak of short runs (each lived < `minUptimeMs`), not counting the one being decided. */
  streak: number;
}

export const EMPTY_RESTART_HISTORY: RestartHistory = Object.freeze({ restartTimesMs: Object.freeze([]) as readonly number[], streak: 0 });

/** Tuning for `decideRestart`. */
export interface RestartPolicyConfig {
  /** A child that ran at least this long starts a new streak (next restart immediate), ms. Default 5000. */
  minUptimeMs: number;
  /** Delay before the second restart in a streak; doubles each time after that, ms. Default 100. */
  baseDelayMs: number;
  /** Largest delay between restarts, ms. Default 30000. */
  maxDelayMs: number;
  /** Random spread applied to a non-zero delay, as a fraction (0.2 = ±20 %). Default 0.2. */
  jitter: number;
  /** More than `maxRestarts` restarts within `windowMs` is a crash loop. Defaults 10 and 60000 ms. */
  crashLoop: { maxRestarts: number; windowMs: number };
  /** Random source in [0, 1). Default `Math.random`; tests pass a fixed one. */
  random: () => number;
}

export const DEFAULT_RESTART_POLICY: Readonly<RestartPolicyConfig> = Object.freeze({
  minUptimeMs: 5_000,
  baseDelayMs: 100,
  maxDelayMs: 30_000,
  jitter: 0.2,
  crashLoop: Object.freeze({ maxRestarts: 10, windowMs: 60_000 }),
  random: Math.random,
});

/** What happened, as the policy needs to know it. */
export interface RestartInput {
  policy: RestartPolicyName;
  exit: ExitInfo;
  history: RestartHistory;
  /** How long the child ran, ms. */
  uptimeMs: number;
  /** Now, on the same clock as `history.restartTimesMs`, ms. */
  nowMs: number;
  /** botwarden is stopping the bot (stop(), shutdown): never restart. */
  stopping: boolean;
}

/** The outcome; every variant carries the history to store for the next decision. */
export type RestartDecision =
  | { action: 'restart'; delayMs: number; history: RestartHistory }
  | { action: 'stop'; reason: string; history: RestartHistory }
  | { action: 'crash-loop'; message: string; history: RestartHistory };

/**
 * Decide what to do after an exit. Outcome table, first matching row wins:
 *
 * | condition                                               | action                                             |
 * |---------------------------------------------------------|----------------------------------------------------|
 * | `stopping`                                              | stop ("botwarden is stopping the bot")             |
 * | policy `never`                                          | stop                                               |
 * | policy `on-failure` and exited with code 0              | stop                                               |
 * | restarts in the last `windowMs`, this one included, > `maxRestarts` | crash-loop (message names count, window, last exit) |
 * | ran ≥ `minUptimeMs`, or first exit of a streak          | restart after 0 ms (streak restarts at 1)          |
 * | n-th exit of a streak of short runs (n ≥ 2)             | restart after min(maxDelayMs, baseDelayMs·2^(n−2)) ± jitter |
 *
 * A spawn failure on a restart counts like a crash. Signals (OOM kill, an outside SIGTERM) are failures.
 */
export function decideRestart(input: RestartInput, config: RestartPolicyConfig = DEFAULT_RESTART_POLICY): RestartDecision {
  const { history } = input;
  if (input.stopping) return { action: 'stop', reason: 'botwarden is stopping the bot', history };
  if (input.policy === 'never') return { action: 'stop', reason: `the bot ${describeExit(input.exit)} and --restart is never`, history };
  if (input.policy === 'on-failure' && input.exit.reason === 'exited' && input.exit.code === 0) {
    return { action: 'stop', reason: 'the bot exited with code 0 and --restart is on-failure', history };
  }

  const { maxRestarts, windowMs } = config.crashLoop;
  const recent = [...history.restartTimesMs.filter((t) => t > input.nowMs - windowMs), input.nowMs];
  const streak = input.uptimeMs >= config.minUptimeMs ? 0 : history.streak;
  const next: RestartHistory = { restartTimesMs: recent, streak: streak + 1 };
  if (recent.length > maxRestarts) {
    const message =
      `the bot ${describeExit(input.exit)} ${recent.length} times within ${Math.round(windowMs / 1000)} s ` +
      `(limit ${maxRestarts}); it last ran ${Math.round(input.uptimeMs)} ms. Crash loop: not restarting it again`;
    return { action: 'crash-loop', message, history: next };
  }
  return { action: 'restart', delayMs: backoffDelayMs(streak, config), history: next };
}

/** Delay before restart number `streak + 1` of a streak: 0, then base, 2·base, 4·base … capped, with jitter. */
export function backoffDelayMs(streak: number, config: Pick<RestartPolicyConfig, 'baseDelayMs' | 'maxDelayMs' | 'jitter' | 'random'>): number {
  if (streak <= 0) return 0;
  const raw = Math.min(config.maxDelayMs, config.baseDelayMs * 2 ** Math.min(streak - 1, 40));
  const spread = raw * config.jitter * (2 * config.random() - 1);
  return Math.max(0, Math.min(config.maxDelayMs, Math.round(raw + spread)));
}

/** "exited with code 1", "was killed by SIGKILL", "could not be started (command not found: x)". */
export function describeExit(exit: ExitInfo): string {
  if (exit.reason === 'spawn-failed') return `could not be started (${exit.error ?? 'unknown error'})`;
  if (exit.reason === 'signalled') return `was killed by ${exit.signal ?? 'a signal'}`;
  return `exited with code ${exit.code ?? 'unknown'}`;
}

/** Fill defaults and check every field once (habit 3): "option: expected …, got …". */
export function resolveRestartPolicyConfig(partial: Partial<Omit<RestartPolicyConfig, 'crashLoop'>> & { crashLoop?: Partial<RestartPolicyConfig['crashLoop']> } = {}): RestartPolicyConfig {
  const d = DEFAULT_RESTART_POLICY;
  const cfg: RestartPolicyConfig = {
    minUptimeMs: partial.minUptimeMs ?? d.minUptimeMs,
    baseDelayMs: partial.baseDelayMs ?? d.baseDelayMs,
    maxDelayMs: partial.maxDelayMs ?? d.maxDelayMs,
    jitter: partial.jitter ?? d.jitter,
    crashLoop: {
      maxRestarts: partial.crashLoop?.maxRestarts ?? d.crashLoop.maxRestarts,
      windowMs: partial.crashLoop?.windowMs ?? d.crashLoop.windowMs,
    },
    random: partial.random ?? d.random,
  };
  const nonNegative = (name: string, v: number): void => {
    if (!Number.isFinite(v) || v < 0) throw usageError(name, 'a number ≥ 0', v);
  };
  nonNegative('restart minUptimeMs', cfg.minUptimeMs);
  nonNegative('restart baseDelayMs', cfg.baseDelayMs);
  nonNegative('restart maxDelayMs', cfg.maxDelayMs);
  if (!(cfg.jitter >= 0 && cfg.jitter <= 1)) throw usageError('restart jitter', 'a fraction between 0 and 1', cfg.jitter);
  if (!Number.isInteger(cfg.crashLoop.maxRestarts) || cfg.crashLoop.maxRestarts < 1) {
    throw usageError('restart crashLoop.maxRestarts', 'an integer ≥ 1', cfg.crashLoop.maxRestarts);
  }
  if (!Number.isFinite(cfg.crashLoop.windowMs) || cfg.crashLoop.windowMs <= 0) throw usageError('restart crashLoop.windowMs', 'a number > 0', cfg.crashLoop.windowMs);
  return cfg;
}
