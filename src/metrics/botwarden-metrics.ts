// Prometheus metrics on a private registry (one per daemon, never a global one): typed handles for the daemon, gateway and supervisor.
import { Counter, Gauge, Histogram, Registry, type Renderable } from './registry.js';
import { methodLabel } from '../telegram/methods.js';

/** Why a 409 from upstream was absorbed by the gateway. */
export type ConflictCause = 'webhook' | 'other-poller';

/** botwarden's metrics. Create one set per process with `createMetrics()` and pass it down. */
export interface Metrics {
  /** The private registry: serve `registry.metrics()` with `registry.contentType` on /metrics. */
  readonly registry: Registry;
  /** `botwarden_up`: 1 while the bot process runs, else 0. */
  readonly up: Gauge;
  /** `botwarden_leader`: 1 while this instance holds the lease, else 0. */
  readonly leader: Gauge;
  /** `botwarden_restarts_total`: bot process restarts. */
  readonly restarts: Counter;
  /** `botwarden_updates_forwarded_total`: updates handed to the bot through the gateway. */
  readonly updatesForwarded: Counter;
  /** `botwarden_conflicts_absorbed_total{cause}`: upstream 409s the gateway kept from the bot. */
  readonly conflictsAbsorbed: Counter<'cause'>;
  /** `botwarden_api_requests_total{method,code}`: upstream Bot API requests by method and HTTP status (`error` = no answer). */
  readonly apiRequests: Counter<'method' | 'code'>;
  /** `botwarden_api_request_duration_seconds{method}`: upstream Bot API request durations (long polls included). */
  readonly apiRequestDuration: Histogram<'method'>;
  /** `botwarden_getupdates_late_discarded_total`: getUpdates answers that arrived after the lease was lost, not given to the bot. */
  readonly lateDiscarded: Counter;
  /** `botwarden_bot_memory_bytes`: resident memory of the bot's process tree. */
  readonly botMemoryBytes: Gauge;
  /** `botwarden_drop_pending_kept_total{method}`: the bot's drop-pending requests the gateway kept from Telegram. */
  readonly dropPendingKept: Counter<'method'>;
  /** Record one upstream call: method name (any case; unknown → `other`), HTTP status or `error`, duration in seconds. */
  observeApiCall(method: string, code: number | string, seconds: number): void;
}

/** Buckets from 1 ms (a forwarded sendMessage on loopback) to 60 s (a 50 s long poll). */
export const DURATION_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The process and Node.js metrics (`botwarden_process_*`, `botwarden_nodejs_*`), first in the exposition as with
 * prom-client, but loaded at the first scrape: a daemon nobody scrapes never loads perf_hooks/v8 nor samples the
 * event loop. (The event-loop delay and GC figures therefore cover the time since the first scrape.)
 */
function processMetricsOnFirstScrape(prefix: string): Renderable {
  let own: Promise<Registry> | undefined;
  return {
    name: `${prefix}process_and_nodejs_metrics`,
    async render() {
      own ??= import('./process.js').then(({ registerProcessMetrics }) => {
        const r = new Registry();
        registerProcessMetrics(r, prefix);
        return r;
      });
      return (await (await own).metrics()).slice(0, -1);
    },
  };
}

/** Only the process and Node.js metrics (`botwarden_process_*`, `botwarden_nodejs_*`), loaded at the first scrape: `up` serves them once beside every bot's metrics. */
export function createProcessMetrics(): Registry {
  const registry = new Registry();
  registry.register(processMetricsOnFirstScrape('botwarden_'));
  return registry;
}

/** A fresh set of metrics on its own registry, with Node process metrics (`botwarden_process_*`, `botwarden_nodejs_*`). */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) registry.register(processMetricsOnFirstScrape('botwarden_'));
  const registers = [registry];
  const conflictsAbsorbed = new Counter({
    name: 'botwarden_conflicts_absorbed_total',
    help: 'Upstream 409 Conflict answers to getUpdates that the gateway absorbed (never shown to the bot), by likely cause.',
    labelNames: ['cause'] as const,
    registers,
  });
  for (const cause of ['webhook', 'other-poller'] satisfies ConflictCause[]) conflictsAbsorbed.labels(cause).inc(0);
  const dropPendingKept = new Counter({
    name: 'botwarden_drop_pending_kept_total',
    help: "The bot's requests to drop pending updates (getUpdates offset<0, deleteWebhook/setWebhook drop_pending_updates) kept from Telegram, by method.",
    labelNames: ['method'] as const,
    registers,
  });
  for (const m of ['getUpdates', 'deleteWebhook', 'setWebhook']) dropPendingKept.labels(m).inc(0);
  const apiRequests = new Counter({
    name: 'botwarden_api_requests_total',
    help: 'Upstream Bot API requests by method and HTTP status code ("error" when no answer came).',
    labelNames: ['method', 'code'] as const,
    registers,
  });
  const apiRequestDuration = new Histogram({
    name: 'botwarden_api_request_duration_seconds',
    help: 'Upstream Bot API request duration in seconds, long polls included.',
    labelNames: ['method'] as const,
    buckets: DURATION_BUCKETS_SECONDS,
    registers,
  });
  return {
    registry,
    up: new Gauge({ name: 'botwarden_up', help: '1 while the bot process is running, else 0.', registers }),
    leader: new Gauge({ name: 'botwarden_leader', help: '1 while this instance holds the lease for the bot, else 0.', registers }),
    restarts: new Counter({ name: 'botwarden_restarts_total', help: 'Restarts of the bot process.', registers }),
    updatesForwarded: new Counter({ name: 'botwarden_updates_forwarded_total', help: 'Updates handed to the bot through the gateway.', registers }),
    conflictsAbsorbed,
    apiRequests,
    apiRequestDuration,
    lateDiscarded: new Counter({
      name: 'botwarden_getupdates_late_discarded_total',
      help: 'getUpdates answers that arrived after this instance stopped being leader; discarded, the bot got [].',
      registers,
    }),
    botMemoryBytes: new Gauge({ name: 'botwarden_bot_memory_bytes', help: "Resident memory of the bot's process tree in bytes.", registers }),
    dropPendingKept,
    observeApiCall(method: string, code: number | string, seconds: number): void {
      const m = methodLabel(method);
      const c = typeof code === 'number' && Number.isInteger(code) && code >= 100 && code <= 599 ? String(code) : 'error';
      apiRequests.labels(m, c).inc();
      if (Number.isFinite(seconds) && seconds >= 0) apiRequestDuration.labels(m).observe(seconds);
    },
  };
}
