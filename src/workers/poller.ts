// The poller: while this instance holds the lease, it long-polls Telegram and appends every update to its partition.
// Telegram's offset moves past an update only after Redis acknowledged the append (the next getUpdates carries the
// offset), so a poller killed at any point loses nothing: the next one gets the unconfirmed updates again, and the
// store keeps each update once.
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/botwarden-metrics.js';
import type { LeaderView } from '../lease/types.js';
import { TelegramApiError } from '../telegram/errors.js';
import type { BotApiClient } from '../telegram/client.js';
import { sleepUnlessAborted } from '../util/sleep.js';
import type { WorkerMetrics } from './metrics.js';
import { routeUpdate } from './partition.js';
import type { AppendItem, WorkerStore } from './store.js';

/** Longest upstream long poll (s). */
const MAX_TIMEOUT_S = 25;
/** Upstream polls end at least this long before leadership could end (ms). */
const LEASE_MARGIN_MS = 200;

/** What the poller reports for /status. */
export interface PollerSnapshot {
  running: boolean;
  /** The next offset it will confirm to Telegram (undefined before the first batch). */
  offset: number | undefined;
  appended: number;
  lastAppendAt: number | null;
  lastError: string | null;
}

/** Options of the poller. */
export interface PollerOptions {
  client: BotApiClient;
  store: WorkerStore;
  leader: LeaderView;
  instance: string;
  logger: Logger;
  metrics: Metrics;
  workerMetrics: WorkerMetrics;
  /** Called with the partitions that got new updates, once Redis stored them (this instance's feed wakes at once). */
  onAppended?: (partitions: number[]) => void;
}

/** Polls Telegram into the partitions while started. */
export class Poller {
  private ac: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private offset: number | undefined;
  private appended = 0;
  private lastAppendAt: number | null = null;
  private lastError: string | null = null;
  private errorStreak = 0;

  constructor(private readonly o: PollerOptions) {}

  /** Start polling (idempotent). */
  start(): void {
    if (this.loop) {
      if (this.ac?.signal.aborted) void this.loop.then(() => this.start()); // stopping: start again once stopped
      return;
    }
    const ac = (this.ac = new AbortController());
    this.loop = this.run(ac.signal).finally(() => {
      if (this.ac === ac) {
        this.ac = undefined;
        this.loop = undefined;
      }
    });
  }

  /** Stop: the upstream poll in flight is aborted (its updates stay unconfirmed at Telegram) and awaited. */
  async stop(): Promise<void> {
    this.ac?.abort(new Error('poller stopped'));
    await this.loop;
  }

  snapshot(): PollerSnapshot {
    return { running: this.loop !== undefined, offset: this.offset, appended: this.appended, lastAppendAt: this.lastAppendAt, lastError: this.lastError };
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { leader, logger } = this.o;
    logger.info('workers: this instance is the poller: updates go from Telegram into the partitions');
    // A new term starts from what Telegram still holds (its confirmed offset): nothing a previous poller did not store.
    this.offset = undefined;
    while (!signal.aborted && leader.isLeader()) {
      const timeoutS = Math.max(0, Math.min(MAX_TIMEOUT_S, Math.floor((leader.msLeft() - LEASE_MARGIN_MS) / 1000)));
      let updates: Array<Record<string, unknown>>;
      try {
        updates = await this.o.client.call<Array<Record<string, unknown>>>('getUpdates', { ...(this.offset !== undefined ? { offset: this.offset } : {}), timeout: timeoutS }, { signal, timeoutMs: timeoutS * 1000 + 10_000 });
        this.errorStreak = 0;
      } catch (err) {
        if (signal.aborted) break;
        await this.onError(err, signal);
        continue;
      }
      if (!Array.isArray(updates) || updates.length === 0) {
        if (timeoutS === 0) await sleepUnlessAborted(50, signal);
        continue;
      }
      // Stored even if leadership ended meanwhile: appending is idempotent, and the updates are then safe already.
      const stored = await this.appendAll(updates, signal);
      if (stored === undefined) break;
      let highest: number = this.offset ?? 0;
      for (const u of updates) if (typeof u['update_id'] === 'number') highest = Math.max(highest, (u['update_id'] as number) + 1);
      this.offset = highest;
    }
    logger.info('workers: polling stopped on this instance');
  }

  /** Append until Redis has them; undefined when stopped first (nothing confirmed to Telegram then). */
  private async appendAll(updates: Array<Record<string, unknown>>, signal: AbortSignal): Promise<number | undefined> {
    const { store, instance, workerMetrics } = this.o;
    const items: AppendItem[] = [];
    for (const u of updates) {
      const id = u['update_id'];
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) continue;
      const r = routeUpdate(u, store.partitions);
      items.push({ updateId: id, key: r.key, partition: r.partition, json: JSON.stringify(u) });
    }
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) return undefined;
      try {
        const added = await store.append(items, instance);
        workerMetrics.appended.inc(added);
        if (added < items.length) workerMetrics.appendDuplicates.inc(items.length - added);
        this.appended += added;
        this.lastAppendAt = Date.now();
        this.lastError = null;
        if (added > 0) this.o.onAppended?.([...new Set(items.map((it) => it.partition))]);
        return added;
      } catch (err) {
        this.lastError = `Redis: ${err instanceof Error ? err.message : String(err)}`;
        if (attempt === 0 || attempt % 20 === 0) this.o.logger.warn(`workers: could not store ${items.length} update(s) in Redis (${this.lastError}); retrying — Telegram keeps them until they are stored`);
        await sleepUnlessAborted(Math.min(1000, 50 * 2 ** Math.min(attempt, 5)), signal);
      }
    }
  }

  private async onError(err: unknown, signal: AbortSignal): Promise<void> {
    let waitMs: number;
    if (err instanceof TelegramApiError && err.errorCode === 409) {
      const cause = /webhook/i.test(err.description) ? 'webhook' : 'other-poller';
      this.o.metrics.conflictsAbsorbed.labels(cause).inc();
      this.lastError = `409 ${err.description}`;
      waitMs = 1000;
    } else if (err instanceof TelegramApiError && err.errorCode === 429) {
      waitMs = (err.retryAfter ?? 5) * 1000;
      this.lastError = `429: retry after ${waitMs / 1000} s`;
    } else {
      waitMs = Math.min(15_000, 1000 * 2 ** this.errorStreak++);
      this.lastError = err instanceof Error ? err.message : String(err);
    }
    this.o.logger.warn(`workers: getUpdates failed (${this.lastError}); polling again in ${waitMs} ms`);
    await sleepUnlessAborted(waitMs, signal);
  }
}
