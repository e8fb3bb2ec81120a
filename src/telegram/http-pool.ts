// The Bot API over HTTP/1.1: a keep-alive pool of sockets to one origin (node:net, node:tls for https), one request at a
// time per socket, written in one go; answers parsed by http-response.ts and handed over as they arrive (`exchange`,
// the gateway's forwarding) or read whole (`roundTrip`). Requests have an idle timeout and an abort. Our own small
// client rather than node:http's: every call a bot makes passes through it, and node:http's request and answer objects
// cost more than the rest of the forwarding (ARCHITECTURE.md, "The gateway's hot path").
import net, { type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type tls from 'node:tls';
import { isToken } from '../util/http-syntax.js';
import { lazyRequire } from '../util/lazy-require.js';
import { ResponseParser } from './http-response.js';

/** node:tls is loaded only for an `https:` origin: a local Bot API server or the emulator is plain http. */
function loadTls(): typeof tls {
  return lazyRequire('node:tls') as typeof tls;
}

/** Options for `HttpPool`. */
export interface HttpPoolOptions {
  /** Most sockets open to the origin at once; further requests wait for a free one. Default 16. */
  maxSockets?: number;
  /** Most idle keep-alive sockets kept. Default: `maxSockets`. */
  maxFreeSockets?: number;
  /** An idle keep-alive socket is closed after this many ms (or earlier, when the server's `Keep-Alive: timeout` says so). Default 30000. */
  keepAliveMs?: number;
}

/** Request headers: an object, or a raw list `[name, value, …]` (with a raw list, `Host` must be in it). */
export type RequestHeaders = Readonly<Record<string, string | number | readonly string[] | undefined>> | readonly string[];

/** One request to send with `HttpPool.exchange()` or `roundTrip()`. */
export interface PoolRequest {
  method: string;
  /** Path and query on the origin (may hold the token: never put it in a message). */
  path: string;
  /** Sent as given; with an object, `Host` and a `Content-Length` for a Buffer body are added when missing. */
  headers: RequestHeaders;
  /** Fail with `HttpTimeoutError` when the socket sees no traffic either way for this many ms (connect, headers, body). */
  idleTimeoutMs: number;
  /** Aborts the request (and its answer's body); the request then fails with the signal's reason. */
  signal?: AbortSignal;
}

/** What an exchange reports, in order: `onResponse`, any `onData`, then `onEnd`; or `onError` once, at any point. */
export interface ExchangeHandler {
  /** Status and headers (`[name, value, …]`, the server's spelling) of the final answer. */
  onResponse(status: number, rawHeaders: string[]): void;
  /** A piece of the body; return false to stop reading until `resume()`. */
  onData(chunk: Buffer): boolean;
  /** The whole answer arrived (the socket is already back in the pool). */
  onEnd(): void;
  /** The exchange failed: network error, `HttpTimeoutError`, a malformed answer, an abort (its reason), `PoolClosedError`. */
  onError(err: Error): void;
}

/** A started exchange. */
export interface Exchange {
  /** Stop it: the socket is closed, `onError(reason)` follows unless it already ended. */
  abort(reason: Error): void;
  /** Read the body again after `onData` returned false. */
  resume(): void;
}

/** What `HttpPool.roundTrip()` read: status, headers (lower-case names; repeated ones joined) and the whole body. */
export interface PoolAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** No traffic on the connection for `ms`: the request was given up. */
export class HttpTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'HttpTimeoutError';
  }
}

/** The pool was closed: no new request is sent. */
export class PoolClosedError extends Error {
  readonly code = 'EPOOLCLOSED';
  constructor() {
    super('the connection pool is closed');
    this.name = 'PoolClosedError';
  }
}

/** A short reason for a network failure (`ECONNREFUSED`, `no answer within 5000 ms`, …); the caller redacts it. */
export function networkReason(err: unknown): string {
  if (err instanceof HttpTimeoutError) return err.message;
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } } | null | undefined;
  return String(e?.cause?.code ?? e?.code ?? e?.cause?.message ?? e?.message ?? err);
}

/** Characters a request path or header value must not hold (they would end the line early or split the request). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what these look for
const BAD_PATH = /[\u0000-\u0020\u007f]/;
const BAD_VALUE = /[\r\n\0]/;
/** Bodies up to this size are copied behind the head into one write; larger ones go as a second buffer of the same write. */
const COPY_BODY_BYTES = 16 * 1024;
/** TCP keep-alive probes on pooled sockets start after this much silence (a long poll's peer vanishing is noticed). */
const TCP_KEEPALIVE_MS = 1000;

/** What ends an idle pooled socket: the server ended it, sent something unasked, or it idled out (`dropIdle`). */
const IDLE_ENDS = ['end', 'data', 'timeout'] as const;

