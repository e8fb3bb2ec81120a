// Bot API failures in two kinds: Telegram answered and refused (TelegramApiError), or we could not reach it (ApiUnreachableError).
import { BotwardenError } from '../errors.js';
import { redact } from '../util/redact.js';
import type { ApiAnswer } from './answer.js';
import type { ResponseParameters } from './types.js';

/** Telegram answered with an error envelope (or a non-2xx status it meant): it refused the call. */
export class TelegramApiError extends BotwardenError {
  /** The Bot API method that was called (never the URL: it holds the token). */
  readonly method: string;
  /** HTTP status of the answer. */
  readonly status: number;
  /** `error_code` from the envelope (equals `status` on a real server). */
  readonly errorCode: number;
  /** `description` from the envelope, redacted. */
  readonly description: string;
  /** Seconds to wait before calling again (429), when given. */
  readonly retryAfter: number | undefined;
  /** The supergroup a group migrated to, when given. */
  readonly migrateToChatId: number | undefined;

  constructor(method: string, status: number, errorCode: number, description: string, parameters: ResponseParameters = {}) {
    super('TELEGRAM_REFUSED', `Telegram refused ${method}: ${errorCode} ${description}`, {
      exit: errorCode === 401 || errorCode === 404 ? 'badToken' : 'failure',
      ...hintFor(errorCode, description, parameters),
    });
    this.name = 'TelegramApiError';
    this.method = method;
    this.status = status;
    this.errorCode = errorCode;
    this.description = redact(description);
    this.retryAfter = typeof parameters.retry_after === 'number' ? parameters.retry_after : undefined;
    this.migrateToChatId = typeof parameters.migrate_to_chat_id === 'number' ? parameters.migrate_to_chat_id : undefined;
  }
}

/** The Bot API could not be reached: network error, timeout, or a 5xx/odd answer that is not a Bot API envelope. */
export class ApiUnreachableError extends BotwardenError {
  /** The Bot API method that was called. */
  readonly method: string;
  /** HTTP status when something answered without a Bot API envelope (e.g. an nginx 502 page). */
  readonly status: number | undefined;
  /** Why: `ECONNREFUSED`, `no answer within 10000 ms`, `HTTP 502 without a Bot API answer`, … (redacted). */
  readonly reason: string;

  constructor(method: string, reason: string, opts: { status?: number; cause?: unknown } = {}) {
    super('API_UNREACHABLE', `could not reach the Bot API for ${method}: ${reason}`, {
      exit: 'apiUnreachable',
      hint: 'check the network and --api-root (or BOTWARDEN_API_ROOT); botwarden retries with backoff',
      ...(opts.cause === undefined ? {} : { cause: opts.cause }),
    });
    this.name = 'ApiUnreachableError';
    this.method = method;
    this.status = opts.status;
    this.reason = redact(reason);
  }
}

function hintFor(code: number, description: string, p: ResponseParameters): { hint?: string } {
  if (code === 401) return { hint: 'the token is wrong or was revoked: copy the current one from @BotFather' };
  if (code === 404) return { hint: 'the token is malformed or the API root is wrong (it must not end in /bot)' };
  if (code === 409) {
    return /webhook/i.test(description)
      ? { hint: 'a webhook is set for this bot: delete it (deleteWebhook) to poll' }
      : { hint: 'another process polls this token elsewhere: stop it, or run every copy under botwarden' };
  }
  if (code === 429 && typeof p.retry_after === 'number') return { hint: `Telegram asks to wait ${p.retry_after} s before calling again` };
  return {};
}

/** True for errors worth retrying: unreachable, or refused with 429 or a 5xx code. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof ApiUnreachableError) return true;
  if (err instanceof TelegramApiError) return err.errorCode === 429 || err.errorCode >= 500;
  return false;
}

/** The error for a call that did not succeed: refused → TelegramApiError, could not reach → ApiUnreachableError. */
export function answerError(method: string, ans: Exclude<ApiAnswer, { kind: 'ok' }>): TelegramApiError | ApiUnreachableError {
  if (ans.kind === 'refused') return new TelegramApiError(method, ans.status, ans.errorCode, ans.description, ans.parameters);
  return new ApiUnreachableError(method, ans.reason, ans.status === undefined ? {} : { status: ans.status });
}
