// Which partition an update belongs to: its chat (else its user, else partition 0), and the key that orders it.

/** The ordering key of an update and the partition it goes to. */
export interface UpdateRoute {
  /** `c<chat id>`, `u<user id>`, or `''` (neither: every such update is ordered with the others of partition 0). */
  key: string;
  partition: number;
}

interface HasId {
  id?: unknown;
}
type Payload = { chat?: HasId; message?: { chat?: HasId }; from?: HasId; user?: HasId; voter_chat?: HasId } & Record<string, unknown>;

const idOf = (o: HasId | undefined): number | undefined => (o && typeof o.id === 'number' && Number.isSafeInteger(o.id) ? o.id : undefined);

/**
 * The chat of an update (message, edited_message, channel_post, callback_query's message, chat_member, message_reaction,
 * business_message, …), else its user (inline_query, chosen_inline_result, shipping/pre_checkout_query, poll_answer),
 * else none (poll). A private chat's id is its user's id, so a user's inline queries share the partition of their chat.
 */
export function routeUpdate(update: Record<string, unknown>, partitions: number): UpdateRoute {
  for (const [field, value] of Object.entries(update)) {
    if (field === 'update_id' || typeof value !== 'object' || value === null) continue;
    const p = value as Payload;
    const chat = idOf(p.chat) ?? idOf(p.message?.chat);
    if (chat !== undefined) return { key: `c${chat}`, partition: Math.abs(chat) % partitions };
    const user = idOf(p.from) ?? idOf(p.user) ?? idOf(p.voter_chat);
    if (user !== undefined) return { key: `u${user}`, partition: Math.abs(user) % partitions };
  }
  return { key: '', partition: 0 };
}

/** Which partitions `me` should own: partition p goes to the p-th live member (sorted) modulo their number. */
export function assignedTo(me: string, members: readonly string[], partitions: number): number[] {
  const sorted = [...members].sort();
  const i = sorted.indexOf(me);
  if (i < 0) return [];
  const out: number[] = [];
  for (let p = i; p < partitions; p += sorted.length) out.push(p);
  return out;
}
