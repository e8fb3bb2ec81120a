// BotApiClient: botwarden's one Bot API client (preflight, the doctor): POST JSON; an answer (`answer`) or a result (`call`).
import { usageError } from '../errors.js';
import type { Metrics } from '../metrics/botwarden-metrics.js';
import { redactKnown } from '../util/redact.js';
import { monotonicMs } from '../util/clock.js';
import { classifyAnswer, unreachableAnswer, type ApiAnswer } from './answer.js';
import { checkApiRoot } from './api-root.js';
import { answerError } from './errors.js';
import { HttpPool } from './http-pool.js';
import type { User, WebhookInfo } from './types.js';

/** Options for `BotApiClient`. */
export interface BotApiClientOptions {
  /** Bot API root without `/bot…`, e.g. `https://api.telegram.org` (a trailing `/` is removed). */
  apiRoot: string;
  /** The bot token; used only in request URLs, never in messages. */
  token: string;
  /** Per-call time limit in ms (connect + answer). Default 10000. */
  timeoutMs?: number;
  /** Count calls and durations in `botwarden_api_requests_total` / `…_duration_seconds`. */
  metrics?: Metrics;
}

/** Per-call options. */
export interface CallOptions {
  /** Aborts the call; the promise then rejects with the signal's reason (not an API error). */
  signal?: AbortSignal;
  /** Overrides the client's `timeoutMs` for this call (e.g. a long poll). */
  timeoutMs?: number;
}

/** A small Bot API client: `answer()` resolves with how a call ended; `call()` with its result, or rejects with TelegramApiError / ApiUnreachableError. */
export class BotApiClient {
  /** The API root used (no trailing slash, never contains the token). */
  readonly apiRoot: string;
  readonly timeoutMs: number;
  private readonly token: string;
  /** The client's few calls share up to 4 keep-alive sockets (idle ones are closed after 5 s and never keep the process alive). */
  private readonly pool: HttpPool;
  /** Path prefix of the API root (`''` for `https://api.telegram.org`). */
  private readonly basePath: string;
  private readonly metrics: Metrics | undefined;

  constructor(opts: BotApiClientOptions) {
    const root = checkApiRoot('apiRoot', opts.apiRoot, opts.token);
    const timeoutMs = opts.timeoutMs ?? 10_000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw usageError('timeoutMs', 'a positive number of milliseconds', timeoutMs);
    this.apiRoot = opts.apiRoot.replace(/\/+$/, '');
    this.token = opts.token;
    this.timeoutMs = timeoutMs;
    this.pool = new HttpPool(root.url, { maxSockets: 4, keepAliveMs: 5_000 });
    this.basePath = root.basePath;
    this.metrics = opts.metrics;
  }

  /**
   * Call `method` with JSON `params`; resolves with how it ended (see `classifyAnswer`): never rejects for a refusal or
   * an unreachable API, only when `opts.signal` aborts (with its reason). Descriptions and reasons are redacted.
   */
  async answer<T>(method: string, params: Record<string, unknown> = {}, opts: CallOptions = {}): Promise<ApiAnswer<T>> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    opts.signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const started = monotonicMs();
    let ans: ApiAnswer<T>;
    try {
      const res = await this.pool.roundTrip({
        method: 'POST',
        path: `${this.basePath}/bot${this.token}/${method}`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(params),
        idleTimeoutMs: timeoutMs,
        signal,
      });
      ans = classifyAnswer<T>(res.status, res.body);
    } catch (err) {
      this.metrics?.observeApiCall(method, 'error', (monotonicMs() - started) / 1000);
      if (opts.signal?.aborted) throw opts.signal.reason;
      ans = unreachableAnswer(err, timeout.aborted ? timeoutMs : undefined);
      return { ...ans, reason: redactKnown(ans.reason, [this.token]) };
    }
    this.metrics?.observeApiCall(method, ans.status ?? 'error', (monotonicMs() - started) / 1000);
    if (ans.kind === 'refused') return { ...ans, description: redactKnown(ans.description, [this.token]) };
    return ans;
  }

  /** Call `method` with JSON `params`; resolves with the envelope's `result`, rejects with TelegramApiError / ApiUnreachableError. */
  async call<T>(method: string, params: Record<string, unknown> = {}, opts: CallOptions = {}): Promise<T> {
    const ans = await this.answer<T>(method, params, opts);
    if (ans.kind === 'ok') return ans.result;
    throw answerError(method, ans);
  }

  /** getMe: the bot's own User (its id equals the digits before `:` in the token). */
  getMe(opts?: CallOptions): Promise<User> {
    return this.call<User>('getMe', {}, opts);
  }

  /** getWebhookInfo: `url` is empty while nobody set a webhook. */
  getWebhookInfo(opts?: CallOptions): Promise<WebhookInfo> {
    return this.call<WebhookInfo>('getWebhookInfo', {}, opts);
  }

  /** deleteWebhook; `drop_pending_updates` defaults to false so no waiting update is lost. */
  deleteWebhook(params: { drop_pending_updates?: boolean } = { drop_pending_updates: false }, opts?: CallOptions): Promise<boolean> {
    return this.call<boolean>('deleteWebhook', { drop_pending_updates: params.drop_pending_updates ?? false }, opts);
  }
}
