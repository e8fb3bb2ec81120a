// Which partitions this instance owns: membership with heartbeats, a deterministic assignment over the live members,
// claims of free partitions, graceful hand-back of partitions that belong to someone else now.
//
// A partition is usable only until (send time of the heartbeat that last renewed it, monotonic clock) + TTL − margin:
// that always comes before Redis can expire the owner key, so a worker woken from SIGSTOP stops delivering from its
// partitions before any timer of its own runs. Redis fences the rest: reads and acks carry the owner token.
import type { Logger } from '../log.js';
import { monotonicMs } from '../util/clock.js';
import { assignedTo } from './partition.js';
import type { TickResult, WorkerStore } from './store.js';

/** A partition this instance holds. */
export interface Held {
  token: string;
  /** Monotonic deadline of local use. */
  validUntil: number;
  /** Assigned to another member now: no new deliveries; released once nothing of it is in hand. */
  draining: boolean;
}

/** Options of Ownership. */
export interface OwnershipOptions {
  store: WorkerStore;
  instance: string;
  ttlMs: number;
  logger: Logger;
  /** Updates of partition `p` handed to the bot and not yet acknowledged. */
  inHand: (p: number) => number;
  /** Called when the set of usable partitions changed (gained, lost, draining). */
  onChange: () => void;
}

/** Membership and partition ownership of one instance. */
export class Ownership {
  readonly held = new Map<number, Held>();
  /** The last heartbeat's view (for /status). */
  last: TickResult | undefined;
  lastTickAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastErrorLogAt = -Infinity;
  private readonly marginMs: number;
  private readonly everyMs: number;

  constructor(private readonly o: OwnershipOptions) {
    this.marginMs = Math.round(o.ttlMs / 5);
    this.everyMs = Math.max(50, Math.round(o.ttlMs / 4));
  }

  /** Join and keep heartbeating until `stop()`. Resolves after the first heartbeat (ok or not). */
  async start(): Promise<void> {
    await this.poke();
  }

  /** Run a heartbeat now (or right after the one running). */
  poke(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.tick();
        } while (this.again && !this.stopped);
      } finally {
        this.running = undefined;
        if (!this.stopped) {
          clearTimeout(this.timer);
          this.timer = setTimeout(() => void this.poke(), this.everyMs);
        }
      }
    })();
    return this.running;
  }

  /** Whether partition `p` may deliver now with `token` (held, valid, and not being handed back when `forNew`). */
  usable(p: number, token: string, forNew: boolean): boolean {
    const h = this.held.get(p);
    if (!h || h.token !== token) return false;
    if (monotonicMs() >= h.validUntil) return false;
    return !(forNew && h.draining);
  }

  /** Partitions that may deliver new updates now, with their tokens. */
  deliverable(): Array<{ partition: number; token: string }> {
    const now = monotonicMs();
    const out: Array<{ partition: number; token: string }> = [];
    for (const [partition, h] of this.held) if (!h.draining && now < h.validUntil) out.push({ partition, token: h.token });
    return out;
  }

  /** Forget a partition Redis says is no longer ours (a fenced read or ack). */
  lost(p: number, token: string, why: string): void {
    const h = this.held.get(p);
    if (!h || h.token !== token) return;
    this.held.delete(p);
    this.o.logger.warn(`partition ${p} is no longer this instance's (${why}); its updates in hand go to the new owner`);
    this.o.onChange();
  }

  /** Stop heartbeating; release every partition and leave the members (graceful stop). */
  async stop(opts: { release: boolean }): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    if (!opts.release) return;
    const { store, instance } = this.o;
    try {
      await store.leave(instance);
      await Promise.all([...this.held].map(([p, h]) => store.release(p, h.token)));
    } catch (err) {
      this.o.logger.warn(`could not hand the partitions back (the others take them over after the TTL): ${err instanceof Error ? err.message : String(err)}`);
    }
    this.held.clear();
  }

  private async tick(): Promise<void> {
    const { store, instance, ttlMs } = this.o;
    const tokens: string[] = [];
    for (let p = 0; p < store.partitions; p++) tokens.push(this.held.get(p)?.token ?? '');
    const sent = monotonicMs();
    let r: TickResult;
    try {
      r = await store.tick(instance, ttlMs, true, tokens);
    } catch (err) {
      if (sent - this.lastErrorLogAt > 10_000) {
        this.lastErrorLogAt = sent;
        this.o.logger.warn(`workers: Redis did not answer the heartbeat (${err instanceof Error ? err.message : String(err)}); partitions stop delivering when their time runs out`);
      }
      return;
    }
    this.last = r;
    this.lastTickAt = Date.now();
    let changed = false;
    if (r.joined && this.held.size === 0) this.o.logger.info(`workers: joined as ${instance} (${r.members.length} member${r.members.length === 1 ? '' : 's'})`);
    for (const [p, h] of [...this.held]) {
      if (r.owners[p] === h.token) {
        h.validUntil = sent + ttlMs - this.marginMs;
      } else {
        this.held.delete(p);
        changed = true;
        this.o.logger.warn(`partition ${p} expired before it was renewed (was this process frozen, or Redis unreachable?); its updates in hand go to the new owner`);
      }
    }
    const target = new Set(assignedTo(instance, r.members, store.partitions));
    for (const [p, h] of [...this.held]) {
      if (target.has(p)) {
        if (h.draining) {
          h.draining = false;
          changed = true;
        }
        continue;
      }
      if (!h.draining) {
        h.draining = true;
        changed = true;
      }
      if (this.o.inHand(p) === 0) {
        this.held.delete(p);
        changed = true;
        try {
          await store.release(p, h.token);
        } catch {
          // it expires by itself
        }
      }
    }
    for (const p of target) {
      if (this.held.has(p) || r.owners[p] !== '') continue;
      const claimSent = monotonicMs();
      try {
        const token = await store.claim(p, instance, ttlMs);
        if (token !== undefined) {
          this.held.set(p, { token, validUntil: claimSent + ttlMs - this.marginMs, draining: false });
          changed = true;
        }
      } catch {
        break; // Redis went away: the next heartbeat tries again
      }
    }
    if (changed) this.o.onChange();
  }
}
