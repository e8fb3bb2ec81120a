// Traffic through the emulator: numbered texts sent to a bot at a steady (optionally seeded-jittered) pace, bounded,
// from one user or round-robin over many chats, and the bot's replies read back with the emulator's `sent?min=N` wait;
// the report says what was lost, answered twice, delivered twice, refused with 409, and the longest time without an
// answer; over many chats, whether each chat's replies came in order.
import type { EmulatorClient, SentMessage } from '../../src/emulator/index.js';
import { seededRandom, TEST_SEED } from './random.js';

/** The raw record: when each numbered text was sent and when each of its replies appeared (epoch ms). */
export interface TrafficLog {
  sentAt: Map<number, number>;
  /** Number → times its replies appeared (several = answered several times). */
  replies: Map<number, number[]>;
  /** Number → the instance tag in its reply, when `tagOf` found one. */
  repliedBy: Map<number, string>;
}

/** Options of a Traffic. */
export interface TrafficOptions {
  /** Texts are `<prefix><n>`; a reply belongs to n when it contains `<prefix><n>` as a word. Default `m`. */
  prefix?: string;
  /** Pause between two sends (ms; default 25). */
  everyMs?: number;
  /** Up to this much more (ms) per pause, drawn from a generator seeded with `seed` (default 0: no jitter). */
  jitterMs?: number;
  seed?: number;
  /** At most this many texts in all (default 2000): every loop ends. */
  max?: number;
  /** The instance that answered, from a reply's text (e.g. `from:(\S+)`). */
  tagOf?: (reply: string) => string | undefined;
  signal?: AbortSignal;
  /** Text n goes to chat `chatBase + n % chats` (default: the emulator's default chat). */
  chats?: number;
  /** The first chat id when `chats` is set (default 5000). */
  chatBase?: number;
}

/** What a window of traffic looked like from the users' side. */
export interface TrafficSummary {
  sent: number;
  lost: number;
  /** Extra replies (a text answered twice counts 1). */
  duplicates: number;
  /** Longest time with no reply, from `fromMs` to the last reply (or to `untilMs` when updates were lost). */
  longestGapMs: number;
  /** Largest send → first reply delay. */
  maxLatencyMs: number;
}

/** Per chat (traffic over `chats`): replies in the order of the texts, none lost; duplicates counted. */
export interface ChatOrderReport {
  sent: number;
  /** Texts that got no reply. */
  missing: string[];
  /**
   * Replies that break a chat's order: a text answered before the one before it in its chat (a gap), or answered for
   * the first time after a later one of its chat.
   */
  orderViolations: string[];
  /** A reply repeated after later texts of its chat were answered (a frozen worker's bot finishing late). */
  lateRepeats: string[];
  /** Replies beyond the first, per text. */
  duplicates: number;
}

/** TrafficSummary plus what the emulator counted, with the texts behind the numbers. */
export interface TrafficReport extends TrafficSummary {
  /** Texts that got no reply. */
  lostTexts: string[];
  /** Texts answered more than once, and how often. */
  duplicateTexts: Array<{ text: string; times: number }>;
  /** Updates the emulator put into more than one getUpdates answer. */
  redelivered: number;
  /** 409s the emulator answered for this bot. */
  conflicts: number;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Sends numbered texts to one bot and watches its replies; every loop is bounded by `max`, stop() and the signal. */
export class Traffic {
  readonly log: TrafficLog = { sentAt: new Map(), replies: new Map(), repliedBy: new Map() };
  /** The texts sent, in order (index = number). */
  readonly texts: string[] = [];
  /** update_id of each text, same index. */
  readonly updateIds: number[] = [];
  /** The number of each reply, in the order the emulator recorded them (repeats included). */
  readonly replyOrder: number[] = [];
  /** Sends the emulator refused or did not answer. */
  sendErrors = 0;
  private readonly prefix: string;
  private readonly re: RegExp;
  private readonly rand: () => number;
  private sending = false;
  private sendLoop: Promise<void> | undefined;
  private watching = false;
  private watchLoop: Promise<void> | undefined;
  private seen = 0;

  constructor(
    private readonly emu: EmulatorClient,
    private readonly botId: number,
    private readonly opts: TrafficOptions = {},
  ) {
    this.prefix = opts.prefix ?? 'm';
    this.re = new RegExp(`(?:^|[^A-Za-z0-9_])${escapeRe(this.prefix)}(\\d+)(?![0-9])`);
    this.rand = seededRandom(opts.seed ?? TEST_SEED);
  }

