// The gateway's connection to the real Bot API: one keep-alive socket pool (node:http), upstream paths, and small JSON calls.
import type { Metrics } from '../metrics/botwarden-metrics.js';
import { answeredUp, classifyAnswer, unreachableAnswer, type ApiAnswer } from '../telegram/answer.js';
import type { ApiRoot } from '../telegram/api-root.js';
import { HttpPool } from '../telegram/http-pool.js';
import { monotonicMs } from '../util/clock.js';
import { redactKnown } from '../util/redact.js';
import type { GatewayStats } from './stats.js';

/** What came back from an upstream JSON call, classified by `telegram/answer.ts`; an answer keeps its raw bytes for the bot. */
export type UpstreamAnswer =
  | (Extract<ApiAnswer, { kind: 'ok' | 'refused' }> & { raw: Buffer })
  | Extract<ApiAnswer, { kind: 'unreachable' }>;

/** Upstream root, token and pool. Paths it builds contain the token: they never go into messages. */
export class Upstream {
  /** Up to 128 sockets to the upstream origin (one per concurrent bot call); idle ones close after 30 s. */
  readonly pool: HttpPool;
  /** Path prefix of the upstream root (`''` for `https://api.telegram.org`). */
  private readonly basePath: string;

  constructor(
    root: ApiRoot,
    private readonly token: string,
    readonly metrics: Metrics | undefined,
    readonly stats: GatewayStats,
  ) {
    this.basePath = root.basePath;
    this.pool = new HttpPool(root.url, { maxSockets: 128, maxFreeSockets: 32, keepAliveMs: 30_000 });
  }

  /** `/…/bot<token>[/test]/<rest>` or `/…/file/bot<token>/<rest>` on the upstream, `rest` kept as the bot encoded it. */
  path(kind: 'method' | 'file', env: '' | '/test', rawRest: string, search: string): string {
    return `${this.basePath}${kind === 'file' ? '/file' : ''}/bot${this.token}${env}/${rawRest}${search}`;
  }

  /** Redact the managed token (in any shape) and anything token-like from a text. */
  redact(text: string): string {
    return redactKnown(text, [this.token]);
  }

  /** Note an upstream call for metrics and reachability: `status` of the answer (undefined: none), `up` per `answeredUp`. */
  record(method: string, status: number | undefined, startedMs: number, up = answeredUp(status)): void {
    this.metrics?.observeApiCall(method, status ?? 'error', (monotonicMs() - startedMs) / 1000);
    this.stats.upstreamReachable = up;
  }

  /** POST a JSON body to `method` and read the whole answer (`onHeaders`: the server has started answering). Rejects only when `signal` aborts. */
  async callJson(
    env: '' | '/test',
    method: string,
    params: Record<string, unknown>,
    opts: { signal: AbortSignal; timeoutMs: number; onHeaders?: () => void },
  ): Promise<UpstreamAnswer> {
    const started = monotonicMs();
    try {
      const res = await this.pool.roundTrip({
        method: 'POST',
        path: this.path('method', env, method, ''),
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(params),
        signal: opts.signal,
        idleTimeoutMs: opts.timeoutMs,
        ...(opts.onHeaders ? { onHeaders: opts.onHeaders } : {}),
      });
      const ans = classifyAnswer(res.status, res.body);
      this.record(method, res.status, started, ans.kind !== 'unreachable' && answeredUp(res.status));
      return ans.kind === 'unreachable' ? ans : { ...ans, raw: res.body };
    } catch (err) {
      if (opts.signal.aborted) {
        this.metrics?.observeApiCall(method, 'error', (monotonicMs() - started) / 1000);
        throw opts.signal.reason;
      }
      this.record(method, undefined, started);
      const ans = unreachableAnswer(err);
      return { ...ans, reason: this.redact(ans.reason) };
    }
  }

  /** Close the pool's connections (in-flight requests are aborted). Safe twice. */
  close(): Promise<void> {
    this.pool.close();
    return Promise.resolve();
  }
}
