// Per-bot state (one per token and environment, docs/bot-api-semantics.md §11) and the registry of bots.
import type { ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { newChat, type ChatRec, type UserRec } from './objects.js';
import type { UploadedFile } from './params.js';
import { randomFirstUpdateId, UpdateQueue } from './queue.js';

/** Update type names the real server knows (§4.1). */
export const UPDATE_TYPES: readonly string[] = [
  'message', 'edited_message', 'channel_post', 'edited_channel_post', 'inline_query', 'chosen_inline_result',
  'callback_query', 'shipping_query', 'pre_checkout_query', 'poll', 'poll_answer', 'my_chat_member', 'chat_member',
  'chat_join_request', 'chat_boost', 'removed_chat_boost', 'message_reaction', 'message_reaction_count',
  'business_connection', 'business_message', 'edited_business_message', 'deleted_business_messages',
  'purchased_paid_media', 'managed_bot', 'guest_message',
];
const NOT_BY_DEFAULT = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);
/** The default `allowed_updates` set: everything but chat_member and reactions. */
export const DEFAULT_ALLOWED: ReadonlySet<string> = new Set(UPDATE_TYPES.filter((t) => !NOT_BY_DEFAULT.has(t)));

/** The bot's one pending long poll. */
export interface PendingPoll {
  res: ServerResponse;
  fromId: number;
  limit: number;
  /** The one timer: the deadline, replaced by the short batching timer when an update arrives. */
  timer: NodeJS.Timeout | undefined;
  woken: boolean;
  /** The client went away (only kept pending when `deadPollHoldsSlot`). */
  dead: boolean;
  detach(): void;
}

/** The webhook as getWebhookInfo reports it. */
export interface WebhookState {
  url: string;
  secretToken: string;
  maxConnections: number;
  ipAddress: string | undefined;
  hasCustomCertificate: boolean;
  lastErrorDate: number | undefined;
  lastErrorMessage: string | undefined;
}

/** One thing the bot sent, as `/_emulator/bots/<id>/sent` lists it. */
export interface SentItem {
  method: string;
  chat_id: number;
  text?: string;
  at: number;
  message_id?: number;
}

/** A stored file (uploaded by the bot, or created by the control API). */
export interface StoredFile {
  fileId: string;
  uniqueId: string;
  path: string;
  size: number;
  data: Buffer | undefined;
}

/** A callback query the bot may answer. */
export interface CallbackRec {
  chatId: number | undefined;
  expiresAtMs: number;
  answered: boolean;
}

/** Counters behind `/_emulator/bots/<id>/stats`. */
export interface BotStats {
  getUpdatesCalls: number;
  conflicts: number;
  delivered: Map<number, number>;
  confirmedUpTo: number;
  lastGetUpdatesAtMs: number;
  lastUserAgent: string | undefined;
  requests: number;
}

const MAX_DELIVERED_KEYS = 200_000;

/** Everything the emulator keeps about one bot in one environment. */
export class BotState {
  readonly queue: UpdateQueue;
  allowed: ReadonlySet<string> = DEFAULT_ALLOWED;
  allowedCustom = false;
  pending: PendingPoll | undefined;
  /** 409s being held back by the conflict rate limit. */
  readonly delayed = new Set<{ res: ServerResponse; timer: NodeJS.Timeout }>();
  prevOffset: number | undefined;
  prevStartMs = 0;
  nextConflictAtMs = 0;
  webhook: WebhookState = emptyWebhook();
  lastSetWebhookAtMs = 0;
  loggedOutUntilMs = 0;
  /** After `close`: no bot object is loaded until the next request. */
  closed = false;
  readonly stats: BotStats = { getUpdatesCalls: 0, conflicts: 0, delivered: new Map(), confirmedUpTo: 0, lastGetUpdatesAtMs: 0, lastUserAgent: undefined, requests: 0 };
  sent: SentItem[] = [];
  readonly chats = new Map<number, ChatRec>();
  readonly users = new Map<number, UserRec>();
  readonly commands = new Map<string, unknown[]>();
  readonly files = new Map<string, StoredFile>();
  readonly filesByPath = new Map<string, StoredFile>();
  /** Users who blocked the bot: sending to their private chat answers 403. */
  readonly blockedBy = new Set<number>();
  readonly callbacks = new Map<string, CallbackRec>();
  readonly texts = new Map<string, string>();
  nextFileSeq = 1;
  nextCallbackSeq = 1;
  /** The latest Bot API requests for this bot (method as sent, epoch ms), newest last; bounded. */
  requestLog: Array<{ method: string; at: number }> = [];

