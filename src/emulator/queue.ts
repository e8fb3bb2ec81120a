// One bot's update queue: contiguous ids, pre-serialised JSON, expiry, a cap, offset confirmation (§4.3, §4.5).

/** One stored update; `json` is the exact wire form `{"update_id":N,\n"<type>":{…}}` (§4.6). */
export interface QueuedUpdate {
  id: number;
  type: string;
  json: string;
  expiresAtMs: number;
}

const MAX_EVENT_ID = 2_000_000_000;

/** A random first update_id in [2 000 001, 1 000 000 000], as a new queue of the real server gets. */
export function randomFirstUpdateId(): number {
  return 2_000_001 + Math.floor(Math.random() * (1_000_000_000 - 2_000_001));
}

/** The queue. Reads never delete; only offsets (`confirmBelow`, `keepNewest`), `clear` and expiry do. */
export class UpdateQueue {
  private items: QueuedUpdate[] = [];
  private start = 0;
  /** The id the next update gets (the tail). */
  nextId: number;

  constructor(firstId: number) {
    this.nextId = firstId;
  }

  /** Stored updates, unconfirmed and undelivered (expired ones not yet swept included). */
  get size(): number {
    return this.items.length - this.start;
  }

  /** Id of the oldest stored update, or the tail when empty. */
  get headId(): number {
    return this.start < this.items.length ? (this.items[this.start] as QueuedUpdate).id : this.nextId;
  }

  /** Append an update whose JSON after the id is `rest` (`"message":{…}`); returns its id. */
  push(type: string, rest: string, expiresAtMs: number): number {
    if (this.nextId >= MAX_EVENT_ID) {
      this.clear();
      this.nextId = randomFirstUpdateId();
    }
    const id = this.nextId++;
    this.items.push({ id, type, json: `{"update_id":${id},\n${rest}}`, expiresAtMs });
    return id;
  }

  /** Index of the first stored update with id ≥ `id`. */
  private indexOf(id: number): number {
    let lo = this.start;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.items[mid] as QueuedUpdate).id < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Delete every update with id < `id`; returns the highest deleted id (0 if none). */
  confirmBelow(id: number): number {
    const idx = this.indexOf(id);
    if (idx === this.start) return 0;
    const last = (this.items[idx - 1] as QueuedUpdate).id;
    this.start = idx;
    this.compact();
    return last;
  }

  /** Keep only the newest `n` updates (negative offset -n); returns the highest deleted id (0 if none). */
  keepNewest(n: number): number {
    const drop = this.size - n;
    if (drop <= 0) return 0;
    const idx = this.start + drop;
    const last = (this.items[idx - 1] as QueuedUpdate).id;
    this.start = idx;
    this.compact();
    return last;
  }

  /** Remove one update by id (webhook success); true if it was stored. */
  remove(id: number): boolean {
    const idx = this.indexOf(id);
    if (idx >= this.items.length || (this.items[idx] as QueuedUpdate).id !== id) return false;
    if (idx === this.start) {
      this.start++;
      this.compact();
    } else this.items.splice(idx, 1);
    return true;
  }

  /** Up to `limit` unexpired updates with id ≥ `fromId`. */
  read(fromId: number, limit: number, nowMs: number): QueuedUpdate[] {
    this.dropExpiredHead(nowMs);
    const out: QueuedUpdate[] = [];
    for (let i = this.indexOf(fromId); i < this.items.length && out.length < limit; i++) {
      const u = this.items[i] as QueuedUpdate;
      if (u.expiresAtMs > nowMs) out.push(u);
    }
    return out;
  }

  /** The first unexpired update with id ≥ `fromId`, or undefined. */
  first(fromId: number, nowMs: number): QueuedUpdate | undefined {
    return this.read(fromId, 1, nowMs)[0];
  }

  /** Drop every stored update. */
  clear(): void {
    this.items = [];
    this.start = 0;
  }

  /** Drop expired updates at the head (cheap; expiry is mostly in id order). */
  dropExpiredHead(nowMs: number): void {
    const before = this.start;
    while (this.start < this.items.length && (this.items[this.start] as QueuedUpdate).expiresAtMs <= nowMs) this.start++;
    if (this.start !== before) this.compact();
  }

  /** Remove expired updates; returns how many. */
  sweep(nowMs: number): number {
    const before = this.size;
    if (before === 0) return 0;
    const live = this.items.slice(this.start).filter((u) => u.expiresAtMs > nowMs);
    this.items = live;
    this.start = 0;
    return before - live.length;
  }

  private compact(): void {
    if (this.start === this.items.length) {
      this.items = [];
      this.start = 0;
    } else if (this.start > 1024 && this.start * 2 > this.items.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
  }
}
