// Retry policy for botwarden's own calls: pure delay functions (the Bot API's outcome table below) and the one loop that
// applies a policy (preflight's Bot API calls, the lease backend at start-up).
import { monotonicMs } from '../util/clock.js';
import { sleep as abortableSleep } from '../util/sleep.js';
import { TelegramApiError, isRetryable } from './errors.js';

/**
 * Outcome table of `retryDelayMs(err, attempt)`:
 *
 * | error                                   | outcome                                              |
 * |-----------------------------------------|------------------------------------------------------|
 * | ApiUnreachableError (network, timeout)  | retry after backoff: base·2^(attempt−1), capped, jittered |
 * | TelegramApiError 429 with retry_after N | retry after exactly N s (Telegram's own instruction)  |
 * | TelegramApiError 429 without retry_after| retry after backoff                                  |
 * | TelegramApiError 5xx                    | retry after backoff                                  |
 * | TelegramApiError 4xx other (401, 409…)  | no retry: the answer will not change                 |
 * | anything else (abort, bug)              | no retry                                             |
 */
export interface BackoffOptions {
  /** First backoff in ms. Default 250. */
  baseMs?: number;
  /** Largest backoff in ms (retry_after is not capped). Default 10000. */
  capMs?: number;
  /** Source of randomness in [0,1) for jitter. Default Math.random. */
  random?: () => number;
  /** false: wait the full backoff every time (start-up, where the waits are shown to the user). Default true. */
  jitter?: boolean;
}

/** Exponential backoff before attempt `attempt + 1`: base·2^(attempt−1), capped; with jitter a wait in [half, full]. */
export function backoffMs(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 250;
  const cap = opts.capMs ?? 10_000;
  const full = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  if (opts.jitter === false) return full;
  const r = (opts.random ?? Math.random)();
  return Math.round(full / 2 + (full / 2) * r);
}

/** How long to wait before attempt `attempt + 1` after `err`, or undefined when it must not be retried. */
export function retryDelayMs(err: unknown, attempt: number, opts: BackoffOptions = {}): number | undefined {
  if (!isRetryable(err)) return undefined;
  if (err instanceof TelegramApiError && err.errorCode === 429 && err.retryAfter !== undefined) return Math.max(0, err.retryAfter) * 1000;
  return backoffMs(attempt, opts);
}

/** Options for `withRetry`. */
export interface RetryOptions extends BackoffOptions {
  /** Stops waiting at once; `withRetry` then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Give up when the next wait would end later than this many ms after the start. Default 60000. */
  maxMs?: number;
  /** Give up when the next wait would end after this instant on the `now()` clock (a deadline shared by several steps); replaces `maxMs`. */
  deadlineMs?: number;
  /** The policy: the wait after `err` on attempt `attempt`, undefined = not retryable. Default `retryDelayMs` (Bot API errors). */
  delayMs?: (err: unknown, attempt: number) => number | undefined;
  /** What to throw when a retryable error runs out of time (e.g. an error saying how long it tried). Default the error itself. */
  onGiveUp?: (err: unknown) => unknown;
  /** Called before each wait with the error, the attempt that failed (1-based) and the wait in ms. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Clock and sleep, replaceable for tests with fake time. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Run `fn` until it succeeds, retrying what the policy (default: the Bot API table above) retries, within the time allowed. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const now = opts.now ?? monotonicMs;
  const sleep = opts.sleep ?? abortableSleep;
  const endMs = opts.deadlineMs ?? now() + (opts.maxMs ?? 60_000);
  const delayOf = opts.delayMs ?? ((err: unknown, attempt: number) => retryDelayMs(err, attempt, opts));
  for (let attempt = 1; ; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const delay = delayOf(err, attempt);
      if (delay === undefined) throw err;
      if (now() + delay > endMs) throw opts.onGiveUp ? opts.onGiveUp(err) : err;
      opts.onRetry?.(err, attempt, delay);
      await sleep(delay, opts.signal);
    }
  }
}
