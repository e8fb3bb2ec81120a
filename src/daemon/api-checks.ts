// Preflight against the Bot API: getMe (token accepted?) and the webhook (cleared without dropping updates).
import { BotwardenError } from '../errors.js';
import type { Logger } from '../log.js';
import type { BotApiClient } from '../telegram/client.js';
import { ApiUnreachableError, TelegramApiError } from '../telegram/errors.js';
import { retryDelayMs, withRetry, type BackoffOptions } from '../telegram/retry.js';
import type { User, WebhookInfo } from '../telegram/types.js';
import type { Steps } from './steps.js';

/** Start-up retries (preflight, the lease backend): 250 ms doubling to 5 s, without jitter (each wait is shown). */
export const STARTUP_BACKOFF: BackoffOptions = { baseMs: 250, capMs: 5000, jitter: false };

/** Call `fn` until it succeeds, retrying what `retryDelayMs` retries with STARTUP_BACKOFF, until `deadlineMs` (monotonic). */
export function untilReachable<T>(
  what: string,
  fn: () => Promise<T>,
  opts: { deadlineMs: number; signal: AbortSignal; onRetry: (msg: string) => void; onGiveUp: (err: unknown) => BotwardenError },
): Promise<T> {
  return withRetry(fn, {
    deadlineMs: opts.deadlineMs,
    signal: opts.signal,
    delayMs: (err, attempt) => retryDelayMs(err, attempt, STARTUP_BACKOFF),
    onGiveUp: opts.onGiveUp,
    onRetry: (err, attempt, waitMs) => {
      const why = err instanceof ApiUnreachableError ? err.reason : err instanceof TelegramApiError ? `${err.errorCode} ${err.description}` : String(err);
      opts.onRetry(`${what} failed (${why}); retry ${attempt} in ${(waitMs / 1000).toFixed(1)} s`);
    },
  });
}

/** getMe with retries: the bot, or a BotwardenError (bad token → exit 3, unreachable → exit 4). */
export async function checkToken(client: BotApiClient, steps: Steps, opts: { deadlineMs: number; signal: AbortSignal; logger: Logger }): Promise<User> {
  steps.start('getMe', 'getMe', `asking ${client.apiRoot}`);
  try {
    const me = await untilReachable('getMe', () => client.getMe({ signal: opts.signal }), {
      deadlineMs: opts.deadlineMs,
      signal: opts.signal,
      onRetry: (msg) => steps.progress('getMe', msg),
      onGiveUp: (err) =>
        new BotwardenError('API_UNREACHABLE', `the Bot API at ${client.apiRoot} could not be reached: ${err instanceof ApiUnreachableError ? err.reason : String(err)}`, {
          exit: 'apiUnreachable',
          hint: 'check the network, a proxy, or --api-root; raise --startup-timeout to wait longer',
          cause: err,
        }),
    });
    steps.ok('getMe', `@${me.username ?? me.first_name} (id ${me.id})`);
    return me;
  } catch (err) {
    steps.fail('getMe', err instanceof BotwardenError ? err.message : String(err));
    if (err instanceof TelegramApiError && (err.errorCode === 401 || err.errorCode === 404)) {
      throw new BotwardenError('TOKEN_REJECTED', `the token was rejected by ${client.apiRoot} (${err.errorCode} ${err.description})`, {
        exit: 'badToken',
        hint: 'get a new one from @BotFather (/mybots → API Token → Revoke) and update BOT_TOKEN',
        cause: err,
      });
    }
    throw err;
  }
}

/** If a webhook is set, delete it keeping pending updates, and verify it is gone. Returns the removed URL (redacted), if any. */
export async function clearWebhook(client: BotApiClient, steps: Steps, opts: { deadlineMs: number; signal: AbortSignal; logger: Logger }): Promise<string | undefined> {
  steps.start('webhook', 'webhook');
  const retry = <T>(what: string, fn: () => Promise<T>): Promise<T> =>
    untilReachable(what, fn, {
      deadlineMs: opts.deadlineMs,
      signal: opts.signal,
      onRetry: (msg) => steps.progress('webhook', msg),
      onGiveUp: (err) => new BotwardenError('API_UNREACHABLE', `the Bot API could not be reached for ${what}`, { exit: 'apiUnreachable', cause: err }),
    });
  try {
    const info: WebhookInfo = await retry('getWebhookInfo', () => client.getWebhookInfo({ signal: opts.signal }));
    if (!info.url) {
      steps.ok('webhook', 'none set');
      return undefined;
    }
    const shown = safeUrl(info.url);
    steps.progress('webhook', `removing ${shown} (${info.pending_update_count} pending updates kept)`);
    await retry('deleteWebhook', () => client.deleteWebhook({ drop_pending_updates: false }, { signal: opts.signal }));
    const after = await retry('getWebhookInfo', () => client.getWebhookInfo({ signal: opts.signal }));
    if (after.url) {
      throw new BotwardenError('WEBHOOK_STUCK', `the webhook ${safeUrl(after.url)} is still set after deleteWebhook`, {
        exit: 'failure',
        hint: 'another process may be setting it again (a webhook deployment of this bot?): stop it, then retry',
      });
    }
    steps.warn('webhook', `removed ${shown}; ${info.pending_update_count} pending updates kept for polling`);
    opts.logger.warn(`a webhook was set (${shown}); it was deleted without dropping updates so this bot can poll`);
    return shown;
  } catch (err) {
    steps.fail('webhook', err instanceof Error ? err.message : String(err));
    throw err;
  }
}

/** A webhook URL for messages: origin and path only (query strings often hold secrets); tokens redacted by the logger. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}
