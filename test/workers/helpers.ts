// Worker-mode test helpers: N `botwarden run --workers` instances ("hosts"), messages over many chats, and the
// order / loss / duplicate check of the replies.
import path from 'node:path';
import type { Redis as RedisClient } from 'ioredis';
import { Redis } from 'ioredis';
import { startInstance, type Instance, type RunningEmulator } from '../helpers/fleet.js';
import { seededRandom } from '../helpers/random.js';

export const WORKER_ECHO = path.join(import.meta.dirname, '..', 'fixtures', 'bots', 'worker-echo.mjs');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The same seed, the same choices (test/helpers/random.ts). */
export const seeded = seededRandom;

/** Start one worker instance. */
export function startWorker(o: { name: string; emu: RunningEmulator; token: string; redis: string; ttlMs?: number; partitions?: number; handlerMs?: number; command?: string[] }): Promise<Instance> {
  return startInstance({
    name: o.name,
    apiRoot: o.emu.url,
    token: o.token,
    tokenVia: 'file',
    lease: o.redis,
    ttlMs: o.ttlMs ?? 3000,
    args: ['--stop-timeout', '3000', '--workers', o.redis, '--partitions', String(o.partitions ?? 8), '--restart', 'always'],
    command: o.command ?? ['/usr/bin/env', `HANDLER_MS=${o.handlerMs ?? 5}`, process.execPath, WORKER_ECHO],
  });
}

/** Sends `c<chat>-<seq>` texts round-robin over `chats` chats (chat ids base+0…), `everyMs` apart, at most `max`. */
export class ChatInjector {
  readonly texts: string[] = [];
  private running = true;
  private readonly loop: Promise<void>;
  constructor(emu: RunningEmulator, botId: number, opts: { chats: number; everyMs: number; max: number; base?: number }) {
    const base = opts.base ?? 5000;
    const seq = new Array<number>(opts.chats).fill(0);
    this.loop = (async () => {
      for (let i = 0; this.running && i < opts.max; i++) {
        const c = i % opts.chats;
        const text = `c${base + c}-${seq[c]!++}`;
        await emu.sendText(botId, text, { chat_id: base + c });
        this.texts.push(text);
        if (opts.everyMs > 0) await sleep(opts.everyMs);
      }
    })();
  }
  /** Resolves when all were sent (or after stop()). */
  done(): Promise<void> {
    return this.loop;
  }
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/** Per chat: replies in order, none lost; duplicates counted. */
export interface OrderReport {
  injected: number;
  missing: string[];
  /**
   * Replies that break a chat's order: a message answered before the one before it was (a gap), or answered for the
   * first time after a later one of its chat.
   */
  orderViolations: string[];
  /** A reply repeated after later messages of its chat were answered (a frozen worker's bot finishing late). */
  lateRepeats: string[];
  /** Replies beyond the first, per message. */
  duplicates: number;
}

/** Wait (bounded) until every text got its reply, then check per-chat order (`echo: c<chat>-<seq>`). */
export async function orderReport(emu: RunningEmulator, botId: number, texts: readonly string[], timeoutMs = 30_000): Promise<OrderReport> {
  const until = Date.now() + timeoutMs;
  let replies: string[];
  for (;;) {
    replies = (await emu.sent(botId)).flatMap((m) => (m.text?.startsWith('echo: ') ? [m.text.slice(6)] : []));
    const got = new Set(replies);
    if (texts.every((t) => got.has(t)) || Date.now() > until) break;
    await sleep(200);
  }
  const got = new Set(replies);
  const seen = new Set<string>();
  const maxSeq = new Map<string, number>();
  const orderViolations: string[] = [];
  const lateRepeats: string[] = [];
  for (const r of replies) {
    const m = /^(c-?\d+)-(\d+)$/.exec(r);
    if (!m) continue;
    const chat = m[1]!;
    const s = Number(m[2]);
    const max = maxSeq.get(chat) ?? -1;
    // A repeat of the latest one is a plain duplicate (at-least-once).
    if (s > max + 1) orderViolations.push(`${r} before ${chat}-${max + 1}`);
    else if (s < max) (seen.has(r) ? lateRepeats : orderViolations).push(`${r} after ${chat}-${max}`);
    seen.add(r);
    maxSeq.set(chat, Math.max(max, s));
  }
  return { injected: texts.length, missing: texts.filter((t) => !got.has(t)), orderViolations, lateRepeats, duplicates: replies.length - got.size };
}

export function describeOrder(r: OrderReport): string {
  return `injected ${r.injected}, missing ${r.missing.length}${r.missing.length ? ` (${r.missing.slice(0, 8).join(' ')})` : ''}, order violations ${r.orderViolations.length}${r.orderViolations.length ? ` (${r.orderViolations.slice(0, 5).join('; ')})` : ''}, late repeats ${r.lateRepeats.length}, duplicates ${r.duplicates}`;
}

/** Delete a bot's worker keys and lease keys from a Redis (the bot id makes them unique to one test). */
export async function dropKeys(url: string, botId: number): Promise<void> {
  const r: RedisClient = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    for (const pattern of [`botwarden:workers:{${botId}}:*`, `botwarden:lease:${botId}*`]) {
      let cursor = '0';
      for (let i = 0; i < 1000; i++) {
        const [next, keys] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        if (keys.length) await r.del(...keys);
        cursor = next;
        if (cursor === '0') break;
      }
    }
  } catch {
    // best effort
  } finally {
    r.disconnect();
  }
}

/** Sum of a counter in a /metrics text (all label sets). */
export async function metricSum(inst: Instance, name: string): Promise<number> {
  try {
    const text = await (await fetch(`${inst.healthUrl}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    let sum = 0;
    for (const line of text.split('\n')) if (line.startsWith(name) && !line.startsWith('#')) sum += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
    return sum;
  } catch {
    return 0;
  }
}
