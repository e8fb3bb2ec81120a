// getUpdates: offsets, long polling, the one pending poll per bot and the 409 rules (docs/bot-api-semantics.md §4, §5).
import type { ServerResponse } from 'node:http';
import { ApiError, CONFLICT_OTHER_GET_UPDATES, CONFLICT_WEBHOOK_ACTIVE, tooManyRequests } from './errors.js';
import type { EmulatorSwitches } from './options.js';
import type { Params } from './params.js';
import type { QueuedUpdate } from './queue.js';
import { isLive, sendError, sendJson } from './reply.js';
import { DEFAULT_ALLOWED, UPDATE_TYPES, type BotState, type PendingPoll } from './state.js';

const KNOWN_TYPES = new Set(UPDATE_TYPES);
const MAX_OFFSET = 2_000_000_000;
const FUTURE_SLACK = 10;
const PAST_SLACK = 100_000;
/** The real server cuts a reply near 4 MiB of JSON, counting 50 bytes plus each update's size (§4.3). */
const MAX_REPLY_BYTES = 4 * 1024 * 1024;

/** Write `updates` as a getUpdates answer and count them delivered; false if the client was gone. */
export function answerUpdates(bot: BotState, res: ServerResponse, updates: readonly QueuedUpdate[]): boolean {
  let body: string;
  if (updates.length === 0) body = '{"ok":true,"result":[]}';
  else {
    let bytes = 0;
    const parts: string[] = [];
    for (const u of updates) {
      bytes += 50 + u.json.length;
      if (parts.length > 0 && bytes > MAX_REPLY_BYTES) break;
      parts.push(u.json);
    }
    body = `{"ok":true,"result":[${parts.join(',')}]}`;
    if (!isLive(res)) return false;
    bot.countDelivered(updates.slice(0, parts.length).map((u) => u.id));
  }
  return sendJson(res, 200, body);
}

/** Apply `allowed_updates` if it is a valid list (§4.1): `[]` or only unknown names = default; else keep. */
export function applyAllowedUpdates(bot: BotState, params: Params): void {
  if (!params.has('allowed_updates')) return;
  const v = params.json('allowed_updates');
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return;
  const set = new Set<string>();
  for (const name of v as string[]) {
    const t = name.toLowerCase();
    if (KNOWN_TYPES.has(t)) set.add(t);
  }
  if (set.size === 0) {
    bot.allowed = DEFAULT_ALLOWED;
    bot.allowedCustom = false;
  } else {
    bot.allowed = set;
    bot.allowedCustom = set.size !== DEFAULT_ALLOWED.size || [...set].some((t) => !DEFAULT_ALLOWED.has(t));
  }
}

/** Answer a 409 now, or after `conflictDelayMs` if one was answered less than that ago (§5.2 timing). */
export function sendConflict(bot: BotState, res: ServerResponse, text: string, sw: EmulatorSwitches, nowMs: number): void {
  const e = new ApiError(409, text);
  if (sw.conflictDelayMs <= 0 || nowMs >= bot.nextConflictAtMs) {
    bot.nextConflictAtMs = nowMs + sw.conflictDelayMs;
    if (sendError(res, e)) bot.stats.conflicts++;
    return;
  }
  const entry = {
    res,
    timer: setTimeout(() => {
      bot.delayed.delete(entry);
      res.off('close', onClose);
      if (sendError(res, e)) bot.stats.conflicts++;
    }, sw.conflictDelayMs),
  };
  const onClose = (): void => {
    clearTimeout(entry.timer);
    bot.delayed.delete(entry);
  };
  res.once('close', onClose);
  bot.delayed.add(entry);
}

/** End the pending poll without answering it (its client is gone, or it was answered). */
function clearPending(bot: BotState, p: PendingPoll): void {
  if (p.timer) clearTimeout(p.timer);
  p.timer = undefined;
  p.detach();
  if (bot.pending === p) bot.pending = undefined;
}

/** Answer the pending poll with what it can read now (timeout, wake-up, logOut/close). */
export function finishPending(bot: BotState, nowMs: number): void {
  const p = bot.pending;
  if (!p) return;
  clearPending(bot, p);
  if (p.dead) return;
  answerUpdates(bot, p.res, bot.queue.read(Math.max(p.fromId, bot.queue.headId), p.limit, nowMs));
}

/** Abort the pending poll with a 409 (`text`). */
export function abortPending(bot: BotState, text: string, sw: EmulatorSwitches, nowMs: number): void {
  const p = bot.pending;
  if (!p) return;
  clearPending(bot, p);
  if (!p.dead) sendConflict(bot, p.res, text, sw, nowMs);
}

/** Answer the pending poll and any held-back 409 with an error (emulator shutting down). */
export function endAllWaits(bot: BotState, e: ApiError): void {
  const p = bot.pending;
  if (p) {
    clearPending(bot, p);
    if (!p.dead) sendError(p.res, e);
  }
  for (const d of bot.delayed) {
    clearTimeout(d.timer);
    sendError(d.res, e);
  }
  bot.delayed.clear();
}

