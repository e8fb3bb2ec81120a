// Bot API objects (User, Chat, Message) built with the real server's field order (docs/bot-api-semantics.md §8, §9).

/** A user who writes to the bot. */
export interface UserRec {
  id: number;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

/** Chat types the emulator plays. */
export type ChatType = 'private' | 'group' | 'supergroup' | 'channel';

/** A message kept for edit/delete/forward/copy/reply lookups. */
export interface MessageRec {
  message_id: number;
  fromBot: boolean;
  /** The Message object as last returned or delivered. */
  obj: Record<string, unknown>;
}

/** A chat the bot knows. */
export interface ChatRec {
  id: number;
  type: ChatType;
  title?: string;
  first_name?: string;
  last_name?: string;
  username?: string;
  nextMessageId: number;
  messages: Map<number, MessageRec>;
}

/** Keep at most this many messages per chat for lookups (oldest forgotten). */
const MAX_MESSAGES_PER_CHAT = 1000;

/** User JSON (not getMe): id, is_bot, first_name, last_name?, username?, language_code?. */
export function userJson(u: UserRec, isBot = false): Record<string, unknown> {
  const o: Record<string, unknown> = { id: u.id, is_bot: isBot, first_name: u.first_name };
  if (u.last_name) o.last_name = u.last_name;
  if (u.username) o.username = u.username;
  if (u.language_code) o.language_code = u.language_code;
  return o;
}

/** Chat JSON as embedded in a Message. */
export function chatJson(c: ChatRec): Record<string, unknown> {
  if (c.type === 'private') {
    const o: Record<string, unknown> = { id: c.id, first_name: c.first_name ?? 'User' };
    if (c.last_name) o.last_name = c.last_name;
    if (c.username) o.username = c.username;
    o.type = 'private';
    return o;
  }
  if (c.type === 'group') return { id: c.id, title: c.title ?? 'Group', type: 'group', all_members_are_administrators: true };
  const o: Record<string, unknown> = { id: c.id, title: c.title ?? (c.type === 'channel' ? 'Channel' : 'Supergroup') };
  if (c.username) o.username = c.username;
  o.type = c.type;
  return o;
}

/** The chat type implied by an id: positive private, ≤ -1e12 supergroup, other negative a basic group. */
export function chatTypeForId(id: number): ChatType {
  if (id > 0) return 'private';
  return id <= -1_000_000_000_000 ? 'supergroup' : 'group';
}

/** Create a chat record. */
export function newChat(id: number, type: ChatType, user?: UserRec, title?: string): ChatRec {
  const c: ChatRec = { id, type, nextMessageId: 1, messages: new Map() };
  if (type === 'private') {
    c.first_name = user?.first_name ?? 'User';
    if (user?.last_name) c.last_name = user.last_name;
    if (user?.username) c.username = user.username;
  } else c.title = title ?? (type === 'group' ? `Group ${-id}` : type === 'channel' ? 'Channel' : 'Supergroup');
  return c;
}

/** Remember a message in its chat (bounded). */
export function storeMessage(chat: ChatRec, rec: MessageRec): void {
  chat.messages.set(rec.message_id, rec);
  if (chat.messages.size > MAX_MESSAGES_PER_CHAT) {
    const oldest = chat.messages.keys().next();
    if (!oldest.done) chat.messages.delete(oldest.value);
  }
}

const COMMAND = /^\/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{3,64})?/;
/** `bot_command` entities for a text: one for a leading `/command` (as Telegram adds them). */
export function commandEntities(text: string): Array<Record<string, unknown>> | undefined {
  const m = COMMAND.exec(text);
  return m ? [{ offset: 0, length: m[0].length, type: 'bot_command' }] : undefined;
}

/** Unix seconds now. */
export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}
