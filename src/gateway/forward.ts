// Forward one bot request upstream as a stream (body in, answer out), without hop-by-hop headers; the bot's abort aborts upstream.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import { networkReason, type Exchange } from '../telegram/http-pool.js';
import { bodyEncoding } from '../telegram/wire-params.js';
import { monotonicMs } from '../util/clock.js';
import { errorBody, sendError } from './envelope.js';
import type { FastReply, FastRequest } from './fast-lane.js';
import type { Upstream } from './upstream.js';

/** Headers that belong to one connection, not to the request (RFC 9110 §7.6.1), plus ones the pool sets itself. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'trailers',
  'transfer-encoding', 'upgrade', 'host', 'expect', 'http2-settings',
]);

/** Lower-case header names, remembered (names repeat from call to call; bounded so odd names cannot grow it). */
const lowerNames = new Map<string, string>();
function lower(name: string): string {
  let l = lowerNames.get(name);
  if (l === undefined) {
    l = name.toLowerCase();
    if (lowerNames.size >= 512) lowerNames.clear();
    lowerNames.set(name, l);
  }
  return l;
}

/**
 * Append to `out` the raw headers (`[name, value, name, value, …]`, as `message.rawHeaders`) that are end to end: not
 * hop-by-hop, not named by `connection`, not in `skip` (lower case). Duplicates (`set-cookie`) and the sender's
 * spelling are kept. Works on the raw list so Node never builds the `headers` object on the hot path.
 */
export function appendEndToEndRaw(raw: readonly string[], out: string[], skip?: ReadonlySet<string>): string[] {
  const start = out.length;
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const k = lower(raw[i] as string);
    if (k === 'connection') {
      for (const t of (raw[i + 1] as string).split(',')) {
        const token = t.trim().toLowerCase();
        if (token !== 'close' && !HOP_BY_HOP.has(token)) (named ??= new Set()).add(token);
      }
      continue;
    }
    if (HOP_BY_HOP.has(k) || skip?.has(k)) continue;
    out.push(raw[i] as string, raw[i + 1] as string);
  }
  if (named) {
    // Rare: `connection` named an extra header; drop it (it may have come before the `connection` header).
    const kept = out.splice(start);
    for (let i = 0; i < kept.length; i += 2) if (!named.has(lower(kept[i] as string))) out.push(kept[i] as string, kept[i + 1] as string);
  }
  return out;
}

/** Request bodies up to this size are read whole and sent in one write; larger ones (uploads) are streamed. */
const SMALL_BODY_BYTES = 256 * 1024;

/** A forwarded call fails when its connection sees no traffic for this long (an upload, a file download, a slow method). */
const FORWARD_IDLE_TIMEOUT_MS = 600_000;

/** The gateway sets these itself on the upstream request (from the body it sends). */
const SET_BY_US = new Set(['content-length']);
/** …and drops the encoding too when it sends a body it already read and decoded (gzip, deflate: params.readBody). */
const SET_BY_US_DECODED = new Set(['content-length', 'content-encoding']);
/** Methods whose requests carry no body unless they say so (Node does not send them chunked by default). */
const BODYLESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE']);

/** What the bot said about its request body. */
interface DeclaredBody {
  /** `content-length` as sent, if any. */
  length: string | undefined;
  /** A `transfer-encoding` was sent (chunked). */
  chunked: boolean;
}

function declaredBody(raw: readonly string[]): DeclaredBody {
  let length: string | undefined;
  let chunked = false;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i] as string;
    if (k.length === 14 && lower(k) === 'content-length') length = raw[i + 1];
    else if (k.length === 17 && lower(k) === 'transfer-encoding') chunked = true;
  }
  return { length, chunked };
}