  /** How many texts were sent so far. */
  get count(): number {
    return this.texts.length;
  }

  /** Send one text now; resolves with its number. */
  async sendOne(): Promise<number> {
    const n = this.texts.length;
    if (n >= (this.opts.max ?? 2000)) throw new Error(`traffic ${this.prefix}: the bound of ${this.opts.max ?? 2000} texts is reached`);
    const text = `${this.prefix}${n}`;
    this.texts.push(text);
    this.log.sentAt.set(n, Date.now());
    try {
      const chats = this.opts.chats;
      this.updateIds[n] = await this.emu.sendText(this.botId, text, chats ? { chat_id: (this.opts.chatBase ?? 5000) + (n % chats) } : {});
    } catch (err) {
      this.sendErrors++;
      throw err;
    }
    return n;
  }

  /** Send one text every `everyMs` (+ seeded jitter) until stop(), the signal, or `max`. */
  start(): this {
    if (this.sending) return this;
    this.sending = true;
    const everyMs = this.opts.everyMs ?? 25;
    const jitter = this.opts.jitterMs ?? 0;
    const max = this.opts.max ?? 2000;
    this.sendLoop = (async () => {
      while (this.sending && !this.opts.signal?.aborted && this.texts.length < max) {
        const t = Date.now();
        await this.sendOne().catch(() => undefined);
        const pause = everyMs + (jitter > 0 ? Math.floor(this.rand() * (jitter + 1)) : 0);
        await new Promise((r) => setTimeout(r, Math.max(0, pause - (Date.now() - t))));
      }
    })();
    return this;
  }

  /** Resolves once the send loop ended by itself (`max` texts sent, or the signal) or after stop(). */
  async done(): Promise<void> {
    await this.sendLoop;
  }

  /** Stop sending; resolves once the last send finished. */
  async stop(): Promise<void> {
    this.sending = false;
    await this.sendLoop;
  }

