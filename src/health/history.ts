// The status page's charts: a 15-minute ring of samples (bot tree memory, updates forwarded), pure, with an injectable clock.

/** One reading of the counters the page charts. */
export interface HistoryReading {
  /** Resident memory of the bot's process tree, bytes; null while no bot runs (standby, between restarts). */
  memoryBytes: number | null;
  /** The gateway's running total of updates forwarded to the bot (only ever grows within one botwarden run). */
  updatesForwarded: number;
}

/** A reading and when it was taken (epoch ms). */
export interface HistorySample extends HistoryReading {
  at: number;
}

/** What the page draws: points ordered by time, oldest first. */
export interface HistoryView {
  /** The span the charts cover, ms. */
  windowMs: number;
  /** The time between samples, ms. */
  intervalMs: number;
  /** `[at, bytes | null]`: null draws a gap (no bot running). */
  memory: Array<[number, number | null]>;
  /** `[at, updates per minute over the interval that ended at `at`]`. The first sample has no rate. */
  updatesPerMinute: Array<[number, number]>;
  /** The newest sample (the page draws from it to the live reading), or null before the first. */
  last: HistorySample | null;
  /** Grows with every recorded sample, so a reader can tell whether anything changed. */
  version: number;
}

/** History options; all defaults suit the status page. */
export interface HistoryOptions {
  /** How far back samples are kept, ms. Default 900000 (15 minutes). */
  windowMs?: number;
  /** Minimum time between two samples, ms. Default 10000. */
  intervalMs?: number;
  /** Epoch-ms clock. Default `Date.now`. */
  now?: () => number;
}

/** A fixed-size ring of samples covering `windowMs`. */
export class History {
  readonly windowMs: number;
  readonly intervalMs: number;
  private readonly now: () => number;
  private readonly capacity: number;
  private readonly samples: HistorySample[] = [];
  private version = 0;

  constructor(opts: HistoryOptions = {}) {
    this.windowMs = opts.windowMs ?? 900_000;
    this.intervalMs = opts.intervalMs ?? 10_000;
    if (!(this.intervalMs > 0) || !(this.windowMs >= this.intervalMs)) {
      throw new RangeError(`History: expected 0 < intervalMs <= windowMs, got intervalMs ${this.intervalMs}, windowMs ${this.windowMs}`);
    }
    this.now = opts.now ?? Date.now;
    this.capacity = Math.ceil(this.windowMs / this.intervalMs) + 1;
  }

  /** True when the last sample is at least `intervalMs` old (or there is none). */
  due(): boolean {
    const last = this.samples[this.samples.length - 1];
    return !last || this.now() - last.at >= this.intervalMs;
  }

  /** Record a reading taken now if a sample is due; returns whether it was recorded. */
  maybeRecord(reading: HistoryReading): boolean {
    if (!this.due()) return false;
    this.record(reading);
    return true;
  }

  /** Record a reading taken now, dropping samples that fell out of the window. */
  record(reading: HistoryReading): void {
    const at = this.now();
    const last = this.samples[this.samples.length - 1];
    // A clock stepped back must not leave samples out of order: the newest one wins its place.
    if (last && at < last.at) {
      const firstLater = this.samples.findIndex((s) => s.at > at);
      if (firstLater >= 0) this.samples.length = firstLater;
    }
    this.samples.push({ at, memoryBytes: positiveOrNull(reading.memoryBytes), updatesForwarded: Math.max(0, reading.updatesForwarded) });
    const oldest = at - this.windowMs;
    while (this.samples.length > this.capacity || (this.samples[0] && this.samples[0].at < oldest)) this.samples.shift();
    this.version += 1;
  }

  /** Samples within the window, oldest first (copies). */
  list(): HistorySample[] {
    const oldest = this.now() - this.windowMs;
    return this.samples.filter((s) => s.at >= oldest).map((s) => ({ ...s }));
  }

  /** The chart series. */
  view(): HistoryView {
    const list = this.list();
    const updatesPerMinute: Array<[number, number]> = [];
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1]!;
      const b = list[i]!;
      const dt = b.at - a.at;
      // A counter that went down was reset: count what it holds now.
      const delta = b.updatesForwarded >= a.updatesForwarded ? b.updatesForwarded - a.updatesForwarded : b.updatesForwarded;
      updatesPerMinute.push([b.at, dt > 0 ? round1((delta * 60_000) / dt) : 0]);
    }
    return {
      windowMs: this.windowMs,
      intervalMs: this.intervalMs,
      memory: list.map((s) => [s.at, s.memoryBytes]),
      updatesPerMinute,
      last: list.length > 0 ? { ...list[list.length - 1]! } : null,
      version: this.version,
    };
  }
}

function positiveOrNull(n: number | null): number | null {
  return n !== null && Number.isFinite(n) && n >= 0 ? n : null;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
