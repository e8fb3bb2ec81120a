// Sends numbered text updates to an emulator bot at a steady rate and records when each reply appeared.
import type { BenchEmulator } from './emulator.js';
import { delay } from './proc.js';

/** One update sent and what became of it. */
export interface Traffic {
  sentAt: Map<number, number>;
  /** Message number → times (ms epoch) each reply appeared (several = duplicate replies). */
  replies: Map<number, number[]>;
  /** Message number → the instance tag the echo bot put in its reply ("from:<tag>"). */
  repliedBy: Map<number, string>;
}

/** Runs a sender and a reply watcher until stopped; all loops bounded by `stop()` and the signal. */
export class TrafficDriver {
  readonly traffic: Traffic = { sentAt: new Map(), replies: new Map(), repliedBy: new Map() };
  private sending = false;
  private watching = false;
  private sendLoop: Promise<void> | undefined;
  private watchLoop: Promise<void> | undefined;
  private seenCount = 0;
  private next = 0;
  private sendErrors = 0;

  constructor(
    private readonly emu: BenchEmulator,
    private readonly botId: number,
    private readonly prefix: string,
  ) {}

  /** Start watching /sent every `everyMs` (reply times come from the emulator's `at` when it is in ms, else from when seen). */
  watch(everyMs = 25, signal?: AbortSignal): void {
    if (this.watching) return;
    this.watching = true;
    this.watchLoop = (async () => {
      while (this.watching && !signal?.aborted) {
        await this.pollSent();
        await delay(everyMs);
      }
    })();
  }

  /** Send one update every `everyMs` until stopSending(). */
  startSending(everyMs: number, signal?: AbortSignal): void {
    if (this.sending) return;
    this.sending = true;
    this.sendLoop = (async () => {
      while (this.sending && !signal?.aborted) {
        const n = this.next++;
        const t = Date.now();
        try {
          await this.emu.postUpdate(this.botId, `${this.prefix}${n}`);
          this.traffic.sentAt.set(n, t);
        } catch {
          this.sendErrors++;
        }
        await delay(Math.max(0, everyMs - (Date.now() - t)));
      }
    })();
  }

  /** Send one update now and wait (≤ timeoutMs) for its reply; true when it came. */
  async probe(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const n = this.next++;
    this.traffic.sentAt.set(n, Date.now());
    await this.emu.postUpdate(this.botId, `${this.prefix}${n}`);
    const end = Date.now() + timeoutMs;
    while (Date.now() < end && !signal?.aborted) {
      await this.pollSent();
      if (this.traffic.replies.has(n)) return true;
      await delay(25);
    }
    return false;
  }

  /** Stop sending; resolves when the last send finished. */
  async stopSending(): Promise<void> {
    this.sending = false;
    await this.sendLoop;
  }

  /** Wait until every sent update has a reply or `timeoutMs` passes. */
  async drain(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end && !signal?.aborted) {
      await this.pollSent();
      if ([...this.traffic.sentAt.keys()].every((n) => this.traffic.replies.has(n))) return;
      await delay(50);
    }
  }

  /** Stop everything; safe twice. */
  async close(): Promise<void> {
    this.sending = false;
    this.watching = false;
    await this.sendLoop;
    await this.watchLoop;
    await this.pollSent();
  }

  /** Updates that could not even be posted to the emulator. */
  get postErrors(): number {
    return this.sendErrors;
  }

  private async pollSent(): Promise<void> {
    let sent;
    try {
      sent = await this.emu.sent(this.botId);
    } catch {
      return;
    }
    const now = Date.now();
    const re = new RegExp(`^echo:${this.prefix}(\\d+) from:(\\S+)`);
    for (let i = this.seenCount; i < sent.length; i++) {
      const m = sent[i];
      if (!m?.text) continue;
      const hit = re.exec(m.text);
      if (!hit) continue;
      const n = Number(hit[1]);
      const at = m.at > 1e12 ? m.at : now;
      const list = this.traffic.replies.get(n) ?? [];
      list.push(at);
      this.traffic.replies.set(n, list);
      this.traffic.repliedBy.set(n, hit[2] as string);
    }
    this.seenCount = Math.max(this.seenCount, sent.length);
  }
}

/** What a deploy/failover window looked like from the user's side. */
export interface TrafficSummary {
  sent: number;
  lost: number;
  duplicates: number;
  /** Longest time with no reply, between `fromMs` and the last reply (or `untilMs` when updates were lost). */
  longestGapMs: number;
  /** Largest sent → first reply delay. */
  maxLatencyMs: number;
}

/** Summarise the updates sent at or after `fromMs` (ms epoch). */
export function summarizeTraffic(t: Traffic, fromMs: number, untilMs: number): TrafficSummary {
  let sent = 0;
  let lost = 0;
  let duplicates = 0;
  let maxLatencyMs = 0;
  const replyTimes: number[] = [];
  for (const [n, at] of t.sentAt) {
    const replies = t.replies.get(n);
    if (at >= fromMs) {
      sent++;
      if (!replies?.length) lost++;
      else maxLatencyMs = Math.max(maxLatencyMs, Math.min(...replies) - at);
    }
    if (replies?.length) {
      duplicates += replies.length - 1;
      for (const r of replies) if (r >= fromMs) replyTimes.push(r);
    }
  }
  replyTimes.sort((a, b) => a - b);
  let longestGapMs = 0;
  let prev = fromMs;
  for (const r of replyTimes) {
    longestGapMs = Math.max(longestGapMs, r - prev);
    prev = r;
  }
  if (lost > 0) longestGapMs = Math.max(longestGapMs, untilMs - prev);
  return { sent, lost, duplicates, longestGapMs, maxLatencyMs };
}