/** Read a small body whole, then call `done` with it (undefined when the bot went away first). */
function readSmall(req: IncomingMessage, done: (body: Buffer | undefined) => void): void {
  const chunks: Buffer[] = [];
  const onData = (c: Buffer): void => void chunks.push(c);
  const finish = (ok: boolean): void => {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('close', onClose);
    req.off('error', onClose);
    done(ok ? (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)) : undefined);
  };
  const onEnd = (): void => finish(true);
  const onClose = (): void => finish(req.complete);
  req.on('data', onData);
  req.once('end', onEnd);
  req.once('close', onClose);
  req.once('error', onClose);
}

/**
 * Send `req` to `upstreamPath` and stream the answer back to `res`. `body` replaces the request stream when the gateway
 * already read it. The bot closing its connection aborts the upstream request. If the Bot API cannot be reached the bot
 * gets 502 `Bad Gateway` in the Bot API envelope. Resolves when the exchange is over; never rejects.
 */
export function forwardRequest(
  up: Upstream,
  logger: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  upstreamPath: string,
  metricMethod: string,
  body?: Buffer,
): Promise<void> {
  const call: ForwardCall = { up, logger, req, res, upstreamPath, metricMethod };
  return new Promise<void>((resolve) => {
    const method = req.method ?? 'GET';
    const headers = ['Host', up.pool.host];
    if (body !== undefined) {
      // A body in an encoding readBody does not decode came as it was sent: it keeps its content-encoding header.
      const decoded = bodyEncoding(req.headers['content-encoding']) !== 'unsupported';
      appendEndToEndRaw(req.rawHeaders, headers, decoded ? SET_BY_US_DECODED : SET_BY_US).push('Content-Length', String(body.length));
      return exchange(call, method, headers, body, resolve);
    }
    appendEndToEndRaw(req.rawHeaders, headers, SET_BY_US);
    const declared = declaredBody(req.rawHeaders);
    const length = declared.length !== undefined && /^\d+$/.test(declared.length) ? Number(declared.length) : undefined;
    if (length === 0 || (length === undefined && !declared.chunked)) {
      if (!BODYLESS.has(method) || length === 0) headers.push('Content-Length', '0');
      return exchange(call, method, headers, undefined, resolve);
    }
    if (length !== undefined && length <= SMALL_BODY_BYTES) {
      return readSmall(req, (read) => {
        if (read === undefined) return resolve(); // the bot went away while sending
        headers.push('Content-Length', String(read.length));
        exchange(call, method, headers, read, resolve);
      });
    }
    // A large or chunked upload: streamed as it arrives.
    if (length !== undefined) headers.push('Content-Length', String(length));
    else headers.push('Transfer-Encoding', 'chunked');
    exchange(call, method, headers, req, resolve);
  });
}

/** One forwarded call: where it goes and whom it answers. */
interface ForwardCall {
  up: Upstream;
  logger: Logger;
  req: IncomingMessage;
  res: ServerResponse;
  upstreamPath: string;
  metricMethod: string;
}

/** One upstream request with its body (a Buffer, the bot's request stream, or none), its answer relayed to `res`. */
function exchange(call: ForwardCall, method: string, headers: string[], reqBody: Buffer | IncomingMessage | undefined, resolve: () => void): void {
  const { up, logger, req, res, upstreamPath, metricMethod } = call;
  const started = monotonicMs();
  let status: number | undefined;
  let botGone = false;
  let settled = false;
  const ref: { x?: Exchange } = {};
  const onDrain = (): void => ref.x?.resume();
  const onBotClose = (): void => {
    if (res.writableFinished) return;
    botGone = true;
    ref.x?.abort(new Error('the bot closed the connection'));
  };
  const settle = (): void => {
    if (settled) return;
    settled = true;
    res.off('close', onBotClose);
    res.off('drain', onDrain);
    resolve();
  };
  res.once('close', onBotClose);
  ref.x = up.pool.exchange({ method, path: upstreamPath, headers, idleTimeoutMs: FORWARD_IDLE_TIMEOUT_MS }, reqBody, {
    onResponse: (answerStatus, rawHeaders) => {
      status = answerStatus;
      res.writeHead(status, appendEndToEndRaw(rawHeaders, []));
    },
    onData: (chunk) => {
      if (res.write(chunk)) return true;
      res.once('drain', onDrain);
      return false;
    },
    onEnd: () => {
      if (settled) return;
      res.end();
      up.record(metricMethod, status, started);
      settle();
    },
    onError: (err) => {
      if (settled) return;
      const bad = failedForward(up, logger, metricMethod, started, status, botGone || (req.destroyed && !req.complete), err);
      if (bad === undefined || !sendError(res, 502, bad)) res.destroy();
      settle();
    },
  });
}

