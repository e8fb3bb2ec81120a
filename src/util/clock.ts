// Monotonic time in milliseconds: the clock every lease and timeout decision is judged on.
import { performance } from 'node:perf_hooks';

/** Milliseconds on a monotonic clock (never goes back, unaffected by wall-clock changes). */
export function monotonicMs(): number {
  return performance.now();
}
