// The Bot API calls the doctor makes, as one small interface: "they answered", "they refused", "we could not reach them".
import { redactKnown } from '../util/redact.js';

/** One Bot API call's outcome. Refusals (an API error envelope) and unreachability are different kinds. */
export type ApiOutcome<T> =
  | { kind: 'ok'; result: T }
  | { kind: 'refused'; status: number; description: string }
  | { kind: 'unreachable'; reason: string };

/** What the doctor needs from a Bot API client. */
export interface DoctorApi {
  /** The API root shown in messages (never contains the token). */
  readonly apiRoot: string;
  /** Call `method` with `params`; never throws for API or network failures (see `ApiOutcome`). */
  call<T>(method: string, params: Record<string, unknown>, opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<ApiOutcome<T>>;
}

/**
 * A fetch-based DoctorApi. (Until `src/telegram`'s BotApiClient lands; then `DoctorApi` is adapted from it.)
 * Every text it returns is redacted; the URL (which holds the token) never appears in an outcome.
 */
export function createDoctorApi(apiRoot: string, token: string): DoctorApi {
  const root = apiRoot.replace(/\/+$/, '');
  return {
    apiRoot: root,
    async call<T>(method: string, params: Record<string, unknown>, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ApiOutcome<T>> {
      const timeoutMs = opts.timeoutMs ?? 10_000;
      const signals = [AbortSignal.timeout(timeoutMs), ...(opts.signal ? [opts.signal] : [])];
      let res: Response;
      try {
        res = await fetch(`${root}/bot${token}/${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(params),
          signal: AbortSignal.any(signals),
        });
      } catch (err) {
        const e = err as Error & { cause?: { code?: string; message?: string } };
        const reason = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
        return { kind: 'unreachable', reason: redactKnown(String(reason), [token]) };
      }
      let body: { ok?: boolean; result?: T; error_code?: number; description?: string } | undefined;
      const text = await res.text().catch(() => '');
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        body = undefined;
      }
      if (body?.ok === true) return { kind: 'ok', result: body.result as T };
      if (body && typeof body.description === 'string') {
        return { kind: 'refused', status: body.error_code ?? res.status, description: redactKnown(body.description, [token]) };
      }
      if (res.status >= 500 || res.status === 429) {
        return { kind: 'unreachable', reason: `HTTP ${res.status} ${res.statusText} without a Bot API answer` };
      }
      return { kind: 'refused', status: res.status, description: redactKnown(res.statusText || `HTTP ${res.status}`, [token]) };
    },
  };
}
