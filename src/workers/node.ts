// One instance's part in worker mode: the store, partition ownership, the bot's feed and (while leader) the poller.
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/botwarden-metrics.js';
import type { LeaderView } from '../lease/types.js';
import { BotApiClient } from '../telegram/client.js';
import { WorkerFeed, type FeedRequest } from './feed.js';
import { createWorkerMetrics, type WorkerMetrics } from './metrics.js';
import { Ownership } from './ownership.js';
import { Poller, type PollerSnapshot } from './poller.js';
import { WorkerStore } from './store.js';

/** Options of a worker node. */
export interface WorkerNodeOptions {
  /** `--workers` URL: `redis://host:port[/db]`. */
  url: string;
  partitions: number;
  botId: number;
  token: string;
  apiRoot: string;
  instance: string;
  /** Membership and partition time-to-live (ms): a killed worker's partitions are served again after about this long. */
  ttlMs: number;
  /** The lease: the poller runs while it says leader. */
  leader: LeaderView;
  logger: Logger;
  metrics: Metrics;
  /** Key prefix in Redis (tests). Default `botwarden:workers:`. */
  keyPrefix?: string;
}

/** `/status` → `workers`. */
export interface WorkersSnapshot {
  /** Partitions this instance owns (delivering or being handed back). */
  partitions: number[];
  /** Updates handed to the bot and not yet confirmed. */
  inHand: number;
  /** Of those, partitions being handed to another member (released once their updates in hand are confirmed). */
  draining: number[];
  partitionCount: number;
  store: string;
  /** Live members (instance ids), as of the last heartbeat. */
  members: string[];
  /** Unacknowledged updates per partition (all partitions), as of the last heartbeat. */
  lag: number[];
  /** Owner instance per partition (`null`: free), as of the last heartbeat. */
  owners: Array<string | null>;
  lastHeartbeatAt: number | null;
  /** The poller: the instance that last stored updates, and this instance's own poller. */
  poller: { instance: string | null; lastUpdateId: number | null; lastAppendAt: number | null; appended: number; self: PollerSnapshot };
}

/** Store + ownership + feed + poller of one instance. */
export class WorkerNode {
  readonly store: WorkerStore;
  readonly ownership: Ownership;
  readonly feed: WorkerFeed;
  readonly poller: Poller;
  readonly workerMetrics: WorkerMetrics;
  private readonly client: BotApiClient;

  constructor(private readonly o: WorkerNodeOptions) {
    const logger = o.logger;
    this.store = new WorkerStore({ url: o.url, botId: o.botId, partitions: o.partitions, logger, ...(o.keyPrefix ? { keyPrefix: o.keyPrefix } : {}) });
    this.workerMetrics = createWorkerMetrics(o.metrics.registry, { partitions: () => this.ownership.held.size, inHand: () => this.feed.inHandCount() });
    this.ownership = new Ownership({
      store: this.store,
      instance: o.instance,
      ttlMs: o.ttlMs,
      logger,
      inHand: (p) => this.feed.inHandCount(p),
      onChange: () => {
        this.feed.wake();
        logger.info(`workers: partitions owned: ${[...this.ownership.held.keys()].sort((a, b) => a - b).join(', ') || 'none'}`);
      },
    });
    this.feed = new WorkerFeed(this.store, this.ownership, this.workerMetrics, logger);
    this.client = new BotApiClient({ apiRoot: o.apiRoot, token: o.token, metrics: o.metrics });
    this.poller = new Poller({
      client: this.client,
      store: this.store,
      leader: o.leader,
      instance: o.instance,
      logger,
      metrics: o.metrics,
      workerMetrics: this.workerMetrics,
      // The poller's own partitions need no round trip through Redis's notices.
      onAppended: (partitions) => this.feed.wake(partitions),
    });
  }

  /** Connect, join the members, take the partitions assigned to this instance. */
  async open(): Promise<void> {
    await this.store.open((n) => {
      if (n.kind === 'appended') this.feed.wake(n.partitions);
      else void this.ownership.poke();
    });
    await this.ownership.start();
  }

  /** The bot's getUpdates (the gateway calls this in worker mode). */
  next(req: FeedRequest): Promise<string[]> {
    return this.feed.next(req);
  }

  /** Graceful end, step 1: no new deliveries to the bot (its confirmations still count). */
  stopFeeding(): void {
    this.feed.stop();
  }

  /** Graceful end, step 2 (after the bot stopped): stop polling, hand the partitions back, leave, disconnect. */
  async close(): Promise<void> {
    await this.poller.stop();
    await this.ownership.stop({ release: true });
    await this.store.close();
  }

  snapshot(): WorkersSnapshot {
    const last = this.ownership.last;
    const held = [...this.ownership.held].sort((a, b) => a[0] - b[0]);
    const ownerOf = (token: string): string | null => (token === '' ? null : token.slice(0, token.lastIndexOf('#')));
    return {
      partitions: held.map(([p]) => p),
      inHand: this.feed.inHandCount(),
      draining: held.filter(([, h]) => h.draining).map(([p]) => p),
      partitionCount: this.o.partitions,
      store: this.store.description,
      members: last?.members ?? [],
      lag: last?.lags ?? [],
      owners: (last?.owners ?? []).map(ownerOf),
      lastHeartbeatAt: this.ownership.lastTickAt || null,
      poller: {
        instance: last?.poller?.instance ?? null,
        lastUpdateId: last?.poller?.lastUpdateId ?? null,
        lastAppendAt: last?.poller?.at ?? null,
        appended: last?.poller?.appended ?? 0,
        self: this.poller.snapshot(),
      },
    };
  }
}