/** An idle socket that ended, spoke unasked or idled out is closed, and so leaves the pool. */
function dropIdle(this: Socket): void {
  this.destroy();
}

/** A request waiting for a socket. */
interface Waiter {
  start(socket: Socket): void;
  fail(err: Error): void;
}

/** Keep-alive connections to one `http:` or `https:` origin, at most `maxSockets` at a time. */
export class HttpPool {
  /** The origin requests go to (`http://host:port`), never with a path or the token. */
  readonly origin: string;
  /** The `Host` header value for the origin (`host:port`, the port left out when it is the default). */
  readonly host: string;
  private readonly hostname: string;
  private readonly port: number;
  private readonly tls: boolean;
  private readonly maxSockets: number;
  private readonly maxFree: number;
  private readonly keepAliveMs: number;
  /** Idle sockets, the most recently used last (reused first: the warmest connection). */
  private readonly free: Socket[] = [];
  /** Sockets connecting or carrying a request. */
  private readonly busy = new Set<Socket>();
  private readonly waiting: Waiter[] = [];
  private closedFlag = false;
  /** The last TLS session the origin gave us: a new connection resumes it instead of a full handshake (as https.Agent does). */
  private tlsSession: Buffer | undefined;

  constructor(root: URL, opts: HttpPoolOptions = {}) {
    this.maxSockets = opts.maxSockets ?? 16;
    this.maxFree = opts.maxFreeSockets ?? this.maxSockets;
    this.keepAliveMs = opts.keepAliveMs ?? 30_000;
    this.tls = root.protocol === 'https:';
    this.origin = root.origin;
    this.host = root.host;
    // URL keeps IPv6 hosts in brackets; sockets want them bare.
    this.hostname = root.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = root.port ? Number(root.port) : this.tls ? 443 : 80;
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /**
   * Send a request with `body` (a Buffer, a stream — sent chunked unless the headers give its length — or none) and
   * report the answer to `h` as it arrives. Throws (synchronously) only for a path or header that cannot be sent.
   */
  exchange(r: PoolRequest, body: Buffer | Readable | undefined, h: ExchangeHandler): Exchange {
    const head = requestHead(r, body, this.host);
    return new PooledExchange(this, r, head.text, head.chunked, body, h);
  }

  /**
   * Send `body` and read the whole answer. `onHeaders` runs once the server has started answering (throwing from it
   * aborts). Rejects with the signal's reason when `signal` aborted, `HttpTimeoutError`, or the network error (see
   * `networkReason`).
   */
  roundTrip(r: PoolRequest & { body?: string | Buffer; onHeaders?: (status: number) => void }): Promise<PoolAnswer> {
    return new Promise<PoolAnswer>((resolve, reject) => {
      const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
      const chunks: Buffer[] = [];
      let status = 0;
      let raw: string[] = [];
      let x: Exchange | undefined = undefined;
      x = this.exchange(r, body, {
        onResponse: (s, h) => {
          status = s;
          raw = h;
          try {
            r.onHeaders?.(s);
          } catch (err) {
            x?.abort(err instanceof Error ? err : new Error(String(err)));
          }
        },
        onData: (c) => {
          chunks.push(c);
          return true;
        },
        onEnd: () => resolve({ status, headers: headerObject(raw), body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks) }),
        onError: reject,
      });
    });
  }

  /** Close every socket, idle or busy (requests in flight fail); later requests fail with `PoolClosedError`. Safe twice. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const w of this.waiting.splice(0)) w.fail(new PoolClosedError());
    for (const s of this.free.splice(0)) s.destroy();
    for (const s of [...this.busy]) s.destroy(new PoolClosedError());
  }

  /** @internal A socket for `w`: an idle one, a new one, or later when `maxSockets` are busy. */
  acquire(w: Waiter): void {
    if (this.closedFlag) return w.fail(new PoolClosedError());
    const idle = this.free.pop();
    if (idle) {
      for (const event of IDLE_ENDS) idle.off(event, dropIdle);
      idle.ref();
      this.busy.add(idle);
      return w.start(idle);
    }
    if (this.busy.size >= this.maxSockets) return void this.waiting.push(w);
    const s = this.connect();
    this.busy.add(s);
    w.start(s);
  }

  /** @internal Give a socket back after a complete answer: kept idle when it may carry another request, else closed. */
  release(s: Socket, reusable: boolean, serverIdleMs: number | undefined): void {
    this.busy.delete(s);
    if (reusable && !this.closedFlag && !s.destroyed && this.free.length < this.maxFree) {
      if (this.waiting.length > 0) {
        this.busy.add(s);
        return (this.waiting.shift() as Waiter).start(s);
      }
      // Close an idle socket a little before the server would (its Keep-Alive timeout), so a request never races it.
      const idleMs = serverIdleMs !== undefined ? Math.max(0, Math.min(this.keepAliveMs, serverIdleMs - 1000)) : this.keepAliveMs;
      if (idleMs > 0) {
        s.setTimeout(idleMs);
        for (const event of IDLE_ENDS) s.on(event, dropIdle);
        s.unref(); // an idle connection never keeps the process alive
        this.free.push(s);
        return;
      }
    }
    s.destroy();
    this.next();
  }

