// The bot's getUpdates in worker mode: answered from the partitions this instance owns, never from Telegram.
//
// What the bot sees: batches as Telegram would give them, with at most one update per chat in a batch (a chat's
// next update is read only after the previous one was acknowledged), increasing update_ids (an update whose id is
// not above the last one handed out gets the next free id: the bot's offset arithmetic keeps working), and the
// updates it has not confirmed again on its next poll. Confirming = polling with a higher offset, as with Telegram;
// the confirmed updates are then deleted from their partition in Redis (fenced: only while still the owner).
import type { Logger } from '../log.js';
import { monotonicMs } from '../util/clock.js';
import { sleepUnlessAborted } from '../util/sleep.js';
import type { WorkerMetrics } from './metrics.js';
import type { Ownership } from './ownership.js';
import type { ReadEntry, WorkerStore } from './store.js';

/** One getUpdates from the bot, as the feed needs it. */
export interface FeedRequest {
  offset: number | undefined;
  limit: number | undefined;
  /** The bot's long-poll timeout (ms); 0 = short poll. */
  timeoutMs: number;
  /** The bot left, or a newer poll took over. */
  signal: AbortSignal;
}

/** An update handed to the bot and not yet acknowledged in Redis. */
interface InHand {
  local: number;
  partition: number;
  token: string;
  id: string;
  json: string;
  /** Answered to the bot at least once. */
  sent: boolean;
  /** The bot polled with an offset above it: acknowledge in Redis. */
  confirmed: boolean;
}

/** How long a short poll (timeout 0) is held when nothing is there, so a bot polling in a loop does not spin. */
const SHORT_POLL_HOLD_MS = 500;
/** A held poll re-checks this often even without a notice (a notice missed during a reconnect). */
const RECHECK_MS = 1000;
/** Pause before retrying Redis after an error while serving a poll. */
const RETRY_MS = 200;

/** Serves the bot's getUpdates from owned partitions. */
export class WorkerFeed {
  private inHand: InHand[] = [];
  private lastLocal = 0;
  private stopping = false;
  private readonly waiters = new Set<() => void>();
  private lock: Promise<void> = Promise.resolve();
  private current: AbortController | undefined;
  private rotate = 0;

  constructor(
    private readonly store: WorkerStore,
    private readonly ownership: Ownership,
    private readonly metrics: WorkerMetrics,
    private readonly logger: Logger,
  ) {}

  /** Updates handed to the bot and not yet acknowledged, in partition `p` (all partitions when undefined). */
  inHandCount(p?: number): number {
    return p === undefined ? this.inHand.length : this.inHand.filter((h) => h.partition === p).length;
  }

  /** Wake held polls (new entries in `partitions`, or ownership changed when undefined). */
  wake(partitions?: readonly number[]): void {
    if (partitions && !partitions.some((p) => this.ownership.held.has(p))) return;
    for (const w of [...this.waiters]) w();
  }

  /** No new deliveries from now on (held polls get [] at once); confirmations are still acknowledged. */
  stop(): void {
    this.stopping = true;
    this.wake();
  }

  /** Answer one getUpdates: the raw JSON of each update for the bot (empty: nothing within its timeout). */
  async next(req: FeedRequest): Promise<string[]> {
    this.current?.abort();
    const mine = new AbortController();
    this.current = mine;
    const signal = AbortSignal.any([req.signal, mine.signal]);
    const prev = this.lock;
    let unlock!: () => void;
    this.lock = new Promise((r) => (unlock = r));
    await prev;
    try {
      return await this.serve(req, signal);
    } finally {
      unlock();
      if (this.current === mine) this.current = undefined;
    }
  }

  private async serve(req: FeedRequest, signal: AbortSignal): Promise<string[]> {
    const limit = req.limit !== undefined && req.limit >= 1 && req.limit <= 100 ? req.limit : 100;
    const deadline = monotonicMs() + (req.timeoutMs > 0 ? req.timeoutMs : SHORT_POLL_HOLD_MS);
    if (req.offset !== undefined && req.offset > 0) for (const h of this.inHand) if (h.local < req.offset) h.confirmed = true;
    for (let round = 0; ; round++) {
      if (signal.aborted) return [];
      const acked = await this.flushAcks();
      this.dropUnusable();
      const again = this.inHand.filter((h) => !h.confirmed).slice(0, limit);
      if (again.length > 0) {
        const repeated = again.filter((h) => h.sent).length;
        if (repeated > 0) this.metrics.redelivered.labels('unconfirmed').inc(repeated);
        for (const h of again) h.sent = true;
        this.metrics.delivered.inc(again.length);
        return again.map((h) => h.json);
      }
      if (acked && !this.stopping) {
        const fresh = await this.readNew(limit);
        if (fresh === 'error') {
          await sleepUnlessAborted(Math.min(RETRY_MS, Math.max(0, deadline - monotonicMs())), signal);
        } else if (fresh.length > 0) {
          if (signal.aborted) return []; // they stay in hand: the next poll gets them
          for (const h of fresh) h.sent = true;
          this.metrics.delivered.inc(fresh.length);
          return fresh.map((h) => h.json);
        }
      }
      if (this.stopping && acked) return [];
      const left = deadline - monotonicMs();
      if (left <= 0) return [];
      await this.waitForWake(Math.min(left, acked ? RECHECK_MS : RETRY_MS), signal);
    }
  }

