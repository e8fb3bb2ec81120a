// Summary statistics for benchmark samples: median and nearest-rank percentiles.

/** The p-th percentile (0–100) by linear interpolation between closest ranks; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (rank - lo);
}

/** The median of the samples; NaN for no samples. */
export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Median, p99, min, max and count of a set of samples. */
export interface Summary {
  median: number;
  p99: number;
  min: number;
  max: number;
  n: number;
}

/** Summarise samples (all NaN when empty). */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { median: NaN, p99: NaN, min: NaN, max: NaN, n: 0 };
  return {
    median: median(samples),
    p99: percentile(samples, 99),
    min: Math.min(...samples),
    max: Math.max(...samples),
    n: samples.length,
  };
}

/** Round to a fixed number of decimals (keeps JSON readable). */
export function round(x: number, decimals = 2): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}
