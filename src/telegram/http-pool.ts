// Bot API over node:http/node:https: a keep-alive socket pool to one origin, requests with an idle timeout and an
// abort signal, and whole answers read into a Buffer. (Node's own HTTP client: no npm HTTP stack in memory.)
import http, { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type https from 'node:https';
import { lazyRequire } from '../util/lazy-require.js';

/** node:https (TLS, crypto) is loaded only for an `https:` origin: a local Bot API server or the emulator is plain http. */
function loadHttps(): typeof https {
  return lazyRequire('node:https') as typeof https;
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

/** One request to start with `HttpPool.request()`. */
export interface PoolRequest {
  method: string;
  /** Path and query on the origin (may hold the token: never put it in a message). */
  path: string;
  /** An object, or a raw list `[name, value, …]` (then `Host` must be in it: see `host`). */
  headers: OutgoingHttpHeaders | string[];
  /** Fail with `HttpTimeoutError` when the socket sees no traffic either way for this many ms (connect, headers, body). */
  idleTimeoutMs: number;
  /** Aborts the request (and its answer's body); the request then fails with an `AbortError`. */
  signal?: AbortSignal;
}

/** What `HttpPool.roundTrip()` read: status, headers and the whole body. */
export interface PoolAnswer {
  status: number;
  headers: IncomingHttpHeaders;
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

/** Keep-alive connections to one `http:` or `https:` origin, at most `maxSockets` at a time. */
export class HttpPool {
  /** The origin requests go to (`http://host:port`), never with a path or the token. */
  readonly origin: string;
  /** The `Host` header value for the origin (`host:port`, the port left out when it is the default). */
  readonly host: string;
  private readonly agent: http.Agent;
  private readonly requestFn: typeof http.request;
  private readonly hostname: string;
  private readonly port: string;
  private closedFlag = false;

  constructor(root: URL, opts: HttpPoolOptions = {}) {
    const maxSockets = opts.maxSockets ?? 16;
    const agentOpts: http.AgentOptions = {
      keepAlive: true,
      maxSockets,
      maxFreeSockets: opts.maxFreeSockets ?? maxSockets,
      // For an idle kept-alive socket: Node's agent closes a free socket when it times out.
      timeout: opts.keepAliveMs ?? 30_000,
      scheduling: 'lifo',
    };
    if (root.protocol === 'https:') {
      const tls = loadHttps();
      this.agent = new tls.Agent(agentOpts);
      this.requestFn = tls.request;
    } else {
      this.agent = new http.Agent(agentOpts);
      this.requestFn = http.request;
    }
    this.origin = root.origin;
    this.host = root.host;
    // URL keeps IPv6 hosts in brackets; the request options want them bare.
    this.hostname = root.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = root.port;
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /**
   * Start a request: the caller writes or pipes the body, ends it, and listens for `response` and `error` (an error
   * listener is always attached here too, so a late socket error never crashes the process).
   */
  request(r: PoolRequest): ClientRequest {
    const opts: http.RequestOptions = { agent: this.agent, hostname: this.hostname, method: r.method, path: r.path, headers: r.headers };
    if (this.port) opts.port = this.port;
    if (r.signal) opts.signal = r.signal;
    const req = this.requestFn(opts);
    req.on('error', noop);
    req.setTimeout(r.idleTimeoutMs, () => req.destroy(new HttpTimeoutError(r.idleTimeoutMs)));
    if (this.closedFlag) req.destroy(new PoolClosedError());
    return req;
  }

  /**
   * Send `body` and read the whole answer (with raw `headers`, include `Content-Length` yourself). `onHeaders` runs
   * once the server has started answering. Rejects with the signal's reason when `signal` aborted, `HttpTimeoutError`,
   * or the network error (see `networkReason`).
   */
  roundTrip(r: PoolRequest & { body?: string | Buffer; onHeaders?: (status: number) => void }): Promise<PoolAnswer> {
    return new Promise<PoolAnswer>((resolve, reject) => {
      const fail = (err: unknown): void => reject(r.signal?.aborted ? r.signal.reason : err);
      const body = r.body === undefined ? undefined : typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
      const headers = body === undefined || Array.isArray(r.headers) ? r.headers : { ...r.headers, 'content-length': String(body.length) };
      const req = this.request({ ...r, headers });
      req.once('error', fail);
      req.once('response', (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        try {
          r.onHeaders?.(status);
        } catch (err) {
          req.destroy(err as Error);
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () => resolve({ status, headers: res.headers, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks) }));
        // A body cut short: the request's own `error` usually comes first; this covers the rest.
        res.on('error', fail);
        res.once('close', () => {
          if (!res.complete) fail(new Error('the connection closed before the whole answer arrived'));
        });
      });
      req.end(body);
    });
  }

  /** Close every socket, idle or busy (requests in flight fail); later requests fail with `PoolClosedError`. Safe twice. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.agent.destroy();
  }
}

function noop(): void {}
