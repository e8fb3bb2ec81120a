// Forward one bot request upstream as a stream (body in, answer out), without hop-by-hop headers; the bot's abort aborts upstream.
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import type { Logger } from '../log.js';
import { networkReason } from '../telegram/http-pool.js';
import { monotonicMs } from '../util/clock.js';
import { sendError } from './envelope.js';
import type { Upstream } from './upstream.js';

/** Headers that belong to one connection, not to the request (RFC 9110 §7.6.1), plus ones the pool sets itself. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'trailers',
  'transfer-encoding', 'upgrade', 'host', 'expect', 'http2-settings',
]);

type HeaderBag = IncomingHttpHeaders | Record<string, string | string[] | undefined>;

/** Copy `headers` without hop-by-hop ones (and those the `connection` header names). */
export function endToEndHeaders(headers: HeaderBag): Record<string, string | string[]> {
  const named = headers.connection;
  let extra: Set<string> | undefined;
  if (named !== undefined) {
    extra = new Set((Array.isArray(named) ? named.join(',') : named).split(',').map((s) => s.trim().toLowerCase()));
  }
  const out: Record<string, string | string[]> = {};
  for (const k in headers) {
    const v = headers[k];
    if (v === undefined || HOP_BY_HOP.has(k) || extra?.has(k)) continue;
    out[k] = v;
  }
  return out;
}

/** Request bodies up to this size are read whole and sent in one write; larger ones (uploads) are streamed. */
const SMALL_BODY_BYTES = 256 * 1024;

/** The declared content length, or Infinity when there is none (chunked, or unknown). */
function contentLength(headers: HeaderBag): number {
  const v = headers['content-length'];
  return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : Infinity;
}

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return len !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

/** Read a small body whole; resolves undefined when the bot went away first. */
function readSmall(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const onData = (c: Buffer): void => void chunks.push(c);
    const done = (ok: boolean): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
      resolve(ok ? (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)) : undefined);
    };
    const onEnd = (): void => done(true);
    const onClose = (): void => done(req.complete);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
    req.once('error', onClose);
  });
}

/** A forwarded call fails when its connection sees no traffic for this long (an upload, a file download, a slow method). */
const FORWARD_IDLE_TIMEOUT_MS = 600_000;

/**
 * Send `req` to `upstreamPath` and stream the answer back to `res`. `body` replaces the request stream when the gateway
 * already read it. The bot closing its connection aborts the upstream request. If the Bot API cannot be reached the bot
 * gets 502 `Bad Gateway` in the Bot API envelope. Resolves when the exchange is over; never rejects.
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
  const headers = endToEndHeaders(req.headers);
  let reqBody: Buffer | IncomingMessage | undefined = body;
  if (body !== undefined) {
    headers['content-length'] = String(body.length);
    delete headers['content-encoding'];
  } else if (hasBody(req)) {
    if (contentLength(req.headers) <= SMALL_BODY_BYTES) {
      const read = await readSmall(req);
      if (read === undefined) return; // the bot went away while sending
      reqBody = read;
      headers['content-length'] = String(read.length);
    } else {
      reqBody = req;
      if (headers['content-length'] === undefined) headers['transfer-encoding'] = 'chunked';
    }
  }
  const started = monotonicMs();
  await new Promise<void>((resolve) => {
    let status: number | undefined;
    let botGone = false;
    let settled = false;
    const upReq = up.pool.request({ method: req.method ?? 'GET', path: upstreamPath, headers, idleTimeoutMs: FORWARD_IDLE_TIMEOUT_MS });
    const onBotClose = (): void => {
      if (res.writableFinished) return;
      botGone = true;
      upReq.destroy(new Error('the bot closed the connection'));
    };
    const settle = (): void => {
      if (settled) return;
      settled = true;
      res.off('close', onBotClose);
      resolve();
    };
    /** No (complete) answer came: 502 to the bot while it still listens. */
    const failed = (err: unknown): void => {
      if (settled) return;
      if (botGone || (req.destroyed && !req.complete)) {
        up.metrics?.observeApiCall(metricMethod, status ?? 'error', (monotonicMs() - started) / 1000);
        res.destroy();
        return settle();
      }
      up.record(metricMethod, undefined, started);
      const reason = up.redact(networkReason(err));
      logger.warn('could not forward a Bot API call upstream', { method: metricMethod, reason });
      if (!sendError(res, 502, `Bad Gateway: botwarden could not reach the Bot API (${reason})`)) res.destroy();
      settle();
    };
    res.once('close', onBotClose);
    upReq.on('error', (err) => {
      if (status === undefined) failed(err); // after the headers, the answer's pipeline reports it
    });
    upReq.once('response', (upRes: IncomingMessage) => {
      status = upRes.statusCode ?? 502;
      res.writeHead(status, endToEndHeaders(upRes.headers) as OutgoingHttpHeaders);
      pipeline(upRes, res, (err) => {
        if (err) return failed(err);
        up.record(metricMethod, status, started);
        settle();
      });
    });
    if (reqBody === req) pipeline(req, upReq, noop); // a failure on either side destroys the other; reported above
    else upReq.end(reqBody);
  });
}

function noop(): void {}