  /** A waiting request gets the room a closed socket left. */
  private next(): void {
    const w = this.waiting.shift();
    if (w) this.acquire(w);
  }

  private connect(): Socket {
    let s: Socket;
    if (this.tls) {
      const servername = net.isIP(this.hostname) === 0 ? this.hostname : undefined;
      const t = loadTls().connect({ host: this.hostname, port: this.port, ALPNProtocols: ['http/1.1'], ...(servername ? { servername } : {}), ...(this.tlsSession ? { session: this.tlsSession } : {}) });
      t.on('session', (session: Buffer) => void (this.tlsSession = session));
      t.once('error', () => void (this.tlsSession = undefined)); // as https.Agent: a failed connection's session is not resumed
      s = t;
    } else {
      s = net.connect({ host: this.hostname, port: this.port });
    }
    s.setNoDelay(true);
    s.setKeepAlive(true, TCP_KEEPALIVE_MS);
    s.on('error', noop); // reported by the exchange using it; an idle socket's error just closes it
    s.on('close', () => {
      // Idle: it leaves the free list. Busy (not given back first): a waiting request gets the room it left.
      const i = this.free.indexOf(s);
      if (i >= 0) this.free.splice(i, 1);
      else if (this.busy.delete(s)) this.next();
    });
    return s;
  }
}

/** One request on a pooled socket. */
class PooledExchange implements Exchange {
  private socket: Socket | undefined;
  private parser: ResponseParser;
  private ended = false;
  /** The whole request went out (a socket whose request is still being sent cannot be reused). */
  private sent = false;
  /** Stops sending a stream body (the answer came first, or the exchange failed). */
  private unstream: (() => void) | undefined;
  private readonly onAbort = (): void => this.abort(toError(this.r.signal?.reason));

  constructor(
    private readonly pool: HttpPool,
    private readonly r: PoolRequest,
    private readonly head: string,
    private readonly chunked: boolean,
    private readonly body: Buffer | Readable | undefined,
    private readonly h: ExchangeHandler,
  ) {
    this.parser = new ResponseParser(
      {
        onHead: (status, raw) => h.onResponse(status, raw),
        onBody: (chunk) => {
          if (!this.ended && h.onData(chunk) === false) this.socket?.pause();
        },
        onComplete: (keepAlive) => this.complete(keepAlive),
      },
      r.method === 'HEAD',
    );
    if (r.signal?.aborted) {
      queueMicrotask(() => this.fail(toError(r.signal?.reason)));
      return;
    }
    r.signal?.addEventListener('abort', this.onAbort, { once: true });
    pool.acquire({ start: (s) => this.start(s), fail: (err) => this.fail(err) });
  }

  abort(reason: Error): void {
    if (this.ended) return;
    this.socket?.destroy();
    this.fail(reason);
  }

  resume(): void {
    if (!this.ended) this.socket?.resume();
  }

  private start(s: Socket): void {
    if (this.ended) return this.pool.release(s, !s.destroyed && s.readyState === 'open', undefined);
    this.socket = s;
    s.setTimeout(this.r.idleTimeoutMs);
    s.on('timeout', this.onTimeout);
    s.on('data', this.onData);
    s.on('end', this.onEof);
    s.on('close', this.onEof);
    s.on('error', this.onSocketError);
    const head = Buffer.from(this.head, 'latin1');
    const body = this.body;
    if (body === undefined) {
      s.write(head);
      this.sent = true;
    } else if (Buffer.isBuffer(body)) {
      if (body.length <= COPY_BODY_BYTES) s.write(Buffer.concat([head, body], head.length + body.length));
      else {
        s.cork();
        s.write(head);
        s.write(body);
        s.uncork();
      }
      this.sent = true;
    } else {
      s.write(head);
      this.stream(s, body);
    }
  }

  /** Send a stream body with backpressure (chunked when its length was not given). */
  private stream(s: Socket, body: Readable): void {
    const onChunk = (c: Buffer | string): void => {
      const chunk = typeof c === 'string' ? Buffer.from(c) : c;
      if (chunk.length === 0) return;
      if (this.chunked) {
        s.write(`${chunk.length.toString(16)}\r\n`);
        s.write(chunk);
      }
      if (!(this.chunked ? s.write('\r\n') : s.write(chunk))) {
        body.pause();
        s.once('drain', () => body.resume());
      }
    };
    const onEnd = (): void => {
      cleanup();
      if (this.chunked && !s.destroyed) s.write('0\r\n\r\n');
      this.sent = true;
    };
    const onFail = (err?: Error): void => {
      cleanup();
      this.abort(err ?? new Error('the request body ended early'));
    };
    const onClose = (): void => {
      if (!body.readableEnded) onFail();
    };
    const cleanup = (): void => {
      this.unstream = undefined;
      body.off('data', onChunk);
      body.off('end', onEnd);
      body.off('error', onFail);
      body.off('close', onClose);
    };
    this.unstream = cleanup;
    body.on('data', onChunk);
    body.once('end', onEnd);
    body.once('error', onFail);
    body.once('close', onClose);
  }