  constructor(
    readonly bot: BotIdentity,
    readonly env: 'prod' | 'test',
    firstUpdateId: number,
  ) {
    this.queue = new UpdateQueue(firstUpdateId);
  }

  /** Count one delivery of each update id (bounded map). */
  countDelivered(ids: readonly number[]): void {
    const d = this.stats.delivered;
    for (const id of ids) d.set(id, (d.get(id) ?? 0) + 1);
    if (d.size > MAX_DELIVERED_KEYS) {
      let excess = d.size - MAX_DELIVERED_KEYS;
      for (const k of d.keys()) {
        if (excess-- <= 0) break;
        d.delete(k);
      }
    }
  }

  /** Record a confirmation up to `id`. */
  confirmed(id: number): void {
    if (id > this.stats.confirmedUpTo) this.stats.confirmedUpTo = id;
  }

  /** A chat by id, created on demand for the default private chat of a known user. */
  chat(id: number): ChatRec | undefined {
    return this.chats.get(id);
  }

  /** Get or create a chat. */
  ensureChat(id: number, type: ChatRec['type'], user?: UserRec, title?: string): ChatRec {
    let c = this.chats.get(id);
    if (!c) {
      c = newChat(id, type, user, title);
      this.chats.set(id, c);
    }
    return c;
  }

  /** Log one request (keeps the latest 1000-2000). */
  logRequest(method: string, at: number): void {
    this.requestLog.push({ method, at });
    if (this.requestLog.length > 2000) this.requestLog.splice(0, 1000);
  }

  /** Record something sent (bounded list). */
  recordSent(item: SentItem, max: number): void {
    this.sent.push(item);
    if (this.sent.length > max) this.sent = this.sent.slice(this.sent.length - max);
  }
}

/** A webhook state meaning "polling". */
export function emptyWebhook(): WebhookState {
  return { url: '', secretToken: '', maxConnections: 40, ipAddress: undefined, hasCustomCertificate: false, lastErrorDate: undefined, lastErrorMessage: undefined };
}

/** Who a bot is: shared by its production and test environments. */
export interface BotIdentity {
  id: number;
  token: string;
  username: string;
  firstName: string;
  revoked: boolean;
}

/** A bot and its two environments (the test one created on first use). */
export interface BotEntry {
  identity: BotIdentity;
  prod: BotState;
  test: BotState | undefined;
}

const SECRET_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

/** A valid-format secret: 35 characters of [A-Za-z0-9_-]. */
export function randomSecret(): string {
  const bytes = randomBytes(35);
  let s = '';
  for (const b of bytes) s += SECRET_CHARS[b & 63];
  return s;
}

/** All bots of one emulator, by id and by token. */
export class Registry {
  readonly byId = new Map<number, BotEntry>();
  readonly byToken = new Map<string, BotEntry>();
  private nextId = 7_000_000_001 + Math.floor(Math.random() * 1_000_000) * 100;

  constructor(private readonly firstUpdateId: () => number = randomFirstUpdateId) {}

  /** Create a bot; `id`/`token` may be given (the token must start with `<id>:`). */
  create(o: { id?: number; token?: string; username?: string; first_name?: string }): BotEntry {
    let id = o.id;
    if (o.token !== undefined) {
      const tokenId = Number(o.token.slice(0, o.token.indexOf(':')));
      if (id !== undefined && id !== tokenId) throw new Error(`token ${id}:… does not match id ${id}`);
      id = tokenId;
    }
    if (id === undefined) {
      do id = this.nextId++;
      while (this.byId.has(id));
    }
    if (this.byId.has(id)) throw new Error(`a bot with id ${id} exists already`);
    const token = o.token ?? `${id}:${randomSecret()}`;
    if (this.byToken.has(token)) throw new Error('a bot with this token exists already');
    const identity: BotIdentity = { id, token, username: o.username ?? `emu_${id}_bot`, firstName: o.first_name ?? 'Test Bot', revoked: false };
    const entry: BotEntry = { identity, prod: new BotState(identity, 'prod', this.firstUpdateId()), test: undefined };
    this.byId.set(id, entry);
    this.byToken.set(token, entry);
    return entry;
  }

  /** The state for an environment, creating the test one on first use. */
  state(entry: BotEntry, env: 'prod' | 'test'): BotState {
    if (env === 'prod') return entry.prod;
    entry.test ??= new BotState(entry.identity, 'test', this.firstUpdateId());
    return entry.test;
  }

  /** Forget every bot. */
  clear(): void {
    this.byId.clear();
    this.byToken.clear();
  }
}

/** The uploaded-file shape re-exported for methods. */
export type { UploadedFile };
