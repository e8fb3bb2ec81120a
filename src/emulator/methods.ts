// Bot API methods other than getUpdates: getMe, send*, edits, webhooks, commands, files, logOut/close, …
import { ApiError, badRequest, CONFLICT_BY_SET_WEBHOOK, tooManyRequests } from './errors.js';
import type { EmulatorCore } from './core.js';
import { chatJson, chatTypeForId, storeMessage, unixNow, userJson, type ChatRec, type MessageRec } from './objects.js';
import { lenientInt } from '../telegram/wire-params.js';
import type { Params, UploadedFile } from './params.js';
import { abortPending, applyAllowedUpdates } from './polling.js';
import { emptyWebhook, type BotState, type StoredFile } from './state.js';

/** What a method handler gets. */
export interface MethodContext {
  core: EmulatorCore;
  bot: BotState;
  params: Params;
}

/** A result that carries a `description` next to it (setWebhook, deleteWebhook). */
export class Described {
  constructor(
    readonly result: unknown,
    readonly description: string,
  ) {}
}

/** A method: returns the `result` value (or Described), or throws ApiError. */
export type MethodHandler = (ctx: MethodContext) => unknown;

const MAX_TEXT = 4096;
const MAX_CAPTION = 1024;
/** Files kept per bot for getFile and downloads (oldest forgotten); uploads are held in memory. */
const MAX_FILES_PER_BOT = 500;
const SECRET_OK = /^[A-Za-z0-9_-]*$/;
const CHAT_ACTIONS = new Set(['typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice', 'upload_document', 'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note']);
const PARSE_MODES = new Set(['', 'html', 'markdown', 'markdownv2']);
const WEBHOOK_PORTS = new Set([80, 88, 443, 8443]);

function botUser(bot: BotState): Record<string, unknown> {
  return { id: bot.bot.id, is_bot: true, first_name: bot.bot.firstName, username: bot.bot.username };
}

/** The chat named by `name` (chat_id by default); `chat_id is empty` / `chat not found` as the real server. */
function resolveChat(ctx: MethodContext, name = 'chat_id'): ChatRec {
  const raw = ctx.params.str(name);
  if (raw === undefined || raw.trim() === '') throw badRequest(`${name} is empty`);
  const { bot } = ctx;
  if (raw.startsWith('@')) {
    const uname = raw.slice(1).toLowerCase();
    for (const c of bot.chats.values()) if (c.type !== 'private' && c.username?.toLowerCase() === uname) return c;
    throw badRequest('chat not found');
  }
  const id = lenientInt(raw.trim());
  const chat = bot.chats.get(id);
  if (chat) return chat;
  if (id !== 0 && ctx.core.switches.autoCreateChats) return bot.ensureChat(id, chatTypeForId(id), id > 0 ? bot.users.get(id) : undefined);
  throw badRequest('chat not found');
}

function blockedCheck(bot: BotState, chat: ChatRec): void {
  if (chat.type === 'private' && bot.blockedBy.has(chat.id)) throw new ApiError(403, 'Forbidden: bot was blocked by the user');
}

function replyMarkup(params: Params): Record<string, unknown> | undefined {
  if (!params.has('reply_markup')) return undefined;
  const v = params.json('reply_markup');
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badRequest("can't parse reply keyboard markup JSON object");
  return v as Record<string, unknown>;
}

function checkParseMode(params: Params): void {
  const pm = params.str('parse_mode');
  if (pm !== undefined && !PARSE_MODES.has(pm.toLowerCase())) throw badRequest(`unsupported parse_mode`);
}

function entitiesParam(params: Params, name: string): unknown[] | undefined {
  if (!params.has(name)) return undefined;
  const v = params.json(name);
  if (!Array.isArray(v)) throw badRequest(`can't parse entities JSON object`);
  return v.length ? v : undefined;
}