  /** Resolves once `n` more texts were sent from now (bounded by `timeoutMs`): "let traffic flow for n messages". */
  async sendsMore(n: number, timeoutMs = 30_000): Promise<void> {
    const target = this.texts.length + n;
    const until = Date.now() + timeoutMs;
    while (this.texts.length < target) {
      if (Date.now() > until) throw new Error(`traffic ${this.prefix}: ${n} more sends did not happen within ${timeoutMs} ms`);
      if (!this.sending) throw new Error(`traffic ${this.prefix}: not sending`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Read the replies continuously in the background (each read waits on the emulator for a new one). */
  watch(): this {
    if (this.watching) return this;
    this.watching = true;
    this.watchLoop = (async () => {
      while (this.watching && !this.opts.signal?.aborted) await this.read(this.seen + 1, 1000).catch(() => undefined);
    })();
    return this;
  }

  /** Read the replies once; with `min`, the emulator answers once the bot sent that many messages (or after `waitMs`). */
  async read(min?: number, waitMs = 10_000): Promise<void> {
    const sent = await this.emu.sent(this.botId, min === undefined ? {} : { min, timeoutMs: waitMs });
    this.take(sent);
  }

  /** Whether every text sent so far has a reply. */
  allAnswered(): boolean {
    return this.texts.every((_t, n) => this.log.replies.has(n));
  }

  /** Wait until every text sent so far has a reply or `timeoutMs` passes; true when all did. */
  async drain(timeoutMs = 15_000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    await this.read();
    while (!this.allAnswered()) {
      const left = until - Date.now();
      if (left <= 0 || this.opts.signal?.aborted) return false;
      await this.read(this.seen + 1, Math.min(left, 2000));
    }
    return true;
  }

  /** Send one text and wait (≤ timeoutMs) for its reply; true when it came. */
  async probe(timeoutMs: number): Promise<boolean> {
    const n = await this.sendOne();
    const until = Date.now() + timeoutMs;
    while (!this.log.replies.has(n)) {
      const left = until - Date.now();
      if (left <= 0 || this.opts.signal?.aborted) return false;
      await this.read(this.seen + 1, Math.min(left, 2000));
    }
    return true;
  }

  /** Stop sending and watching; resolves after a last read (safe twice). */
  async close(): Promise<void> {
    this.sending = false;
    this.watching = false;
    await this.sendLoop;
    await this.watchLoop;
    await this.read().catch(() => undefined);
  }

  /** Drain (bounded), then report on everything sent at or after `fromMs` (default: all of it). */
  async report(o: { timeoutMs?: number; fromMs?: number } = {}): Promise<TrafficReport> {
    await this.drain(o.timeoutMs ?? 15_000);
    const stats = await this.emu.stats(this.botId);
    const fromMs = o.fromMs ?? this.log.sentAt.get(0) ?? Date.now();
    const summary = summarizeTraffic(this.log, fromMs, Date.now());
    return {
      ...summary,
      lostTexts: this.texts.filter((_t, n) => !this.log.replies.has(n) && (this.log.sentAt.get(n) ?? 0) >= fromMs),
      duplicateTexts: [...this.log.replies].filter(([, at]) => at.length > 1).map(([n, at]) => ({ text: this.texts[n] ?? String(n), times: at.length })),
      redelivered: Object.values(stats.delivered).filter((k) => k > 1).length,
      conflicts: stats.conflicts,
    };
  }

  /** Drain (bounded), then check each chat's order: text n is the (n / chats)-th of chat n % chats. */
  async chatOrder(timeoutMs = 30_000): Promise<ChatOrderReport> {
    await this.drain(timeoutMs);
    const chats = this.opts.chats ?? 1;
    const seen = new Set<number>();
    const maxSeq = new Map<number, number>();
    const orderViolations: string[] = [];
    const lateRepeats: string[] = [];
    const name = (chat: number, seq: number): string => this.texts[seq * chats + chat] ?? `chat ${chat} #${seq}`;
    for (const n of this.replyOrder) {
      const chat = n % chats;
      const s = Math.floor(n / chats);
      const max = maxSeq.get(chat) ?? -1;
      // A repeat of the latest one is a plain duplicate (at-least-once).
      if (s > max + 1) orderViolations.push(`${name(chat, s)} before ${name(chat, max + 1)}`);
      else if (s < max) (seen.has(n) ? lateRepeats : orderViolations).push(`${name(chat, s)} after ${name(chat, max)}`);
      seen.add(n);
      maxSeq.set(chat, Math.max(max, s));
    }
    return {
      sent: this.texts.length,
      missing: this.texts.filter((_t, n) => !this.log.replies.has(n)),
      orderViolations,
      lateRepeats,
      duplicates: this.replyOrder.length - seen.size,
    };
  }

  private take(sent: readonly SentMessage[]): void {
    for (let i = this.seen; i < sent.length; i++) {
      const m = sent[i];
      const hit = m?.text === undefined ? null : this.re.exec(m.text);
      if (!m || !hit) continue;
      const n = Number(hit[1]);
      if (n >= this.texts.length) continue;
      this.replyOrder.push(n);
      const list = this.log.replies.get(n) ?? [];
      list.push(m.at);
      this.log.replies.set(n, list);
      const tag = this.opts.tagOf?.(m.text ?? '');
      if (tag !== undefined) this.log.repliedBy.set(n, tag);
    }
    this.seen = Math.max(this.seen, sent.length);
  }
}

/** Summarise the texts sent at or after `fromMs` (epoch ms); pure. */
export function summarizeTraffic(t: TrafficLog, fromMs: number, untilMs: number): TrafficSummary {
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

/** One line for t.diagnostic. */
export function describeReport(r: TrafficReport): string {
  const dups = r.duplicateTexts.map((d) => `${d.text}×${d.times}`).join(' ');
  return `sent ${r.sent}, lost ${r.lost}${r.lostTexts.length ? ` (${r.lostTexts.slice(0, 10).join(' ')})` : ''}, answered twice ${r.duplicateTexts.length}${dups ? ` (${dups})` : ''}, delivered twice ${r.redelivered}, 409s ${r.conflicts}, longest gap ${r.longestGapMs} ms`;
}

/** One line for t.diagnostic. */
export function describeChatOrder(r: ChatOrderReport): string {
  return `sent ${r.sent}, missing ${r.missing.length}${r.missing.length ? ` (${r.missing.slice(0, 8).join(' ')})` : ''}, order violations ${r.orderViolations.length}${r.orderViolations.length ? ` (${r.orderViolations.slice(0, 5).join('; ')})` : ''}, late repeats ${r.lateRepeats.length}, duplicates ${r.duplicates}`;
}
