// How one Bot API exchange ended — answered, refused, or could not reach — decided here for every caller: the client
// (preflight, hand-over), the doctor, and the gateway's own getUpdates calls.
import { networkReason } from './http-pool.js';
import type { ResponseParameters } from './types.js';

/** The outcome of one Bot API call. Texts are as received: callers that know the token redact them. */
export type ApiAnswer<T = unknown> =
  | { kind: 'ok'; status: number; result: T }
  | { kind: 'refused'; status: number; errorCode: number; description: string; parameters: ResponseParameters }
  | { kind: 'unreachable'; reason: string; status?: number };

/**
 * Classify what came back for one call: HTTP `status` and the whole `body`. Outcome table (first matching row wins):
 *
 * | answer                                                          | kind        | notes                                   |
 * |-----------------------------------------------------------------|-------------|-----------------------------------------|
 * | JSON object with `ok: true`, any status                         | ok          | `result`                                |
 * | JSON object with `ok: false` and a numeric `error_code` or a string `description` | refused | errorCode = error_code, else the status (409, 429 with retry_after, a 5xx Telegram sent) |
 * | not a Bot API answer (not JSON, no `ok`, …), status 5xx, 429 or 1xx | unreachable | e.g. an nginx HTML 502 page: something in between failed |
 * | not a Bot API answer, status 2xx                                | unreachable | something answered that is not the Bot API (wrong root, captive portal) |
 * | not a Bot API answer, other 3xx/4xx (401, 404, 409 …)           | refused     | description `HTTP <status>`; errorCode = status |
 *
 * A request that got no answer at all (network error, timeout) is `unreachableAnswer`.
 */
export function classifyAnswer<T = unknown>(status: number, body: Buffer | string): ApiAnswer<T> {
  const env = parseEnvelope(typeof body === 'string' ? body : body.toString('utf8'));
  if (env?.ok === true) return { kind: 'ok', status, result: env.result as T };
  if (env?.ok === false && (typeof env.error_code === 'number' || typeof env.description === 'string')) {
    return {
      kind: 'refused',
      status,
      errorCode: typeof env.error_code === 'number' ? env.error_code : status,
      description: typeof env.description === 'string' ? env.description : `HTTP ${status}`,
      parameters: typeof env.parameters === 'object' && env.parameters !== null ? (env.parameters as ResponseParameters) : {},
    };
  }
  if (status >= 500 || status === 429 || status < 200) return { kind: 'unreachable', status, reason: `HTTP ${status} without a Bot API answer` };
  if (status < 300) return { kind: 'unreachable', status, reason: `HTTP ${status} with a body that is not a Bot API answer` };
  return { kind: 'refused', status, errorCode: status, description: `HTTP ${status}`, parameters: {} };
}

/** No answer at all: a network error, or no answer within `timedOutMs` when the call's own time limit ended it. */
export function unreachableAnswer(err: unknown, timedOutMs?: number): { kind: 'unreachable'; reason: string } {
  return { kind: 'unreachable', reason: timedOutMs === undefined ? networkReason(err) : `no answer within ${timedOutMs} ms` };
}

/**
 * Whether an exchange shows the Bot API up (for readiness): it answered with a status below 500. A 5xx — an error
 * envelope Telegram sent while down, or a proxy's page — and no answer at all (`undefined`) show it down. Streaming
 * paths that never read the body judge by the status alone; callers that classified pass `undefined` for `unreachable`.
 */
export function answeredUp(status: number | undefined): boolean {
  return status !== undefined && status < 500;
}

interface Envelope {
  ok?: unknown;
  result?: unknown;
  error_code?: unknown;
  description?: unknown;
  parameters?: unknown;
}

function parseEnvelope(text: string): Envelope | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && 'ok' in parsed ? (parsed as Envelope) : undefined;
}
