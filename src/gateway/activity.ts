// What the bot is busy with, as seen from its Bot API calls: for draining it before a stop (daemon/drain.ts).
//
// A bot is busy while a call of its (other than getUpdates) is in flight, shortly after one, or while an update it was
// handed has had no call yet for the same chat / query. The last part matters for libraries that confirm updates when
// they fetch them and handle them in the background (aiogram's handle_as_tasks, pyTelegramBotAPI threaded): a handler
// that works for 2 s before it replies makes no call meanwhile. Each call that names a chat (`chat_id`, `user_id`) or a
// query (`callback_query_id`, `inline_query_id`, …) counts the oldest unanswered update for it as handled (one per
// call: three messages in one chat wait for three replies); an update the bot never answers stops counting after the
// drain's bound (--stop-timeout).
import { monotonicMs } from '../util/clock.js';
import type { Params } from './params.js';

/** At most this many unanswered updates are remembered (the oldest are forgotten first). */
const MAX_OUTSTANDING = 10_000;

/** Parameters of a call that name what it answers, and the prefix of their key. */
const CALL_KEYS: ReadonlyArray<readonly [param: string, prefix: string]> = [
  ['chat_id', 'c:'],
  ['user_id', 'c:'],
  ['callback_query_id', 'q:'],
  ['inline_query_id', 'q:'],
  ['shipping_query_id', 'q:'],
  ['pre_checkout_query_id', 'q:'],
];
/** Update fields whose own id is answered by a `…_query_id`. */
const QUERY_FIELDS = new Set(['callback_query', 'inline_query', 'shipping_query', 'pre_checkout_query']);

/** The keys a call answers, from its parameters. `sendChatAction` ("typing…") answers nothing: it says work goes on. */
export function callKeys(method: string, params: Params): string[] {
  const keys: string[] = [];
  if (method.toLowerCase().startsWith('sendchataction')) return keys;
  for (const [name, prefix] of CALL_KEYS) {
    const v = params.get(name);
    if (typeof v === 'string' || typeof v === 'number') keys.push(`${prefix}${String(v).trim()}`);
  }
  return keys;
}

/** The keys a call for this update would carry: its chat, its sender, its query id. */
export function updateKeys(update: Record<string, unknown>): string[] {
  const keys = new Set<string>();
  for (const [field, value] of Object.entries(update)) {
    if (field === 'update_id' || typeof value !== 'object' || value === null) continue;
    const v = value as { id?: unknown; chat?: { id?: unknown }; from?: { id?: unknown }; message?: { chat?: { id?: unknown } }; user?: { id?: unknown } };
    const add = (id: unknown, prefix: string): void => {
      if (typeof id === 'number' || typeof id === 'string') keys.add(`${prefix}${id}`);
    };
    add(v.chat?.id, 'c:');
    add(v.message?.chat?.id, 'c:');
    add(v.from?.id, 'c:');
    add(v.user?.id, 'c:');
    if (QUERY_FIELDS.has(field)) add(v.id, 'q:');
  }
  return [...keys];
}

/** A summary for the drain and its warnings. */
export interface ActivitySnapshot {
  /** Calls (other than getUpdates) in flight now. */
  inFlight: number;
  /** Since the last call started or ended, ms (Infinity before the first). */
  idleMs: number;
  /** Calls started so far (a counter: the drain subtracts two readings). */
  calls: number;
  /** Updates handed out within `maxAgeMs` with no call yet for their chat or query. */
  unanswered: number;
}

/** Tracks the bot's calls and the updates it has not answered yet. */
export class BotActivity {
  private inFlight = 0;
  private lastAt = -Infinity;
  private calls = 0;
  /** update_id → when it was handed out and its keys. */
  private readonly outstanding = new Map<number, { at: number; keys: string[] }>();
  /** key → update_ids waiting for a call with that key. */
  private readonly byKey = new Map<string, Set<number>>();

  /** Whether a call's parameters are worth reading (an update waits for an answer). */
  get wantsKeys(): boolean {
    return this.outstanding.size > 0;
  }

  /** Updates were handed to the bot. */
  handedOut(updates: readonly unknown[]): void {
    const at = monotonicMs();
    for (const u of updates) {
      if (typeof u !== 'object' || u === null) continue;
      const id = (u as { update_id?: unknown }).update_id;
      if (typeof id !== 'number') continue;
      const keys = updateKeys(u as Record<string, unknown>);
      if (keys.length === 0) continue;
      this.forget(id);
      this.outstanding.set(id, { at, keys });
      for (const k of keys) {
        let set = this.byKey.get(k);
        if (!set) this.byKey.set(k, (set = new Set()));
        set.add(id);
      }
    }
    while (this.outstanding.size > MAX_OUTSTANDING) {
      const oldest = this.outstanding.keys().next().value;
      if (oldest === undefined) break;
      this.forget(oldest);
    }
  }

  /** A call (not getUpdates) started; `keys` from `callKeys`. Returns the function to call when it ends. */
  callStarted(keys: readonly string[] = []): () => void {
    this.inFlight++;
    this.calls++;
    const now = (this.lastAt = monotonicMs());
    let oldest: number | undefined;
    let oldestAt = Infinity;
    for (const k of keys) {
      for (const id of this.byKey.get(k) ?? []) {
        const at = this.outstanding.get(id)?.at ?? Infinity;
        if (at <= now && at < oldestAt) [oldest, oldestAt] = [id, at];
      }
    }
    if (oldest !== undefined) this.forget(oldest);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inFlight--;
      this.lastAt = monotonicMs();
    };
  }

  snapshot(maxAgeMs = Infinity): ActivitySnapshot {
    const now = monotonicMs();
    let unanswered = 0;
    for (const { at } of this.outstanding.values()) if (now - at <= maxAgeMs) unanswered++;
    return { inFlight: this.inFlight, idleMs: now - this.lastAt, calls: this.calls, unanswered };
  }

  private forget(id: number): void {
    const o = this.outstanding.get(id);
    if (!o) return;
    this.outstanding.delete(id);
    for (const k of o.keys) {
      const set = this.byKey.get(k);
      set?.delete(id);
      if (set?.size === 0) this.byKey.delete(k);
    }
  }
}
