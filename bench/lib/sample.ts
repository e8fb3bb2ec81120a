// Samples RSS and CPU of a set of processes over a window (pidusage: /proc on Linux, ps/wmic elsewhere).
import pidusage from 'pidusage';
import { delay } from './proc.js';

/** RSS (MB, median of samples of the summed processes) and CPU (% of one core over the window). */
export interface Footprint {
  rssMb: number;
  cpuPct: number;
  rssSamples: number[];
}

async function snapshot(pids: number[]): Promise<{ rss: number; ctime: number }> {
  const stats = await pidusage(pids);
  let rss = 0;
  let ctime = 0;
  for (const pid of pids) {
    const s = stats[pid];
    if (!s) continue;
    rss += s.memory;
    ctime += s.ctime;
  }
  return { rss, ctime };
}

/** Sample `pids()` every `everyMs` for `windowMs`; pids are re-read each time (they should not change). */
export async function sampleFootprint(pids: () => number[], windowMs: number, everyMs = 500, signal?: AbortSignal): Promise<Footprint> {
  const list = pids();
  if (list.length === 0) throw new Error('no supervisor process to sample');
  try {
    const t0 = performance.now();
    const first = await snapshot(list);
    const rssSamples = [first.rss / 1024 / 1024];
    let last = first;
    while (performance.now() - t0 < windowMs && !signal?.aborted) {
      await delay(everyMs);
      last = await snapshot(list);
      rssSamples.push(last.rss / 1024 / 1024);
    }
    const elapsed = performance.now() - t0;
    const sorted = [...rssSamples].sort((a, b) => a - b);
    return {
      rssMb: sorted[Math.floor(sorted.length / 2)] as number,
      cpuPct: elapsed > 0 ? ((last.ctime - first.ctime) / elapsed) * 100 : 0,
      rssSamples,
    };
  } finally {
    pidusage.clear();
  }
}
