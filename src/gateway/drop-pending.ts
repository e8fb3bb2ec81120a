// "Drop pending updates" requests never reach Telegram unless `--allow-drop-pending`: every restart or handover would
// wipe what queued meanwhile. Which requests drop, and what the gateway answers instead so each library carries on:
//
// | the bot sends                                   | who sends it                                      | the gateway                                   |
// |-------------------------------------------------|---------------------------------------------------|-----------------------------------------------|
// | `deleteWebhook drop_pending_updates=true`       | PTB `run_polling(drop_pending_updates=True)`,     | forwards it with `drop_pending_updates=false` |
// |                                                 | aiogram `delete_webhook(drop_pending_updates=True)` | (Telegram's own answer: `true`)             |
// | `setWebhook … drop_pending_updates=true`        | webhook set-ups                                   | forwards it with `drop_pending_updates=false`; a certificate upload with it is refused (400): the file cannot be re-sent |
// | `getUpdates offset<0`                           | pyTelegramBotAPI `skip_pending=True` (offset=-1),  | answers `[]` itself, at once: as if nothing were pending. Every library then polls from its own start (no offset, or 1), which returns all pending updates; none uses an empty answer to move its offset |
// |                                                 | aiogram 2 `skip_updates`                          |                                               |
//
// Each kind is logged once per gateway and counted (`/status` gateway.dropPendingKept, `botwarden_drop_pending_kept_total`).
import type { Logger } from '../log.js';
import type { GatewayStats } from './stats.js';
import { lenientBool } from '../telegram/wire-params.js';
import type { Params } from './params.js';

/** The kinds of drop-pending request, as counted. */
export type DropPendingKind = 'getUpdates' | 'deleteWebhook' | 'setWebhook';

/** The webhook method a request names, when it can drop pending updates (lower-cased, trailing slashes ignored). */
export function webhookMethod(method: string): 'deleteWebhook' | 'setWebhook' | undefined {
  const m = method.replace(/\/+$/, '').toLowerCase();
  return m === 'deletewebhook' ? 'deleteWebhook' : m === 'setwebhook' ? 'setWebhook' : undefined;
}

/** `drop_pending_updates` read as the Bot API server reads booleans: `true`, `yes` or `1`, any case (docs/bot-api-semantics.md §6.1). */
export function wantsDrop(params: Params): boolean {
  const v = params.get('drop_pending_updates');
  if (v === true || v === 1) return true;
  return typeof v === 'string' && lenientBool(v);
}

/** Counts and logs (once per kind) the drop-pending requests the gateway kept from Telegram. */
export class DropPendingGuard {
  private readonly logged = new Set<DropPendingKind>();

  constructor(
    private readonly stats: GatewayStats,
    private readonly logger: Logger,
  ) {}

  kept(kind: DropPendingKind): void {
    this.stats.dropPending(kind);
    if (this.logged.has(kind)) return;
    this.logged.add(kind);
    const what =
      kind === 'getUpdates'
        ? 'the bot asked getUpdates with a negative offset (e.g. pyTelegramBotAPI skip_pending): answered [] without asking Telegram'
        : `the bot called ${kind} with drop_pending_updates=true (e.g. PTB run_polling(drop_pending_updates=True), aiogram delete_webhook(drop_pending_updates=True)): sent with drop_pending_updates=false`;
    this.logger.warn(`${what}, so updates that queued during a restart or handover are kept (said once; counted in /status). Give --allow-drop-pending to let it through`);
  }
}

/** The webhook call's parameters with `drop_pending_updates` false, as a JSON body for the upstream. */
export function withoutDrop(params: Params): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of params) if (k !== 'method') out[k] = v;
  out['drop_pending_updates'] = false;
  return out;
}
