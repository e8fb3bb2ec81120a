// The control API under /_emulator/ (docs/contract.md §9.1: the ★ routes, plus extensions): bots, updates, sent, stats, faults, config.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorCore } from './core.js';
import { parseFault } from './faults.js';
import { chatJson, chatTypeForId, commandEntities, storeMessage, unixNow, userJson, type ChatRec, type ChatType, type UserRec } from './objects.js';
import { parseSwitches } from './options.js';
import { sendJson } from './reply.js';
import type { ControlBot, ControlStats } from './control-types.js';
import type { BotEntry, BotState } from './state.js';
import type { RivalPoller } from './rival-poller.js';

const MAX_CONTROL_BODY = 1024 * 1024;
/** The user who writes when the control API names none. */
export const DEFAULT_USER_ID = 1_000_000_042;

/** A control-API refusal: `{"error": message}` with this status. */
class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of req) {
    total += (c as Buffer).length;
    if (total > MAX_CONTROL_BODY) throw new ControlError(413, 'body too large');
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text) as unknown;
  } catch {
    throw new ControlError(400, 'the body is not valid JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ControlError(400, 'expected a JSON object');
  return v as Record<string, unknown>;
}

function optNum(b: Record<string, unknown>, k: string): number | undefined {
  const v = b[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new ControlError(400, `${k}: expected an integer, got ${JSON.stringify(v)}`);
  return v;
}

function optStr(b: Record<string, unknown>, k: string): string | undefined {
  const v = b[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ControlError(400, `${k}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function botPublic(e: BotEntry): ControlBot {
  return { id: e.identity.id, token: e.identity.token, username: e.identity.username, first_name: e.identity.firstName, revoked: e.identity.revoked };
}

function statsOf(bot: BotState, rival: RivalPoller | undefined): ControlStats {
  bot.queue.dropExpiredHead(Date.now());
  const delivered: Record<string, number> = {};
  for (const [id, n] of bot.stats.delivered) delivered[String(id)] = n;
  const w = bot.webhook;
  return {
    getUpdatesCalls: bot.stats.getUpdatesCalls,
    conflicts: bot.stats.conflicts,
    delivered,
    confirmedUpTo: bot.stats.confirmedUpTo,
    pending: bot.queue.size,
    webhook: { url: w.url, ...(w.lastErrorDate !== undefined ? { last_error_date: w.lastErrorDate, last_error_message: w.lastErrorMessage } : {}) },
    longPollWaiting: bot.pending !== undefined,
    lastGetUpdatesAt: bot.stats.lastGetUpdatesAtMs,
    lastUserAgent: bot.stats.lastUserAgent ?? null,
    requests: bot.stats.requests,
    nextUpdateId: bot.queue.nextId,
    ...(rival ? { rivalPoller: { ...rival.stats } } : {}),
  };
}

/** The user for an injected update (created or updated from the body). */
function userFrom(bot: BotState, b: Record<string, unknown>, fallbackId: number): UserRec {
  const id = optNum(b, 'user_id') ?? fallbackId;
  let u = bot.users.get(id);
  if (!u) {
    u = { id, first_name: 'Test User', username: `user${id}`, language_code: 'en' };
    bot.users.set(id, u);
  }
  const first = optStr(b, 'first_name');
  const last = optStr(b, 'last_name');
  const uname = optStr(b, 'username');
  const lang = optStr(b, 'language_code');
  if (first !== undefined) u.first_name = first;
  if (last !== undefined) u.last_name = last;
  if (uname !== undefined) u.username = uname;
  if (lang !== undefined) u.language_code = lang;
  return u;
}

const CHAT_TYPES = new Set(['private', 'group', 'supergroup', 'channel']);

/** The chat of an injected update: private with the user unless chat_id/chat_type say otherwise. */
function chatFrom(bot: BotState, b: Record<string, unknown>, user: UserRec): ChatRec {
  const id = optNum(b, 'chat_id') ?? user.id;
  const typeRaw = optStr(b, 'chat_type');
  if (typeRaw !== undefined && !CHAT_TYPES.has(typeRaw)) throw new ControlError(400, `chat_type: expected private, group, supergroup or channel, got ${JSON.stringify(typeRaw)}`);
  const type = (typeRaw as ChatType | undefined) ?? chatTypeForId(id);
  if (type === 'private' && id <= 0) throw new ControlError(400, 'a private chat has a positive id');
  if (type !== 'private' && id >= 0) throw new ControlError(400, 'group, supergroup and channel ids are negative');
  const chat = bot.ensureChat(id, type, user, optStr(b, 'chat_title'));
  const title = optStr(b, 'chat_title');
  if (title !== undefined && type !== 'private') chat.title = title;
  const uname = optStr(b, 'chat_username');
  if (uname !== undefined) chat.username = uname;
  return chat;
}

function injectMessage(core: EmulatorCore, bot: BotState, b: Record<string, unknown>): Record<string, unknown> {
  const text = optStr(b, 'text');
  if (text === undefined || text === '') throw new ControlError(400, 'text: required, a non-empty string');
  const chatIdHint = optNum(b, 'chat_id');
  const user = userFrom(bot, b, chatIdHint !== undefined && chatIdHint > 0 ? chatIdHint : DEFAULT_USER_ID);
  const chat = chatFrom(bot, b, user);
  const count = optNum(b, 'count') ?? 1;
  if (count < 1 || count > 1_000_000) throw new ControlError(400, 'count: expected 1 … 1 000 000');
  const channel = chat.type === 'channel';
  const type = channel ? 'channel_post' : 'message';
  const build = (): Record<string, unknown> => {
    const message_id = chat.nextMessageId++;
    const msg: Record<string, unknown> = { message_id };
    if (channel) msg.sender_chat = chatJson(chat);
    else msg.from = userJson(user);
    msg.chat = chatJson(chat);
    msg.date = unixNow();
    const replyTo = optNum(b, 'reply_to_message_id');
    const target = replyTo !== undefined ? chat.messages.get(replyTo) : undefined;
    if (target) msg.reply_to_message = target.obj;
    msg.text = text;
    const entities = Array.isArray(b.entities) ? b.entities : commandEntities(text);
    if (entities) msg.entities = entities;
    storeMessage(chat, { message_id, fromBot: false, obj: msg });
    return msg;
  };
  if (count === 1) {
    const msg = build();
    const r = core.addUpdate(bot, type, msg);
    return typeof r === 'number' ? { update_id: r, message_id: msg.message_id, chat_id: chat.id } : { update_id: 0, dropped: r, message_id: msg.message_id, chat_id: chat.id };
  }
  // Bulk: one message object serialised once, queued `count` times (benchmarks).
  const msg = build();
  const r = core.addUpdatesBulk(bot, type, JSON.stringify(msg), count);
  return { update_id: r.first, last_update_id: r.last, queued: r.queued, chat_id: chat.id };
}

function injectCallback(core: EmulatorCore, bot: BotState, b: Record<string, unknown>): Record<string, unknown> {
  const user = userFrom(bot, b, DEFAULT_USER_ID);
  const chat = chatFrom(bot, b, user);
  const mid = optNum(b, 'message_id');
  let msgObj: Record<string, unknown> | undefined;
  if (mid !== undefined) {
    msgObj = chat.messages.get(mid)?.obj;
    if (!msgObj) throw new ControlError(400, `message ${mid} is not known in chat ${chat.id}`);
  } else {
    for (const m of chat.messages.values()) if (m.fromBot) msgObj = m.obj;
    if (!msgObj) throw new ControlError(400, `the bot has sent no message in chat ${chat.id} to attach the button to; pass message_id`);
  }
  const id = `${bot.bot.id % 1_000_000}${Date.now() % 1_000_000_000}${bot.nextCallbackSeq++}`;
  const cq: Record<string, unknown> = { id, from: userJson(user), message: msgObj, chat_instance: String(Math.abs(chat.id * 7919) % 9_007_199_254_740_991) };
  const data = optStr(b, 'data');
  if (data !== undefined) cq.data = data;
  const r = core.addUpdate(bot, 'callback_query', cq);
  bot.callbacks.set(id, { chatId: chat.id, expiresAtMs: Date.now() + 150_000, answered: false });
  return typeof r === 'number' ? { update_id: r, callback_query_id: id } : { update_id: 0, dropped: r, callback_query_id: id };
}

/** Handle one request under /_emulator/. `path` is already URL-decoded, without the query. */
export async function handleControl(core: EmulatorCore, req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
  const reply = (status: number, body: unknown): void => {
    sendJson(res, status, JSON.stringify(body));
  };
  try {
    const method = req.method ?? 'GET';
    const body = method === 'POST' || method === 'PUT' ? await readJson(req) : (req.resume(), {});
    const parts = path.slice('/_emulator/'.length).split('/').filter((p) => p !== '');
    const route = `${method} ${parts[0] ?? ''}`;
    if (parts.length === 1) {
      switch (route) {
        case 'GET health':
          return reply(200, { ok: true, bots: core.registry.byId.size, uptimeMs: Date.now() - core.startedAtMs });
        case 'POST bots': {
          const id = optNum(body, 'id');
          const token = optStr(body, 'token');
          if (token !== undefined && !/^[1-9][0-9]{0,15}:[A-Za-z0-9_-]{1,80}$/.test(token)) throw new ControlError(400, 'token: expected <bot id>:<secret of A-Z a-z 0-9 _ ->');
          if (id !== undefined && id < 1) throw new ControlError(400, 'id: expected a positive integer');
          const username = optStr(body, 'username');
          const firstName = optStr(body, 'first_name');
          try {
            const e = core.registry.create({ ...(id !== undefined ? { id } : {}), ...(token !== undefined ? { token } : {}), ...(username !== undefined ? { username } : {}), ...(firstName !== undefined ? { first_name: firstName } : {}) });
            return reply(200, { id: e.identity.id, token: e.identity.token, username: e.identity.username });
          } catch (err) {
            throw new ControlError(409, (err as Error).message);
          }
        }
        case 'GET bots':
          return reply(200, { bots: [...core.registry.byId.values()].map(botPublic) });
        case 'POST faults':
          try {
            core.faults.add(parseFault(body));
          } catch (err) {
            throw new ControlError(400, `fault: ${(err as Error).message}`);
          }
          return reply(200, {});
        case 'GET faults':
          return reply(200, { faults: core.faults.list() });
        case 'DELETE faults':
          core.faults.clear();
          return reply(200, {});
        case 'GET config':
          return reply(200, core.switches);
        case 'POST config':
          try {
            core.switches = { ...core.switches, ...parseSwitches(body) };
          } catch (err) {
            throw new ControlError(400, (err as Error).message);
          }
          return reply(200, core.switches);
        case 'POST reset':
          core.reset();
          return reply(200, {});
      }
    }
    if (parts[0] === 'bots' && parts.length >= 2) {
      const id = Number(parts[1]);
      const entry = core.registry.byId.get(id);
      if (!entry) throw new ControlError(404, `no bot with id ${parts[1] ?? ''}`);
      const env = query.get('env') === 'test' ? 'test' : 'prod';
      const bot = core.registry.state(entry, env);
      const sub = `${method} ${parts.slice(2).join('/')}`;
      switch (sub) {
        case 'GET ':
          return reply(200, botPublic(entry));
        case 'POST updates':
          return reply(200, injectMessage(core, bot, body));
        case 'POST callback_query':
          return reply(200, injectCallback(core, bot, body));
        case 'GET sent': {
          // ?min=N&timeout_ms=T waits (up to T, default 10 s) until at least N messages were sent.
          const min = Number(query.get('min') ?? 0);
          if (min > 0 && bot.sent.length < min) {
            const until = Date.now() + Math.min(Number(query.get('timeout_ms') ?? 10_000) || 10_000, 60_000);
            while (bot.sent.length < min && Date.now() < until && !res.destroyed) await new Promise((r) => setTimeout(r, 10));
          }
          return reply(200, { messages: bot.sent });
        }
        case 'POST rival-poller': {
          const timeoutS = optNum(body, 'timeout') ?? 30;
          const retryMs = optNum(body, 'retry_ms') ?? 1000;
          if (timeoutS < 0 || retryMs < 0) throw new ControlError(400, 'timeout and retry_ms must be ≥ 0');
          core.startRivalPoller(bot, { timeoutS, retryMs, confirm: body.confirm !== false });
          return reply(200, {});
        }
        case 'DELETE rival-poller':
          core.stopRivalPoller(bot);
          return reply(200, {});
        case 'DELETE sent':
          bot.sent = [];
          return reply(200, {});
        case 'GET requests':
          return reply(200, { requests: bot.requestLog.slice(-1000) });
        case 'GET stats':
          return reply(200, statsOf(bot, core.rivalPollers.get(bot)));
        case 'POST revoke':
          entry.identity.revoked = true;
          for (const s of [entry.prod, entry.test]) {
            if (!s) continue;
            core.closeBotObject(s);
            core.stopDelivery(s);
          }
          return reply(200, {});
        case 'POST restore':
          entry.identity.revoked = false;
          return reply(200, {});
        case 'POST block':
        case 'POST unblock': {
          const uid = optNum(body, 'user_id') ?? DEFAULT_USER_ID;
          if (sub === 'POST block') bot.blockedBy.add(uid);
          else bot.blockedBy.delete(uid);
          return reply(200, {});
        }
        case 'POST reset': {
          core.retire(entry.prod);
          if (entry.test) core.retire(entry.test);
          core.registry.byId.delete(id);
          core.registry.byToken.delete(entry.identity.token);
          const fresh = core.registry.create({ id, token: entry.identity.token, username: entry.identity.username, first_name: entry.identity.firstName });
          return reply(200, botPublic(fresh));
        }
      }
    }
    throw new ControlError(404, `no control route ${method} ${path}`);
  } catch (err) {
    if (err instanceof ControlError) reply(err.status, { error: err.message });
    else reply(500, { error: (err as Error).message });
  }
}
