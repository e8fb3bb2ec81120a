// botwarden's own process on a registry: CPU, memory, file descriptors, event-loop lag, handles, V8 heap, GC — the
// names, types and help texts of prom-client's default metrics, read when scraped. Background work, as in prom-client:
// Node's native event-loop delay sampler (10 ms) and a GC performance observer, one of each per process.
import { readdirSync, readFileSync } from 'node:fs';
import { constants as perfConstants, monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';
import v8 from 'node:v8';
import { Counter, Gauge, Histogram, type Registry } from './registry.js';

/** Buckets of `nodejs_gc_duration_seconds`, in seconds. */
export const GC_DURATION_BUCKETS_SECONDS = [0.001, 0.01, 0.1, 1, 2, 5];

const startSeconds = Math.round(Date.now() / 1000 - process.uptime());

/** Register the process and Node.js metrics on `registry`, every name starting with `prefix` (e.g. `botwarden_`). */
export function registerProcessMetrics(registry: Registry, prefix: string): void {
  const registers = [registry];
  const g = (name: string, help: string, collect?: () => void | Promise<void>): Gauge =>
    new Gauge({ name: prefix + name, help, registers, ...(collect ? { collect } : {}) });

  const cpuUser = new Counter({
    name: `${prefix}process_cpu_user_seconds_total`,
    help: 'Total user CPU time spent in seconds.',
    registers,
    collect: () => {
      const u = process.cpuUsage();
      cpuUser.reset();
      cpuSystem.reset();
      cpuTotal.reset();
      cpuUser.inc(u.user / 1e6);
      cpuSystem.inc(u.system / 1e6);
      cpuTotal.inc((u.user + u.system) / 1e6);
    },
  });
  const cpuSystem = new Counter({ name: `${prefix}process_cpu_system_seconds_total`, help: 'Total system CPU time spent in seconds.', registers });
  const cpuTotal = new Counter({ name: `${prefix}process_cpu_seconds_total`, help: 'Total user and system CPU time spent in seconds.', registers });

  const start = g('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', () => start.set(startSeconds));

  if (process.platform === 'linux') {
    const rss = g('process_resident_memory_bytes', 'Resident memory size in bytes.', () => {
      const s = procStatus();
      if (s.VmRSS !== undefined) rss.set(s.VmRSS);
      if (s.VmSize !== undefined) vsize.set(s.VmSize);
      if (s.VmData !== undefined) heap.set(s.VmData);
    });
    const vsize = g('process_virtual_memory_bytes', 'Virtual memory size in bytes.');
    const heap = g('process_heap_bytes', 'Process heap size in bytes.');
    const openFds = g('process_open_fds', 'Number of open file descriptors.', () => {
      try {
        openFds.set(readdirSync('/proc/self/fd').length - 1); // minus the one readdirSync used
      } catch {
        // /proc not mounted: keep the last value
      }
    });
    const maxFds = readMaxFds();
    if (maxFds !== undefined) {
      const max = g('process_max_fds', 'Maximum number of open file descriptors.', () => max.set(maxFds));
    }
  } else {
    const rss = g('process_resident_memory_bytes', 'Resident memory size in bytes.', () => rss.set(process.memoryUsage.rss()));
  }

  registerEventLoopLag(prefix, registers);

  const resourcesByType: Gauge<'type'> = new Gauge({
    name: `${prefix}nodejs_active_resources`,
    help: 'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.',
    labelNames: ['type'] as const,
    registers,
    collect: (): void => setByType(resourcesByType, process.getActiveResourcesInfo()),
  });
  const resourcesTotal = g('nodejs_active_resources_total', 'Total number of active resources.', () => resourcesTotal.set(process.getActiveResourcesInfo().length));

  const internals = process as unknown as { _getActiveHandles?: () => unknown[]; _getActiveRequests?: () => unknown[] };
  for (const [kind, list, help] of [
    ['handles', internals._getActiveHandles, 'Number of active libuv handles grouped by handle type. Every handle type is C++ class name.'],
    ['requests', internals._getActiveRequests, 'Number of active libuv requests grouped by request type. Every request type is C++ class name.'],
  ] as const) {
    if (typeof list !== 'function') continue;
    const read = (): unknown[] => list.call(process);
    const byType: Gauge<'type'> = new Gauge({
      name: `${prefix}nodejs_active_${kind}`,
      help,
      labelNames: ['type'] as const,
      registers,
      collect: (): void => setByType(byType, read().map((o) => (o as { constructor?: { name?: string } } | null)?.constructor?.name).filter((n): n is string => typeof n === 'string')),
    });
    const total = g(`nodejs_active_${kind}_total`, `Total number of active ${kind}.`, () => total.set(read().length));
  }

  const heapTotal = g('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', () => {
    const m = process.memoryUsage();
    heapTotal.set(m.heapTotal);
    heapUsed.set(m.heapUsed);
    external.set(m.external);
  });
  const heapUsed = g('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.');
  const external = g('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.');

  const space = (kind: 'total' | 'used' | 'available', collect?: () => void): Gauge<'space'> =>
    new Gauge({
      name: `${prefix}nodejs_heap_space_size_${kind}_bytes`,
      help: `Process heap space size ${kind} from Node.js in bytes.`,
      labelNames: ['space'] as const,
      registers,
      ...(collect ? { collect } : {}),
    });
  const spaceTotal = space('total', () => {
    for (const s of v8.getHeapSpaceStatistics()) {
      const name = s.space_name.slice(0, Math.max(0, s.space_name.indexOf('_space')));
      spaceTotal.set({ space: name }, s.space_size);
      spaceUsed.set({ space: name }, s.space_used_size);
      spaceAvailable.set({ space: name }, s.space_available_size);
    }
  });
  const spaceUsed = space('used');
  const spaceAvailable = space('available');

  const [major, minor, patch] = process.version.slice(1).split('.').map(Number);
  const versionInfo: Gauge<'version' | 'major' | 'minor' | 'patch'> = new Gauge({
    name: `${prefix}nodejs_version_info`,
    help: 'Node.js version info.',
    labelNames: ['version', 'major', 'minor', 'patch'] as const,
    registers,
    collect: (): void => versionInfo.set({ version: process.version, major: major ?? 0, minor: minor ?? 0, patch: patch ?? 0 }, 1),
  });

  const gc = new Histogram({
    name: `${prefix}nodejs_gc_duration_seconds`,
    help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
    labelNames: ['kind'] as const,
    buckets: GC_DURATION_BUCKETS_SECONDS,
    registers,
  });
  watchGc(gc);
}

/** `VmRSS`, `VmSize`, `VmData` from /proc/self/status, in bytes (empty when unreadable). */
function procStatus(): Partial<Record<'VmRSS' | 'VmSize' | 'VmData', number>> {
  const out: Partial<Record<'VmRSS' | 'VmSize' | 'VmData', number>> = {};
  let text: string;
  try {
    text = readFileSync('/proc/self/status', 'utf8');
  } catch {
    return out;
  }
  for (const m of text.matchAll(/^(VmRSS|VmSize|VmData):\s*(\d+)\s*kB$/gm)) out[m[1] as 'VmRSS'] = Number(m[2]) * 1024;
  return out;
}

/** The soft limit on open files, from /proc/self/limits. */
function readMaxFds(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const n = Number(line?.split(/ {2,}/)[1]);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

function setByType(gauge: Gauge<'type'>, types: readonly string[]): void {
  const counts = new Map<string, number>();
  for (const t of types) counts.set(t, (counts.get(t) ?? 0) + 1);
  gauge.reset();
  for (const [type, n] of counts) gauge.set({ type }, n);
}

/** Event-loop delay as sampled by Node (every 10 ms, in native code): one histogram per process, reset at each scrape (of any registry). */
let loopDelay: IntervalHistogram | undefined;

function registerEventLoopLag(prefix: string, registers: Registry[]): void {
  loopDelay ??= monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const h = loopDelay;
  const lag = new Gauge({
    name: `${prefix}nodejs_eventloop_lag_seconds`,
    help: 'Lag of event loop in seconds.',
    registers,
    // The time a setImmediate takes to run now: what a callback queued at scrape time waits.
    collect: async () => {
      const t0 = process.hrtime.bigint();
      await new Promise<void>((resolve) => setImmediate(resolve));
      lag.set(Number(process.hrtime.bigint() - t0) / 1e9);
      if (h.count === 0) {
        // Nothing sampled since the last scrape (or the monitor just started): zeros, not V8's "no data" sentinels.
        for (const g of Object.values(stats)) g.set(0);
        return;
      }
      stats.min.set(h.min / 1e9);
      stats.max.set(h.max / 1e9);
      stats.mean.set(h.mean / 1e9);
      stats.stddev.set(h.stddev / 1e9);
      stats.p50.set(h.percentile(50) / 1e9);
      stats.p90.set(h.percentile(90) / 1e9);
      stats.p99.set(h.percentile(99) / 1e9);
      h.reset();
    },
  });
  const gauge = (name: string, help: string): Gauge => new Gauge({ name: `${prefix}${name}`, help, registers });
  const stats = {
    min: gauge('nodejs_eventloop_lag_min_seconds', 'The minimum recorded event loop delay.'),
    max: gauge('nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay.'),
    mean: gauge('nodejs_eventloop_lag_mean_seconds', 'The mean of the recorded event loop delays.'),
    stddev: gauge('nodejs_eventloop_lag_stddev_seconds', 'The standard deviation of the recorded event loop delays.'),
    p50: gauge('nodejs_eventloop_lag_p50_seconds', 'The 50th percentile of the recorded event loop delays.'),
    p90: gauge('nodejs_eventloop_lag_p90_seconds', 'The 90th percentile of the recorded event loop delays.'),
    p99: gauge('nodejs_eventloop_lag_p99_seconds', 'The 99th percentile of the recorded event loop delays.'),
  };
}

const GC_KINDS: Record<number, string> = {
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** GC histograms fed by one process-wide observer; held weakly so a dropped registry is collected. */
const gcHistograms = new Set<WeakRef<Histogram<'kind'>>>();
let gcObserver: PerformanceObserver | undefined;

function watchGc(h: Histogram<'kind'>): void {
  gcHistograms.add(new WeakRef(h));
  gcObserver ??= new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = GC_KINDS[(entry as { detail?: { kind?: number } }).detail?.kind ?? -1];
      if (kind === undefined) continue;
      for (const ref of gcHistograms) {
        const target = ref.deref();
        if (target) target.observe({ kind }, entry.duration / 1000);
        else gcHistograms.delete(ref);
      }
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
}
