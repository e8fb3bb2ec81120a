// Is another getUpdates poller active for this bot? By default (`passive`) the doctor never calls getUpdates: it
// samples `pending_update_count` (getWebhookInfo) for a few seconds — dropping: someone polls and confirms; waiting
// and not dropping: nobody consumes them; zero throughout: a passive look cannot tell (a live poller keeps it at 0).
// The getUpdates probes below run only on request (`--probe safe|active`).
//
// Why it is safe for the update queue (docs/bot-api-semantics.md §4.3):
// - A positive `offset` deletes every update below it, and an offset between tail and tail+10 confirms
//   everything: so the probe never sends a positive offset.
// - A negative offset `-N` deletes all but the newest N: never sent either.
// - With `offset` omitted (= 0) the server reads from the head and deletes nothing; returned updates are not
//   confirmed (only a later call with a higher offset confirms them). `limit: 1` keeps what we read small.
// So the queue (`pending`, the confirmed position) is the same after the probe as before it.
//
// How it sees a poller (§5.2, §5.5):
// 1. Safe step: `timeout: 0`. It returns at once and, per the open-source server, aborts nobody's long poll.
//    Servers that answer the *newer* request 409 while another poll is pending (production reports, §5.5;
//    the emulator's newer-loses switch) show the poller right here without disturbing it.
//    (Caveat §4.2: if the other poller's last call also had offset 0 and started < 3 s ago, the server turns
//    this call into a 3 s long poll, i.e. the active step below.)
// 2. Active step (default; skipped with `--probe safe`, or when botwarden already polls for this bot on this
//    host): `timeout: 1`. With no update waiting this becomes the bot's one pending long poll, aborting a live
//    poller's poll (it receives one 409: it loses no update — an aborted poll carried none). A live poller polls
//    again at once, which aborts ours: we receive 409 "terminated by other getUpdates request" (possibly held
//    back 3 s by the server's conflict rate limit, hence the 10 s client timeout). An empty answer after 1 s
//    means nobody polled in that second. A bot under `botwarden run` never sees that 409 (the gateway absorbs
//    it); grammY and Telegraf, run bare, stop polling on a 409 — the price of the active step, so it is
//    documented and can be turned off.
// 3. When updates are already waiting, both calls answer at once with the head update and cannot show a
//    poller; then a poller shows by *confirming*: `pending_update_count` drops within ~1.5 s.
import { sleep } from '../util/sleep.js';
import type { ApiAnswer } from '../telegram/answer.js';
import type { DoctorApi } from './checks.js';

/** `passive` (default): getWebhookInfo samples only; `safe`: + getUpdates timeout=0; `active`: + a 1 s long poll; `off`: nothing. */
export type ProbeMode = 'passive' | 'active' | 'safe' | 'off';

/** How long the passive probe watches the pending count, and how often it reads it. */
export const PASSIVE_WATCH_MS = 3000;
const PASSIVE_EVERY_MS = 1000;

export type ProbeResult =
  | { verdict: 'poller'; how: string }
  | { verdict: 'none'; how: string }
  | { verdict: 'webhook'; how: string }
  | { verdict: 'waiting'; pending: number; how: string }
  | { verdict: 'quiet'; how: string }
  | { verdict: 'unknown'; how: string };

const CONFLICT_OTHER = /terminated by other getUpdates/i;
const CONFLICT_WEBHOOK = /webhook is active/i;

interface WebhookInfoLike {
  pending_update_count?: number;
}