/** What `forwardWhole` relays: a request the fast lane read whole, and how to answer it. */
export interface WholeCall {
  up: Upstream;
  logger: Logger;
  req: FastRequest;
  reply: FastReply;
  upstreamPath: string;
  metricMethod: string;
}

/** The answer's own length is replaced by the fast lane's. */
const SKIP_ANSWER = new Set(['content-length']);

/**
 * Forward a request the fast lane read whole and answer it whole, in one write: the same exchange as `forwardRequest`
 * (hop-by-hop headers stripped both ways, 502 in the Bot API envelope when the API cannot be reached, the bot's close
 * aborts upstream) for the everyday small call. Resolves when the exchange is over; never rejects.
 */
export function forwardWhole(c: WholeCall): Promise<void> {
  const { up, logger, req, reply, metricMethod } = c;
  return new Promise<void>((resolve) => {
    const started = monotonicMs();
    const headers = appendEndToEndRaw(req.rawHeaders, ['Host', up.pool.host], SET_BY_US);
    headers.push('Content-Length', String(req.body.length));
    let status: number | undefined;
    let answerHeaders: string[] = [];
    const chunks: Buffer[] = [];
    let botGone = false;
    let x: Exchange | undefined = undefined;
    reply.onClose(() => {
      botGone = true;
      x?.abort(new Error('the bot closed the connection'));
    });
    if (botGone) return resolve();
    x = up.pool.exchange({ method: req.method, path: c.upstreamPath, headers, idleTimeoutMs: FORWARD_IDLE_TIMEOUT_MS }, req.body, {
      onResponse: (s, raw) => {
        status = s;
        answerHeaders = raw;
      },
      onData: (chunk) => {
        chunks.push(chunk);
        return true;
      },
      onEnd: () => {
        up.record(metricMethod, status, started);
        reply.send(status ?? 502, appendEndToEndRaw(answerHeaders, [], SKIP_ANSWER), chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
        resolve();
      },
      onError: (err) => {
        const bad = failedForward(up, logger, metricMethod, started, status, botGone, err);
        if (bad === undefined) reply.destroy();
        else reply.send(502, ['Content-Type', 'application/json'], errorBody(502, bad));
        resolve();
      },
    });
  });
}

/**
 * A forwarded call failed: its metric and log line, and how it ends for the bot — the description of a 502 when no
 * answer had started, undefined when the bot's connection is to be cut (the bot left, or the answer broke off after its
 * headers, as the bot would see it from the Bot API).
 */
function failedForward(up: Upstream, logger: Logger, metricMethod: string, started: number, status: number | undefined, botGone: boolean, err: unknown): string | undefined {
  if (botGone) {
    up.metrics?.observeApiCall(metricMethod, status ?? 'error', (monotonicMs() - started) / 1000);
    return undefined;
  }
  up.record(metricMethod, undefined, started);
  const reason = up.redact(networkReason(err));
  if (status !== undefined) {
    logger.warn('the Bot API answer broke off', { method: metricMethod, reason });
    return undefined;
  }
  logger.warn('could not forward a Bot API call upstream', { method: metricMethod, reason });
  return `Bad Gateway: botwarden could not reach the Bot API (${reason})`;
}