/** A new update was queued: wake the pending poll after the short batching delay (§4.4 point 4). */
export function wakePending(bot: BotState, sw: EmulatorSwitches): void {
  const p = bot.pending;
  if (!p || p.woken) return;
  p.woken = true;
  if (p.timer) clearTimeout(p.timer);
  p.timer = setTimeout(() => finishPending(bot, Date.now()), sw.longPollBatchMs);
}

/** Where reading starts after applying `offset` (and deleting what it confirms), per §4.3. */
function applyOffset(bot: BotState, offset: number): number {
  const q = bot.queue;
  if (offset < 0) {
    const last = q.keepNewest(-offset);
    if (last) bot.confirmed(last);
    return q.headId;
  }
  if (offset === 0 || offset >= MAX_OFFSET) return q.headId;
  const head = q.headId;
  const tail = q.nextId;
  if (offset > tail + FUTURE_SLACK || offset < head - PAST_SLACK) return head;
  const last = q.confirmBelow(offset);
  if (last) bot.confirmed(last);
  return offset;
}

/** Handle one getUpdates (after auth and faults). */
export function handleGetUpdates(bot: BotState, params: Params, res: ServerResponse, sw: EmulatorSwitches): void {
  const now = Date.now();
  if (bot.webhook.url !== '') {
    sendConflict(bot, res, CONFLICT_WEBHOOK_ACTIVE, sw, now);
    return;
  }
  if (sw.conflictMode === 'newer_loses' && bot.pending) {
    sendConflict(bot, res, CONFLICT_OTHER_GET_UPDATES, sw, now);
    return;
  }
  const offset = clampInt32(params.int('offset', 0));
  let limit = clamp(params.int('limit', 100), 1, 100);
  let timeoutS = clamp(params.int('timeout', 0), 0, sw.maxTimeoutS);
  applyAllowedUpdates(bot, params);
  if (sw.shortPollAdjust && bot.prevOffset === offset) {
    const since = now - bot.prevStartMs;
    if (since < 3000 && timeoutS < 3) timeoutS = Math.min(3, sw.maxTimeoutS);
    if (since < 500) limit = 1;
  }
  bot.prevOffset = offset;
  bot.prevStartMs = now;

  const fromId = applyOffset(bot, offset);
  const ready = bot.queue.read(fromId, limit, now);
  if (ready.length > 0 || timeoutS === 0) {
    answerUpdates(bot, res, ready);
    return;
  }
  if (bot.pending && !bot.pending.dead && !sw.deadPollHoldsSlot) {
    // Before this call ends the pending poll with a 409, let the I/O already received be handled: when the emulator
    // was not scheduled for a while, the pending poll's client may have closed its connection before this call came,
    // and a poll whose client is gone leaves the slot (installPending) instead of taking a 409 nobody reads.
    setImmediate(() => setImmediate(() => waitOrConflict(bot, res, fromId, limit, timeoutS, sw)));
    return;
  }
  waitOrConflict(bot, res, fromId, limit, timeoutS, sw);
}

/** The call waits: what arrived meanwhile is answered at once; else a pending poll (still there) gets a 409 and this one waits. */
function waitOrConflict(bot: BotState, res: ServerResponse, fromId: number, limit: number, timeoutS: number, sw: EmulatorSwitches): void {
  if (res.writableEnded || res.destroyed) return;
  const now = Date.now();
  const ready = bot.queue.read(fromId, limit, now);
  if (ready.length > 0) {
    answerUpdates(bot, res, ready);
    return;
  }
  if (bot.pending) abortPending(bot, CONFLICT_OTHER_GET_UPDATES, sw, now);
  installPending(bot, res, fromId, limit, timeoutS * 1000, sw);
}

function installPending(bot: BotState, res: ServerResponse, fromId: number, limit: number, timeoutMs: number, sw: EmulatorSwitches): void {
  const onClose = (): void => {
    if (bot.pending !== poll || res.writableEnded) return;
    if (sw.deadPollHoldsSlot) poll.dead = true;
    else clearPending(bot, poll);
  };
  const poll: PendingPoll = {
    res,
    fromId,
    limit,
    woken: false,
    dead: false,
    timer: setTimeout(() => finishPending(bot, Date.now()), timeoutMs),
    detach: () => res.off('close', onClose),
  };
  res.once('close', onClose);
  bot.pending = poll;
}

/** The error every wait gets when the emulator shuts down (as the real server's PromiseDeleter, §3). */
export const SHUTDOWN_ERROR = tooManyRequests(5);

function clamp(n: number, lo: number, hi: number): number {
  return n < lo ? lo : n > hi ? hi : n;
}

function clampInt32(n: number): number {
  return clamp(n, -2147483648, 2147483647);
}