/** The replied-to message for reply_to_message_id / reply_parameters, or undefined. */
function replyTarget(ctx: MethodContext, chat: ChatRec): Record<string, unknown> | undefined {
  let id = ctx.params.int('reply_to_message_id', 0);
  let allowMissing = ctx.params.bool('allow_sending_without_reply');
  const rp = ctx.params.json('reply_parameters');
  if (typeof rp === 'object' && rp !== null) {
    const r = rp as Record<string, unknown>;
    if (typeof r.message_id === 'number') id = r.message_id;
    if (r.allow_sending_without_reply === true) allowMissing = true;
  }
  if (id === 0) return undefined;
  const m = chat.messages.get(id);
  if (!m) {
    if (allowMissing) return undefined;
    throw badRequest('message to be replied not found');
  }
  const copy = { ...m.obj };
  delete copy.reply_to_message;
  return copy;
}

/** Create a message from the bot in `chat`, store it, record it as sent. */
function botMessage(ctx: MethodContext, method: string, chat: ChatRec, content: Record<string, unknown>, markup?: Record<string, unknown>, text?: string): Record<string, unknown> {
  const { bot } = ctx;
  const message_id = chat.nextMessageId++;
  const obj: Record<string, unknown> = { message_id, from: botUser(bot), chat: chatJson(chat), date: unixNow() };
  const reply = replyTarget(ctx, chat);
  if (reply) obj.reply_to_message = reply;
  Object.assign(obj, content);
  if (markup && Array.isArray(markup.inline_keyboard)) obj.reply_markup = { inline_keyboard: markup.inline_keyboard };
  storeMessage(chat, { message_id, fromBot: true, obj });
  bot.recordSent({ method, chat_id: chat.id, ...(text !== undefined ? { text } : {}), at: Date.now(), message_id }, ctx.core.switches.maxSentPerBot);
  return obj;
}

function sendMessage(ctx: MethodContext): unknown {
  const text = ctx.params.str('text') ?? '';
  if (text.trim() === '') throw badRequest('message text is empty');
  const chat = resolveChat(ctx);
  blockedCheck(ctx.bot, chat);
  if (text.length > MAX_TEXT) throw badRequest('message is too long');
  checkParseMode(ctx.params);
  const markup = replyMarkup(ctx.params);
  const entities = entitiesParam(ctx.params, 'entities');
  const content: Record<string, unknown> = { text };
  if (entities) content.entities = entities;
  return botMessage(ctx, 'sendMessage', chat, content, markup, text);
}

/** A message of the bot's that may be edited: chat_id + message_id (inline_message_id → undefined). */
function editTarget(ctx: MethodContext): { chat: ChatRec; msg: MessageRec } | undefined {
  if (ctx.params.str('inline_message_id')) return undefined;
  const chat = resolveChat(ctx);
  const id = ctx.params.int('message_id', 0);
  if (id === 0) throw badRequest('message identifier is not specified');
  const msg = chat.messages.get(id);
  if (!msg) throw badRequest('message to edit not found');
  if (!msg.fromBot) throw badRequest("message can't be edited");
  return { chat, msg };
}

const NOT_MODIFIED = 'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';

function applyEdit(ctx: MethodContext, method: string, t: { chat: ChatRec; msg: MessageRec }, changes: Record<string, unknown>, markup: Record<string, unknown> | undefined): Record<string, unknown> {
  const obj = t.msg.obj;
  const newMarkup = markup && Array.isArray(markup.inline_keyboard) ? { inline_keyboard: markup.inline_keyboard } : undefined;
  const same = Object.entries(changes).every(([k, v]) => JSON.stringify(obj[k]) === JSON.stringify(v)) && JSON.stringify(obj.reply_markup) === JSON.stringify(newMarkup);
  if (same) throw badRequest(NOT_MODIFIED);
  const next: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'reply_markup') continue;
    next[k] = k in changes ? changes[k] : v;
    if (k === 'date') next.edit_date = unixNow();
  }
  for (const [k, v] of Object.entries(changes)) if (!(k in next) && v !== undefined) next[k] = v;
  for (const k of Object.keys(next)) if (next[k] === undefined) delete next[k];
  if (newMarkup) next.reply_markup = newMarkup;
  t.msg.obj = next;
  const text = typeof next.text === 'string' ? next.text : typeof next.caption === 'string' ? next.caption : undefined;
  ctx.bot.recordSent({ method, chat_id: t.chat.id, ...(text !== undefined ? { text } : {}), at: Date.now(), message_id: t.msg.message_id }, ctx.core.switches.maxSentPerBot);
  return next;
}

