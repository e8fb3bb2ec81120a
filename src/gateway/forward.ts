// Forward one bot request upstream as a stream (body in, answer out), without hop-by-hop headers; the bot's abort aborts upstream.
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import { monotonicMs } from '../util/clock.js';
import { sendError } from './envelope.js';
import type { Upstream } from './upstream.js';

/** Headers that belong to one connection, not to the request (RFC 9110 §7.6.1), plus ones the pool sets itself. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'trailers',
  'transfer-encoding', 'upgrade', 'host', 'expect', 'http2-settings',
]);

/** Copy `headers` without hop-by-hop ones (and those the `connection` header names). */
export function endToEndHeaders(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const named = headers.connection;
  const extra = new Set(
    (Array.isArray(named) ? named.join(',') : (named ?? ''))
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || extra.has(k)) continue;
    out[k] = v;
  }
  return out;
}

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return len !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

/**
 * Send `req` to `upstreamPath` and stream the answer back to `res`. `body` replaces the request stream when the gateway
 * already read it. If the Bot API cannot be reached the bot gets 502 `Bad Gateway` in the Bot API envelope.
 */
export async function forwardRequest(
  up: Upstream,
  logger: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  upstreamPath: string,
  metricMethod: string,
  body?: Buffer,
): Promise<void> {
  const ac = new AbortController();
  const onClose = (): void => {
    if (!res.writableFinished) ac.abort(new Error('the bot closed the connection'));
  };
  res.once('close', onClose);
  const headers = endToEndHeaders(req.headers);
  if (body !== undefined) {
    headers['content-length'] = String(body.length);
    delete headers['content-encoding'];
  }
  const started = monotonicMs();
  let status: number | undefined;
  try {
    await up.pool.stream(
      {
        method: req.method as 'GET',
        path: upstreamPath,
        headers,
        body: body ?? (hasBody(req) ? req : null),
        signal: ac.signal,
      },
      ({ statusCode, headers: resHeaders }) => {
        status = statusCode;
        res.writeHead(statusCode, endToEndHeaders(resHeaders as Record<string, string | string[] | undefined>) as OutgoingHttpHeaders);
        return res;
      },
    );
    up.record(metricMethod, status, started);
  } catch (err) {
    if (ac.signal.aborted) {
      up.metrics?.observeApiCall(metricMethod, status ?? 'error', (monotonicMs() - started) / 1000);
      return;
    }
    up.record(metricMethod, status, started);
    if (status === undefined) up.stats.upstreamReachable = false;
    const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown } };
    const reason = up.redact(String(e.cause?.code ?? e.code ?? e.message ?? err));
    logger.warn('could not forward a Bot API call upstream', { method: metricMethod, reason });
    if (!sendError(res, 502, `Bad Gateway: botwarden could not reach the Bot API (${reason})`)) res.destroy();
  } finally {
    res.off('close', onClose);
  }
}