/** The passive probe: getWebhookInfo every second for PASSIVE_WATCH_MS; changes nothing at Telegram. */
export async function passiveProbe(api: DoctorApi, pendingBefore: number, signal?: AbortSignal, watchMs = PASSIVE_WATCH_MS): Promise<ProbeResult> {
  const counts = [pendingBefore];
  for (let waited = 0; waited < watchMs; waited += PASSIVE_EVERY_MS) {
    await sleep(Math.min(PASSIVE_EVERY_MS, watchMs - waited), signal);
    const o = await api.answer<WebhookInfoLike>('getWebhookInfo', {}, { timeoutMs: 10_000, ...(signal ? { signal } : {}) });
    if (o.kind !== 'ok') return { verdict: 'unknown', how: `getWebhookInfo failed while watching the pending count: ${o.kind === 'refused' ? `${o.errorCode} ${o.description}` : o.reason}` };
    const n = o.result.pending_update_count ?? 0;
    const prev = counts[counts.length - 1] ?? 0;
    counts.push(n);
    if (n < prev) return { verdict: 'poller', how: `pending updates dropped from ${prev} to ${n} while watching: someone polls and confirms them` };
  }
  const last = counts[counts.length - 1] ?? 0;
  const seconds = (watchMs / 1000).toFixed(0);
  if (last > 0) return { verdict: 'waiting', pending: last, how: `pending ${counts.join(' → ')} over ${seconds} s, none confirmed: likely no poller` };
  return { verdict: 'quiet', how: `no update waited during ${seconds} s (a live poller keeps the count at 0 too): a passive look cannot tell; --probe active checks, at the cost of one 409 to a bare poller` };
}

/** Run the getUpdates probe. `pendingBefore` is `pending_update_count` from the webhook check. Never sends an offset. */
export async function probeForPoller(api: DoctorApi, mode: 'active' | 'safe', pendingBefore: number, signal?: AbortSignal): Promise<ProbeResult> {
  // Never an offset (§4.3), never allowed_updates (a persistent setting of the bot, shared with webhooks).
  const params = (timeout: number): Record<string, unknown> => ({ limit: 1, timeout });
  const interpret = (o: ApiAnswer<unknown[]>, step: string): ProbeResult | 'empty' | 'updates' => {
    if (o.kind === 'refused' && o.errorCode === 409) {
      if (CONFLICT_WEBHOOK.test(o.description)) return { verdict: 'webhook', how: `${step}: 409 ${o.description}` };
      if (CONFLICT_OTHER.test(o.description)) return { verdict: 'poller', how: `${step}: 409 ${o.description}` };
      return { verdict: 'poller', how: `${step}: 409 ${o.description}` };
    }
    if (o.kind === 'refused') return { verdict: 'unknown', how: `${step}: ${o.errorCode} ${o.description}` };
    if (o.kind === 'unreachable') return { verdict: 'unknown', how: `${step}: ${o.reason}` };
    return Array.isArray(o.result) && o.result.length > 0 ? 'updates' : 'empty';
  };

  const safe = interpret(await api.answer<unknown[]>('getUpdates', params(0), { timeoutMs: 10_000, ...(signal ? { signal } : {}) }), 'getUpdates timeout=0');
  if (typeof safe === 'object') return safe;
  if (safe === 'updates' || pendingBefore > 0) return watchPending(api, pendingBefore, signal);
  if (mode === 'safe') return { verdict: 'none', how: 'getUpdates timeout=0 answered [] at once (the safe step cannot see a poller that is waiting quietly)' };

  const active = interpret(await api.answer<unknown[]>('getUpdates', params(1), { timeoutMs: 10_000, ...(signal ? { signal } : {}) }), 'getUpdates timeout=1');
  if (typeof active === 'object') return active;
  if (active === 'updates') return watchPending(api, pendingBefore, signal);
  return { verdict: 'none', how: 'a 1 s getUpdates long poll ended with [] and no 409: nobody else polled' };
}

/** Updates are waiting: a live poller shows by confirming them (the count drops). Read-only. */
async function watchPending(api: DoctorApi, pendingBefore: number, signal?: AbortSignal): Promise<ProbeResult> {
  const read = async (): Promise<number | undefined> => {
    const o = await api.answer<WebhookInfoLike>('getWebhookInfo', {}, { timeoutMs: 10_000, ...(signal ? { signal } : {}) });
    return o.kind === 'ok' ? (o.result.pending_update_count ?? 0) : undefined;
  };
  const first = Math.max(pendingBefore, (await read()) ?? 0);
  await sleep(1500, signal);
  const later = await read();
  if (later === undefined) return { verdict: 'unknown', how: 'getWebhookInfo failed while watching the pending count' };
  if (later < first) return { verdict: 'poller', how: `pending updates dropped from ${first} to ${later} in 1.5 s: someone confirmed them` };
  return { verdict: 'waiting', pending: later, how: `${later} update(s) waiting, none confirmed in 1.5 s` };
}
