// The bot side's fast lane: the gateway's everyday request — a Bot API method call over HTTP/1.1 keep-alive with a
// small Content-Length body (sendMessage, answerCallbackQuery, getUpdates, …) — is read, handed to the gateway and
// answered in one write on the raw connection, without node:http's request and response objects. Anything else (webhook
// calls, files, uploads, chunked or encoded bodies, `Expect`, HTTP/1.0, `Connection` other than keep-alive, a head over 16 KB, a
// malformed one) hands the connection to node:http's server for good, the bytes read so far put back first: what is
// not common is served by the full HTTP implementation, as before.
import type { Server as HttpServer } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { isToken, trimOws } from '../util/http-syntax.js';
import type { JsonSink } from './envelope.js';

/** A request the fast lane read whole. */
export interface FastRequest {
  method: 'GET' | 'POST';
  /** The request target as sent (path and query; may hold the token). */
  url: string;
  /** `[name, value, …]`, the bot's spelling kept. */
  rawHeaders: string[];
  /** The `content-type` header (lower-case name), for parameter parsing. */
  contentType: string | undefined;
  body: Buffer;
}

/** How the gateway answers a fast request: exactly one of `send` or `destroy`. */
export interface FastReply {
  /** Status, end-to-end headers (no Content-Length, no hop-by-hop ones) and the whole body, in one write. */
  send(status: number, rawHeaders: readonly string[], body: Buffer): void;
  /** Close the connection without an answer. */
  destroy(): void;
  /** `fn` runs if the bot closes the connection before the answer was sent. */
  onClose(fn: () => void): void;
}

/** What the fast lane needs from the gateway; `R` is the gateway's routing of a request, decided once. */
export interface FastLaneOptions<R> {
  /** node:http's server (not listening itself): connections the fast lane does not keep are handed to it. */
  server: HttpServer;
  /** The route when the gateway serves this call on the fast lane (by target: a method call that needs no special handling), else undefined. */
  takes(method: 'GET' | 'POST', url: string): R | undefined;
  /** Serve a request `takes` routed to `route`. */
  handle(req: FastRequest, route: R, reply: FastReply): void;
  /** An idle connection is closed after this long, ms (as the server's keepAliveTimeout). */
  keepAliveMs: number;
}

/** Bodies larger than this go to node:http (read and streamed there). */
export const FAST_BODY_BYTES = 64 * 1024;
/** node:http's own header limit: a larger head is left to it (it answers 431). */
const MAX_HEAD_BYTES = 16 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');
// eslint-disable-next-line no-control-regex -- control characters are exactly what these look for
const BAD_TARGET = /[\s\0-\x1f\x7f]/;
const BAD_VALUE = /[\0\r\n]/;
/** Request headers that make a request not the common case (`Connection` only when it says more than keep-alive). */
const NOT_FAST = new Set(['transfer-encoding', 'expect', 'upgrade', 'content-encoding', 'te', 'trailer']);

/** Accepts connections for the gateway: serves the common call itself, hands the rest to node:http. */
export class FastLane<R> {
  private readonly conns = new Set<FastConnection<R>>();
  /** Connections handed to node:http: its server does not track injected connections unless it listens itself. */
  private readonly handed = new Set<Socket>();
  private closed = false;

  constructor(private readonly o: FastLaneOptions<R>) {}

  /** A new connection from a bot. */
  accept(socket: Socket): void {
    if (this.closed) return void socket.destroy();
    socket.setNoDelay(true);
    const c = new FastConnection(socket, this.o, (handed) => {
      this.conns.delete(c);
      if (handed && !socket.destroyed) {
        this.handed.add(socket);
        socket.once('close', () => this.handed.delete(socket));
      }
    });
    this.conns.add(c);
  }

  /** Close every connection, on the fast lane or handed to node:http (requests in flight end). */
  close(): void {
    this.closed = true;
    for (const c of [...this.conns]) c.destroy();
    for (const s of [...this.handed]) s.destroy();
  }
}

/** One bot connection while it stays on the fast lane. */
class FastConnection<R> {
  private buf: Buffer | undefined;
  /** The head at the start of `buf`, parsed while its body is still coming (clients often send head and body apart). */
  private head: { req: Head<R>; end: number } | undefined;
  /** A request is being answered: later bytes wait (pipelining is served in order). */
  private busy = false;
  private onBotClose: (() => void) | undefined;
  private gone = false;