function editMessageText(ctx: MethodContext): unknown {
  const text = ctx.params.str('text') ?? '';
  if (text.trim() === '') throw badRequest('message text is empty');
  checkParseMode(ctx.params);
  const markup = replyMarkup(ctx.params);
  const t = editTarget(ctx);
  if (!t) return true;
  return applyEdit(ctx, 'editMessageText', t, { text, entities: entitiesParam(ctx.params, 'entities') }, markup);
}

function editMessageCaption(ctx: MethodContext): unknown {
  const caption = ctx.params.str('caption') ?? '';
  const markup = replyMarkup(ctx.params);
  const t = editTarget(ctx);
  if (!t) return true;
  if (t.msg.obj.text !== undefined) throw badRequest('there is no caption in the message to edit');
  return applyEdit(ctx, 'editMessageCaption', t, { caption: caption === '' ? undefined : caption }, markup);
}

function editMessageReplyMarkup(ctx: MethodContext): unknown {
  const markup = replyMarkup(ctx.params);
  const t = editTarget(ctx);
  if (!t) return true;
  return applyEdit(ctx, 'editMessageReplyMarkup', t, {}, markup);
}

function deleteMessage(ctx: MethodContext): unknown {
  const chat = resolveChat(ctx);
  const id = ctx.params.int('message_id', 0);
  if (id === 0) throw badRequest('message identifier is not specified');
  if (!chat.messages.delete(id)) throw badRequest('message to delete not found');
  ctx.bot.recordSent({ method: 'deleteMessage', chat_id: chat.id, at: Date.now(), message_id: id }, ctx.core.switches.maxSentPerBot);
  return true;
}

function sendChatAction(ctx: MethodContext): unknown {
  const chat = resolveChat(ctx);
  const action = ctx.params.str('action') ?? '';
  if (action === '') throw badRequest('action is empty');
  if (!CHAT_ACTIONS.has(action.toLowerCase())) throw badRequest('wrong parameter action in request');
  blockedCheck(ctx.bot, chat);
  return true;
}

const CONTENT_KEYS = ['text', 'entities', 'caption', 'caption_entities', 'photo', 'document', 'video', 'audio', 'voice', 'animation', 'sticker'];

function copyContent(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of CONTENT_KEYS) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

function sourceMessage(ctx: MethodContext, what: 'forward' | 'copy'): MessageRec {
  const from = resolveChat(ctx, 'from_chat_id');
  const id = ctx.params.int('message_id', 0);
  const m = from.messages.get(id);
  if (!m) throw badRequest(`message to ${what} not found`);
  return m;
}

function forwardMessage(ctx: MethodContext): unknown {
  const chat = resolveChat(ctx);
  const src = sourceMessage(ctx, 'forward');
  const origFrom = src.obj.from as Record<string, unknown> | undefined;
  const content: Record<string, unknown> = {
    forward_origin: { type: 'user', sender_user: origFrom, date: src.obj.date },
    ...(origFrom ? { forward_from: origFrom } : {}),
    forward_date: src.obj.date,
    ...copyContent(src.obj),
  };
  const text = (src.obj.text ?? src.obj.caption) as string | undefined;
  return botMessage(ctx, 'forwardMessage', chat, content, undefined, text);
}

function copyMessage(ctx: MethodContext): unknown {
  const chat = resolveChat(ctx);
  const src = sourceMessage(ctx, 'copy');
  const content = copyContent(src.obj);
  if (ctx.params.has('caption') && content.text === undefined) content.caption = ctx.params.str('caption');
  const text = (content.text ?? content.caption) as string | undefined;
  const m = botMessage(ctx, 'copyMessage', chat, content, replyMarkup(ctx.params), text);
  return { message_id: m.message_id };
}