  /** Acknowledge what the bot confirmed; false while Redis could not be reached (retried on the next round). */
  private async flushAcks(): Promise<boolean> {
    const groups = new Map<string, InHand[]>();
    for (const h of this.inHand) {
      if (!h.confirmed) continue;
      const k = `${h.partition} ${h.token}`;
      const g = groups.get(k);
      if (g) g.push(h);
      else groups.set(k, [h]);
    }
    if (groups.size === 0) return true;
    let ok = true;
    const done = new Set<InHand>();
    await Promise.all(
      [...groups.values()].map(async (g) => {
        const { partition: p, token } = g[0]!;
        if (!this.ownership.usable(p, token, false)) {
          // Lost meanwhile: the new owner has them (they were confirmed here, so they will be processed twice).
          this.metrics.fenced.inc(g.length);
          for (const h of g) done.add(h);
          return;
        }
        try {
          const n = await this.store.ack(
            p,
            token,
            g.map((h) => h.id),
          );
          if (n < 0) {
            this.metrics.fenced.inc(g.length);
            this.ownership.lost(p, token, 'acknowledgement refused: another instance owns it now');
          } else this.metrics.acked.inc(g.length);
          for (const h of g) done.add(h);
        } catch (err) {
          ok = false;
          this.logger.debug('acknowledgement failed; retried', { reason: err instanceof Error ? err.message : String(err) });
        }
      }),
    );
    if (done.size > 0) {
      this.inHand = this.inHand.filter((h) => !done.has(h));
      // A partition being handed back is released once nothing of it is in hand.
      for (const h of done) {
        if (this.ownership.held.get(h.partition)?.draining && this.inHandCount(h.partition) === 0) {
          void this.ownership.poke();
          break;
        }
      }
    }
    return ok;
  }

  /** Forget in-hand updates of partitions no longer ours: the new owner delivers them (first). */
  private dropUnusable(): void {
    const keep = this.inHand.filter((h) => this.ownership.usable(h.partition, h.token, false));
    if (keep.length !== this.inHand.length) {
      this.logger.info(`dropped ${this.inHand.length - keep.length} update(s) in hand of partitions this instance no longer owns; their new owner delivers them`);
      this.inHand = keep;
    }
  }

  /** Read the next updates of deliverable partitions into `inHand`. */
  private async readNew(limit: number): Promise<InHand[] | 'error'> {
    const parts = this.ownership.deliverable();
    if (parts.length === 0) return [];
    const start = this.rotate++ % parts.length;
    const order = [...parts.slice(start), ...parts.slice(0, start)];
    let res: Array<ReadEntry[] | 'lost'>;
    try {
      res = await this.store.read(order, limit);
    } catch (err) {
      this.logger.debug('reading the partitions failed; retried', { reason: err instanceof Error ? err.message : String(err) });
      return 'error';
    }
    const got: Array<{ e: ReadEntry; partition: number; token: string }> = [];
    res.forEach((r, i) => {
      const { partition, token } = order[i]!;
      if (r === 'lost') this.ownership.lost(partition, token, 'a read was refused: another instance owns it now');
      else for (const e of r) got.push({ e, partition, token });
    });
    got.sort((a, b) => a.e.updateId - b.e.updateId);
    const fresh: InHand[] = [];
    for (const { e, partition, token } of got) {
      if (e.deliveredBefore > 0) this.metrics.redelivered.labels('previous-owner').inc();
      const local = Math.max(e.updateId, this.lastLocal + 1);
      this.lastLocal = local;
      const json = local === e.updateId ? e.json : renumber(e.json, local);
      fresh.push({ local, partition, token, id: e.id, json, sent: false, confirmed: false });
    }
    this.inHand.push(...fresh);
    return fresh;
  }

  private waitForWake(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }
}

/** The update's JSON with another update_id. */
function renumber(json: string, updateId: number): string {
  const u = JSON.parse(json) as Record<string, unknown>;
  return JSON.stringify({ ...u, update_id: updateId });
}