  /** Feed the parser the next bytes, or (undefined) the connection's end; a malformed or cut-short answer fails the exchange. */
  private parse(d: Buffer | undefined): void {
    try {
      if (d === undefined) this.parser.finish();
      else this.parser.execute(d);
    } catch (err) {
      this.abort(toError(err));
    }
  }

  private readonly onData = (d: Buffer): void => this.parse(d);

  /** The connection ended ('end' or 'close'): the answer completes (until-close) or failed (`finish` throws). */
  private readonly onEof = (): void => {
    if (!this.ended) this.parse(undefined);
  };

  private readonly onSocketError = (err: Error): void => this.abort(err);

  private readonly onTimeout = (): void => this.abort(new HttpTimeoutError(this.r.idleTimeoutMs));

  private detach(): Socket | undefined {
    const s = this.socket;
    this.socket = undefined;
    this.r.signal?.removeEventListener('abort', this.onAbort);
    this.unstream?.();
    if (!s) return undefined;
    s.off('timeout', this.onTimeout);
    s.off('data', this.onData);
    s.off('end', this.onEof);
    s.off('close', this.onEof);
    s.off('error', this.onSocketError);
    return s;
  }

  private complete(keepAlive: boolean): void {
    if (this.ended) return;
    this.ended = true;
    const s = this.detach();
    if (s) {
      if (s.isPaused()) s.resume();
      this.pool.release(s, keepAlive && this.sent && s.readyState === 'open', this.parser.keepAliveTimeoutMs);
    }
    this.h.onEnd();
  }

  private fail(err: Error): void {
    if (this.ended) return;
    this.ended = true;
    const s = this.detach();
    if (s) {
      s.destroy();
      this.pool.release(s, false, undefined);
    }
    this.h.onError(err);
  }
}

/** The request line and headers, validated; `chunked`: a stream body of unknown length goes chunked. */
function requestHead(r: PoolRequest, body: Buffer | Readable | undefined, host: string): { text: string; chunked: boolean } {
  if (!isToken(r.method)) throw new TypeError(`invalid HTTP method ${JSON.stringify(r.method)}`);
  if (BAD_PATH.test(r.path) || r.path[0] !== '/') throw new TypeError('invalid request path (it must start with / and hold no spaces or control characters)');
  let text = `${r.method} ${r.path} HTTP/1.1\r\n`;
  let hasHost = false;
  let hasLength = false;
  let chunked = false;
  const add = (name: string, value: string): void => {
    if (!isToken(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
    if (BAD_VALUE.test(value)) throw new TypeError(`invalid value for header ${name}`);
    const k = name.length === 4 || name.length === 14 || name.length === 17 ? name.toLowerCase() : '';
    if (k === 'host') hasHost = true;
    else if (k === 'content-length') hasLength = true;
    else if (k === 'transfer-encoding') chunked = value.toLowerCase().includes('chunked');
    text += `${name}: ${value}\r\n`;
  };
  if (isRawList(r.headers)) {
    for (let i = 0; i < r.headers.length; i += 2) add(r.headers[i] as string, r.headers[i + 1] as string);
  } else {
    for (const [name, v] of Object.entries(r.headers)) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const one of v as readonly string[]) add(name, one);
      else add(name, String(v));
    }
  }
  if (!hasHost) text = `${r.method} ${r.path} HTTP/1.1\r\nHost: ${host}\r\n${text.slice(text.indexOf('\r\n') + 2)}`;
  if (!hasLength && !chunked) {
    if (Buffer.isBuffer(body)) text += `Content-Length: ${body.length}\r\n`;
    else if (body !== undefined) {
      text += 'Transfer-Encoding: chunked\r\n';
      chunked = true;
    } else if (r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH') text += 'Content-Length: 0\r\n';
  }
  return { text: `${text}\r\n`, chunked };
}

function isRawList(h: RequestHeaders): h is readonly string[] {
  return Array.isArray(h);
}

/** `[name, value, …]` → lower-case names, repeated values joined with `, `. */
function headerObject(raw: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const k = (raw[i] as string).toLowerCase();
    const v = raw[i + 1] as string;
    out[k] = out[k] === undefined ? v : `${out[k]}, ${v}`;
  }
  return out;
}

function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function noop(): void {}
