// BotApiClient: botwarden's own Bot API calls (preflight, lease hand-over): POST JSON, answers or one of two error kinds.
import { usageError } from '../errors.js';
import type { Metrics } from '../metrics/botwarden-metrics.js';
import { redactKnown } from '../util/redact.js';
import { monotonicMs } from '../util/clock.js';
import { ApiUnreachableError, TelegramApiError } from './errors.js';
import { HttpPool, networkReason } from './http-pool.js';
import type { ApiResponse, ResponseParameters, User, WebhookInfo } from './types.js';

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

/** A small Bot API client: `call()` resolves with `result`, or rejects with TelegramApiError / ApiUnreachableError. */
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
    let root: URL;
    try {
      root = new URL(opts.apiRoot);
    } catch {
      throw usageError('apiRoot', 'an http(s) URL such as https://api.telegram.org', opts.apiRoot);
    }
    if (root.protocol !== 'http:' && root.protocol !== 'https:') throw usageError('apiRoot', 'an http: or https: URL', opts.apiRoot);
    if (typeof opts.token !== 'string' || opts.token.length === 0 || opts.token.includes('/')) {
      throw usageError('token', 'a bot token such as 123456:ABC…', '<hidden>');
    }
    const timeoutMs = opts.timeoutMs ?? 10_000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw usageError('timeoutMs', 'a positive number of milliseconds', timeoutMs);
    this.apiRoot = opts.apiRoot.replace(/\/+$/, '');
    this.token = opts.token;
    this.timeoutMs = timeoutMs;
    this.pool = new HttpPool(root, { maxSockets: 4, keepAliveMs: 5_000 });
    this.basePath = root.pathname.replace(/\/+$/, '');
    this.metrics = opts.metrics;
  }

  /** Call `method` with JSON `params`; resolves with the envelope's `result`. */
  async call<T>(method: string, params: Record<string, unknown> = {}, opts: CallOptions = {}): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    opts.signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const started = monotonicMs();
    let code: number | string = 'error';
    try {
      let status: number;
      let text: string;
      try {
        const res = await this.pool.roundTrip({
          method: 'POST',
          path: `${this.basePath}/bot${this.token}/${method}`,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(params),
          idleTimeoutMs: timeoutMs,
          signal,
        });
        status = res.status;
        text = res.body.toString('utf8');
      } catch (err) {
        if (opts.signal?.aborted) throw opts.signal.reason;
        if (timeout.aborted) throw new ApiUnreachableError(method, `no answer within ${timeoutMs} ms`, { cause: err });
        throw new ApiUnreachableError(method, redactKnown(networkReason(err), [this.token]), { cause: err });
      }
      code = status;
      return this.decode<T>(method, status, text);
    } finally {
      this.metrics?.observeApiCall(method, code, (monotonicMs() - started) / 1000);
    }
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

  private decode<T>(method: string, status: number, text: string): T {
    let body: ApiResponse<T> | undefined;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed === 'object' && parsed !== null && 'ok' in parsed) body = parsed as ApiResponse<T>;
    } catch {
      body = undefined;
    }
    if (body?.ok === true) return body.result;
    if (body && body.ok === false && typeof body.description === 'string') {
      const errorCode = typeof body.error_code === 'number' ? body.error_code : status;
      return this.refuse(method, status, errorCode, body.description, body.parameters);
    }
    if (status >= 500 || status === 429 || status < 200) {
      throw new ApiUnreachableError(method, `HTTP ${status} without a Bot API answer`, { status });
    }
    if (status >= 200 && status < 300) throw new ApiUnreachableError(method, `HTTP ${status} with a body that is not a Bot API answer`, { status });
    return this.refuse(method, status, status, `HTTP ${status}`, undefined);
  }

  private refuse(method: string, status: number, errorCode: number, description: string, parameters: ResponseParameters | undefined): never {
    throw new TelegramApiError(method, status, errorCode, redactKnown(description, [this.token]), parameters ?? {});
  }
}