/** Store an upload (or a reference to a URL) and return its StoredFile. */
function storeFile(bot: BotState, kind: string, file: UploadedFile | undefined, size: number): StoredFile {
  const seq = bot.nextFileSeq++;
  const ext = file?.filename.includes('.') ? file.filename.slice(file.filename.lastIndexOf('.')) : kind === 'photo' ? '.jpg' : '';
  const dir = kind === 'photo' ? 'photos' : kind === 'document' ? 'documents' : `${kind}s`;
  const f: StoredFile = {
    fileId: `EMU${bot.bot.id.toString(36)}${kind.slice(0, 3).toUpperCase()}${seq.toString(36)}${Math.random().toString(36).slice(2, 10)}`,
    uniqueId: `AQAD${seq.toString(36)}${bot.bot.id.toString(36)}`,
    path: `${dir}/file_${seq}${ext}`,
    size,
    data: file?.data,
  };
  bot.files.set(f.fileId, f);
  bot.filesByPath.set(f.path, f);
  if (bot.files.size > MAX_FILES_PER_BOT) {
    const oldest = bot.files.values().next();
    if (!oldest.done) {
      bot.files.delete(oldest.value.fileId);
      bot.filesByPath.delete(oldest.value.path);
    }
  }
  return f;
}

/** sendPhoto, sendDocument, sendVideo, …: the file in `field` (upload, attach://, file_id or URL). */
function sendMedia(method: string, field: string): MethodHandler {
  return (ctx) => {
    const { params, bot } = ctx;
    let upload = params.files.get(field);
    let stored: StoredFile | undefined;
    const ref = params.str(field);
    if (!upload && ref !== undefined) {
      if (ref.startsWith('attach://')) upload = params.files.get(ref.slice(9));
      else if (bot.files.has(ref)) stored = bot.files.get(ref);
      else if (/^https?:\/\//i.test(ref)) stored = storeFile(bot, field, { filename: ref.slice(ref.lastIndexOf('/') + 1) || field, mime: 'application/octet-stream', data: Buffer.alloc(0) }, 0);
      else throw badRequest('wrong file identifier/HTTP URL specified');
    }
    if (!upload && !stored) throw badRequest(`there is no ${field} in the request`);
    const chat = resolveChat(ctx);
    blockedCheck(bot, chat);
    const caption = params.str('caption');
    if (caption !== undefined && caption.length > MAX_CAPTION) throw badRequest('message caption is too long');
    checkParseMode(params);
    stored ??= storeFile(bot, field, upload, upload?.data.length ?? 0);
    const base = { file_id: stored.fileId, file_unique_id: stored.uniqueId, file_size: stored.size };
    const content: Record<string, unknown> = {};
    if (field === 'photo') content.photo = [{ ...base, width: 90, height: 90 }];
    else content[field] = { ...(upload ? { file_name: upload.filename, mime_type: upload.mime } : {}), ...base };
    if (caption) content.caption = caption;
    return botMessage(ctx, method, chat, content, replyMarkup(params), caption);
  };
}

function getFile(ctx: MethodContext): unknown {
  const id = ctx.params.str('file_id') ?? '';
  if (id === '') throw badRequest('file_id is empty');
  const f = ctx.bot.files.get(id);
  if (!f) throw badRequest('invalid file_id');
  return { file_id: f.fileId, file_unique_id: f.uniqueId, file_size: f.size, file_path: f.path };
}

function getMe(ctx: MethodContext): unknown {
  const b = ctx.bot.bot;
  return {
    id: b.id,
    is_bot: true,
    first_name: b.firstName,
    username: b.username,
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    supports_guest_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
    has_topics_enabled: false,
    allows_users_to_create_topics: false,
    can_manage_bots: false,
    supports_join_request_queries: false,
  };
}

function getWebhookInfo(ctx: MethodContext): unknown {
  const w = ctx.bot.webhook;
  ctx.bot.queue.dropExpiredHead(Date.now());
  const o: Record<string, unknown> = { url: w.url, has_custom_certificate: w.hasCustomCertificate, pending_update_count: ctx.bot.queue.size };
  if (w.lastErrorDate !== undefined) {
    o.last_error_date = w.lastErrorDate;
    o.last_error_message = w.lastErrorMessage ?? '';
  }
  if (w.url !== '') {
    o.max_connections = w.maxConnections;
    o.ip_address = w.ipAddress ?? '127.0.0.1';
  }
  if (ctx.bot.allowedCustom) o.allowed_updates = [...ctx.bot.allowed];
  return o;
}

function deleteWebhookImpl(ctx: MethodContext): Described {
  const { bot, core } = ctx;
  if (ctx.params.bool('drop_pending_updates')) bot.queue.clear();
  if (bot.webhook.url === '') return new Described(true, 'Webhook is already deleted');
  core.stopDelivery(bot);
  bot.webhook = emptyWebhook();
  return new Described(true, 'Webhook was deleted');
}

function setWebhook(ctx: MethodContext): unknown {
  const { params, bot, core } = ctx;
  const sw = core.switches;
  const url = (params.str('url') ?? '').trim();
  if (url === '') return deleteWebhookImpl(ctx);
  const now = Date.now();
  if (sw.setWebhookMinIntervalMs > 0 && now - bot.lastSetWebhookAtMs < sw.setWebhookMinIntervalMs) throw tooManyRequests(1);
  let parsed: URL;
  try {
    parsed = new URL(url.includes('://') ? url : `https://${url}`);
  } catch {
    throw badRequest('invalid webhook URL specified');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw badRequest('invalid webhook URL specified');
  if (sw.webhookRequireHttps) {
    if (parsed.protocol !== 'https:') throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
    if (!WEBHOOK_PORTS.has(Number(parsed.port || 443))) throw badRequest('bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443');
  }
  const secret = params.str('secret_token') ?? '';
  if (secret.length > 256) throw badRequest('secret token is too long');
  if (!SECRET_OK.test(secret)) throw badRequest('secret token contains unallowed characters');
  const maxConn = Math.min(Math.max(params.int('max_connections', 40), 1), sw.webhookRequireHttps ? 100 : 100_000);
  const ip = params.str('ip_address') || undefined;
  const hasCert = params.files.has('certificate') || (params.str('certificate') ?? '').startsWith('attach://');
  const drop = params.bool('drop_pending_updates');
  applyAllowedUpdates(bot, params);
  bot.lastSetWebhookAtMs = now;
  const href = url.includes('://') ? url : parsed.href;
  const w = bot.webhook;
  if (!drop && w.url === href && w.secretToken === secret && w.maxConnections === maxConn && w.ipAddress === ip && w.hasCustomCertificate === hasCert) {
    return new Described(true, 'Webhook is already set');
  }
  if (drop) bot.queue.clear();
  abortPending(bot, CONFLICT_BY_SET_WEBHOOK, sw, now);
  core.stopDelivery(bot);
  bot.webhook = { url: href, secretToken: secret, maxConnections: maxConn, ipAddress: ip, hasCustomCertificate: hasCert, lastErrorDate: undefined, lastErrorMessage: undefined };
  core.delivery(bot).kick();
  return new Described(true, 'Webhook was set');
}

function answerCallbackQuery(ctx: MethodContext): unknown {
  const id = ctx.params.str('callback_query_id') ?? '';
  const cb = ctx.bot.callbacks.get(id);
  if (!cb || cb.answered || cb.expiresAtMs <= Date.now()) throw badRequest('query is too old and response timeout expired or query ID is invalid');
  cb.answered = true;
  const text = ctx.params.str('text');
  ctx.bot.recordSent({ method: 'answerCallbackQuery', chat_id: cb.chatId ?? 0, ...(text !== undefined ? { text } : {}), at: Date.now() }, ctx.core.switches.maxSentPerBot);
  return true;
}

function commandsKey(params: Params): string {
  const scope = params.json('scope');
  const type = typeof scope === 'object' && scope !== null ? String((scope as Record<string, unknown>).type ?? 'default') : 'default';
  const extra = typeof scope === 'object' && scope !== null ? JSON.stringify({ ...(scope as object), type }) : '{"type":"default"}';
  return `${type}|${extra}|${params.str('language_code') ?? ''}`;
}

const COMMAND_OK = /^[a-z0-9_]{1,32}$/;

function setMyCommands(ctx: MethodContext): unknown {
  const v = ctx.params.json('commands');
  if (!Array.isArray(v)) throw badRequest("can't parse commands JSON object");
  if (v.length > 100) throw badRequest('too many commands specified');
  const list: Array<{ command: string; description: string }> = [];
  for (const c of v as unknown[]) {
    const o = (typeof c === 'object' && c !== null ? c : {}) as Record<string, unknown>;
    const command = typeof o.command === 'string' ? o.command.replace(/^\//, '') : '';
    const description = typeof o.description === 'string' ? o.description : '';
    if (!COMMAND_OK.test(command)) throw badRequest('BOT_COMMAND_INVALID');
    if (description.length === 0 || description.length > 256) throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
    list.push({ command, description });
  }
  if (list.length === 0) ctx.bot.commands.delete(commandsKey(ctx.params));
  else ctx.bot.commands.set(commandsKey(ctx.params), list);
  return true;
}

function getChat(ctx: MethodContext): unknown {
  const chat = resolveChat(ctx);
  const o = chatJson(chat);
  if (chat.type === 'group') delete o.all_members_are_administrators;
  return { ...o, accent_color_id: 0, max_reaction_count: 11, accepted_gift_types: { unlimited_gifts: false, limited_gifts: false, unique_gifts: false, premium_subscription: false } };
}

function getChatMember(ctx: MethodContext): unknown {
  resolveChat(ctx);
  const uid = ctx.params.int('user_id', 0);
  if (uid === ctx.bot.bot.id) return { user: botUser(ctx.bot), status: 'member' };
  const u = ctx.bot.users.get(uid);
  if (!u) throw badRequest('user not found');
  return { user: userJson(u), status: 'member' };
}

function logOut(ctx: MethodContext): unknown {
  const { bot, core } = ctx;
  core.closeBotObject(bot);
  bot.queue.clear();
  core.stopDelivery(bot);
  bot.webhook = emptyWebhook();
  bot.loggedOutUntilMs = Date.now() + core.switches.logOutMs;
  return true;
}

function close(ctx: MethodContext): unknown {
  if (ctx.bot.closed) throw badRequest('the bot has already been closed');
  ctx.core.closeBotObject(ctx.bot);
  ctx.bot.closed = true;
  return true;
}

const alwaysTrue: MethodHandler = () => true;

/** The implemented methods. */
const TABLE: Record<string, MethodHandler> = {
    getMe,
    sendMessage,
    editMessageText,
    editMessageCaption,
    editMessageReplyMarkup,
    deleteMessage,
    sendChatAction,
    forwardMessage,
    copyMessage,
    sendPhoto: sendMedia('sendPhoto', 'photo'),
    sendDocument: sendMedia('sendDocument', 'document'),
    sendVideo: sendMedia('sendVideo', 'video'),
    sendAudio: sendMedia('sendAudio', 'audio'),
    sendVoice: sendMedia('sendVoice', 'voice'),
    sendAnimation: sendMedia('sendAnimation', 'animation'),
    sendSticker: sendMedia('sendSticker', 'sticker'),
    getFile,
    answerCallbackQuery,
    setMyCommands,
    getMyCommands: (ctx: MethodContext) => ctx.bot.commands.get(commandsKey(ctx.params)) ?? [],
    deleteMyCommands: (ctx: MethodContext) => {
      ctx.bot.commands.delete(commandsKey(ctx.params));
      return true;
    },
    getChat,
    getChatMember,
    getChatMemberCount: (ctx: MethodContext) => (resolveChat(ctx).type === 'private' ? 2 : 2 + ctx.bot.users.size),
    getChatAdministrators: (ctx: MethodContext) => (resolveChat(ctx), []),
    setWebhook,
    deleteWebhook: deleteWebhookImpl,
    getWebhookInfo,
    logOut,
    close,
    setMyName: alwaysTrue,
    getMyName: (ctx: MethodContext) => ({ name: ctx.bot.bot.firstName }),
    setMyDescription: alwaysTrue,
    getMyDescription: () => ({ description: '' }),
    setMyShortDescription: alwaysTrue,
    getMyShortDescription: () => ({ short_description: '' }),
    setChatMenuButton: alwaysTrue,
    getChatMenuButton: () => ({ type: 'default' }),
    setMyDefaultAdministratorRights: alwaysTrue,
    pinChatMessage: (ctx: MethodContext) => (resolveChat(ctx), true),
    unpinChatMessage: (ctx: MethodContext) => (resolveChat(ctx), true),
    unpinAllChatMessages: (ctx: MethodContext) => (resolveChat(ctx), true),
    leaveChat: (ctx: MethodContext) => (resolveChat(ctx), true),
    setMessageReaction: (ctx: MethodContext) => (resolveChat(ctx), true),
};

/** Methods by lower-cased name. */
export const METHODS: ReadonlyMap<string, MethodHandler> = new Map(Object.entries(TABLE).map(([k, v]) => [k.toLowerCase(), v]));