  constructor(
    private readonly socket: Socket,
    private readonly o: FastLaneOptions<R>,
    private readonly forget: (handed: boolean) => void,
  ) {
    socket.setTimeout(o.keepAliveMs);
    socket.on('timeout', this.onTimeout);
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private readonly onTimeout = (): void => {
    if (!this.busy) this.socket.destroy();
  };

  private readonly onError = (): void => {
    // 'close' follows.
  };

  private readonly onClose = (): void => {
    this.gone = true;
    this.forget(false);
    const fn = this.onBotClose;
    this.onBotClose = undefined;
    fn?.();
  };

  private readonly onData = (d: Buffer): void => {
    this.buf = this.buf ? Buffer.concat([this.buf, d]) : d;
    if (!this.busy) this.next();
    // A bot that sends more behind a call in flight (pipelining) is read no further than one more request's worth.
    else if (this.buf.length > MAX_HEAD_BYTES + FAST_BODY_BYTES) this.socket.pause();
  };

  /** Serve the next complete request in the buffer, or hand the connection over. */
  private next(): void {
    const buf = this.buf;
    if (!buf || buf.length === 0) return;
    if (!this.head) {
      const end = buf.indexOf(HEAD_END);
      if (end < 0) {
        if (buf.length > MAX_HEAD_BYTES) this.handOver();
        return;
      }
      const parsed = parseHead(buf.toString('latin1', 0, end + 2), this.o);
      if (!parsed) return this.handOver();
      this.head = { req: parsed, end };
    }
    const { req, end } = this.head;
    const total = end + 4 + req.length;
    if (buf.length < total) return; // the body is still coming
    this.head = undefined;
    const body = buf.subarray(end + 4, total);
    this.buf = total === buf.length ? undefined : buf.subarray(total);
    this.busy = true;
    let answered = false;
    const done = (): void => {
      this.onBotClose = undefined;
      this.busy = false;
      if (this.gone) return;
      if (this.socket.isPaused()) this.socket.resume();
      this.next();
    };
    this.o.handle(
      { method: req.method, url: req.url, rawHeaders: req.raw, contentType: req.contentType, body },
      req.route,
      {
        send: (status, rawHeaders, answer) => {
          if (answered) return;
          answered = true;
          if (this.gone) return done();
          let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
          for (let i = 0; i < rawHeaders.length; i += 2) head += `${rawHeaders[i] as string}: ${rawHeaders[i + 1] as string}\r\n`;
          head += `Content-Length: ${answer.length}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(this.o.keepAliveMs / 1000)}\r\n\r\n`;
          const h = Buffer.from(head, 'latin1');
          this.socket.write(Buffer.concat([h, answer], h.length + answer.length));
          done();
        },
        destroy: () => {
          if (answered) return;
          answered = true;
          this.socket.destroy();
          done();
        },
        onClose: (fn) => {
          if (this.gone) fn();
          else this.onBotClose = fn;
        },
      },
    );
  }

  /** From here on node:http serves this connection, starting with the bytes read so far. */
  private handOver(): void {
    const s = this.socket;
    s.pause();
    s.off('timeout', this.onTimeout);
    s.off('data', this.onData);
    s.off('close', this.onClose);
    s.off('error', this.onError);
    s.setTimeout(0);
    this.forget(true);
    if (this.buf) s.unshift(this.buf);
    this.buf = undefined;
    this.o.server.emit('connection', s);
    s.resume();
  }
}

interface Head<R> {
  route: R;
  method: 'GET' | 'POST';
  url: string;
  raw: string[];
  contentType: string | undefined;
  length: number;
}

/** The request line and headers (`text` ends with the last header's CRLF), or undefined when not a fast-lane request. */
function parseHead<R>(text: string, o: FastLaneOptions<R>): Head<R> | undefined {
  let eol = text.indexOf('\r\n');
  const line = text.slice(0, eol);
  const sp1 = line.indexOf(' ');
  const sp2 = line.lastIndexOf(' ');
  if (sp1 <= 0 || sp2 <= sp1 + 1 || line.slice(sp2 + 1) !== 'HTTP/1.1') return undefined;
  const m = line.slice(0, sp1);
  if (m !== 'POST' && m !== 'GET') return undefined;
  const url = line.slice(sp1 + 1, sp2);
  if (url.charCodeAt(0) !== 0x2f || BAD_TARGET.test(url)) return undefined;
  const route = o.takes(m, url);
  if (route === undefined) return undefined;
  const raw: string[] = [];
  let length: number | undefined;
  let contentType: string | undefined;
  let host = false;
  for (let at = eol + 2; at < text.length; at = eol + 2) {
    eol = text.indexOf('\r\n', at);
    const colon = text.indexOf(':', at);
    if (colon <= at || colon > eol || !isToken(text, at, colon)) return undefined;
    const name = text.slice(at, colon);
    const value = trimOws(text, colon + 1, eol);
    if (BAD_VALUE.test(value)) return undefined;
    const k = name.toLowerCase();
    if (NOT_FAST.has(k)) return undefined;
    if (k === 'connection') {
      if (value.toLowerCase() !== 'keep-alive') return undefined;
      continue; // hop-by-hop: not forwarded
    }
    if (k === 'keep-alive') continue;
    if (k === 'content-length') {
      if (length !== undefined || !/^\d{1,6}$/.test(value)) return undefined;
      length = Number(value);
    } else if (k === 'content-type') contentType = value;
    else if (k === 'host') host = true;
    raw.push(name, value);
  }
  if (!host) return undefined; // HTTP/1.1 requires it; node:http answers 400
  if (m === 'GET' ? length !== undefined && length > 0 : length === undefined || length > FAST_BODY_BYTES) return undefined;
  return { route, method: m, url, raw, contentType, length: length ?? 0 };
}

/** A fast-lane answer as a `JsonSink`, for the answers the gateway writes itself (getUpdates, its envelopes). */
export function jsonSink(reply: FastReply): JsonSink {
  let status = 200;
  let headers: Record<string, string> = {};
  let sent = false;
  let gone = false;
  const listeners = new Set<() => void>();
  reply.onClose(() => {
    gone = true;
    for (const fn of [...listeners]) fn();
  });
  return {
    get headersSent() {
      return sent;
    },
    get destroyed() {
      return gone;
    },
    get writableEnded() {
      return sent;
    },
    writeHead(s: number, h: Record<string, string>) {
      status = s;
      headers = h;
    },
    end(body: Buffer) {
      if (sent) return;
      sent = true;
      const raw: string[] = [];
      for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== 'content-length') raw.push(k, v);
      reply.send(status, raw, body);
    },
    once(_event: 'close', fn: () => void) {
      listeners.add(fn);
    },
    off(_event: 'close', fn: () => void) {
      listeners.delete(fn);
    },
  };
}
