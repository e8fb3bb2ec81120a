// The health server: /healthz, /readyz, /metrics, /status and the control endpoint `botwarden stop` uses.
import { constantTimeEqual } from '../util/crypto-lite.js';
import http from 'node:http';
import type { Logger } from '../log.js';
import { listenLoopback, closeServer } from '../server.js';
import { readiness, type StatusSnapshot } from './status.js';

/** What the health server reads and may trigger. It reads snapshots only; it never reaches into the supervisor. */
export interface HealthServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 = any free port. */
  port: number;
  /** What `/status` answers (`run`: a StatusSnapshot; `up`: `{ bots: [...] }`). */
  status: () => object;
  /** `/readyz`; default: readiness() of a `run` status snapshot. */
  ready?: () => { ready: boolean; reasons: string[] };
  /** Prometheus exposition text. */
  metrics: () => Promise<{ contentType: string; body: string }>;
  /** `POST /control/stop` with `Authorization: Bearer <secret>` calls `onStop` (the secret sits in the 0600 state file). */
  control?: {
    secret: string;
    onStop: () => void;
    /** Other `POST /control/<path>` requests (same secret), e.g. `up`'s `bots/<name>/restart` and `reload`. */
    command?: (path: string, body: unknown) => Promise<{ status: number; body: unknown }>;
  };
  /** Extra routes (the status page) tried before the 404. Return true when handled. */
  extra?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
  logger: Logger;
}

/** A running health server; `close()` is safe twice. */
export interface HealthServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Start the health server on loopback (unless told otherwise). */
export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    handle(opts, req, res).catch((err: unknown) => {
      opts.logger.warn('health request failed', { path: req.url, error: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal error' });
      else res.destroy();
    });
  });
  const addr = await listenLoopback(server, { host: opts.host ?? '127.0.0.1', port: opts.port });
  let closed: Promise<void> | undefined;
  return {
    url: addr.url,
    port: addr.port,
    close: () => (closed ??= closeServer(server)),
  };
}

/** Names a loopback-bound server answers to; a browser sends one of these only when the page really came from here. */
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** True for the default loopback binding (where the Host check applies); a server bound wider serves any name. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The hostname in a Host header is a loopback name (or absent: not a browser). A page on another site that re-points
 * its own DNS name at 127.0.0.1 (DNS rebinding) sends its own name here, so it cannot read /status or /metrics.
 */
export function hostHeaderAllowed(header: string | undefined): boolean {
  if (header === undefined || header === '') return true;
  const name = header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : (header.split(':')[0] ?? '');
  return isLoopbackHost(name.toLowerCase());
}

async function handle(opts: HealthServerOptions, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (isLoopbackHost(opts.host ?? '127.0.0.1') && !hostHeaderAllowed(req.headers.host)) {
    sendJson(res, 403, {
      ok: false,
      error: `forbidden: Host ${JSON.stringify(String(req.headers.host).slice(0, 100))} is not a loopback name; this server answers to 127.0.0.1, localhost and [::1] (bind it elsewhere with --health-host to serve other names)`,
    });
    return;
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = req.method ?? 'GET';
  if (method === 'POST' && url.pathname === '/control/stop') {
    if (!opts.control || !bearerMatches(req.headers.authorization, opts.control.secret)) {
      sendJson(res, 403, { ok: false, error: 'forbidden: a valid control secret is required' });
      return;
    }
    sendJson(res, 202, { ok: true, stopping: true });
    opts.control.onStop();
    return;
  }
  if (method === 'POST' && url.pathname.startsWith('/control/') && opts.control?.command) {
    if (!bearerMatches(req.headers.authorization, opts.control.secret)) {
      sendJson(res, 403, { ok: false, error: 'forbidden: a valid control secret is required' });
      return;
    }
    const r = await opts.control.command(url.pathname.slice('/control/'.length), await readJsonBody(req));
    sendJson(res, r.status, r.body);
    return;
  }
  if (method !== 'GET' && method !== 'HEAD') {
    if (opts.extra?.(req, res)) return;
    sendJson(res, 405, { ok: false, error: `method ${method} not allowed` });
    return;
  }
  switch (url.pathname) {
    case '/healthz':
      sendJson(res, 200, { ok: true });
      return;
    case '/readyz': {
      const r = opts.ready ? opts.ready() : readiness(opts.status() as StatusSnapshot);
      sendJson(res, r.ready ? 200 : 503, r);
      return;
    }
    case '/status':
      sendJson(res, 200, opts.status());
      return;
    case '/metrics': {
      const m = await opts.metrics();
      res.writeHead(200, { 'content-type': m.contentType, 'cache-control': 'no-store' });
      res.end(m.body);
      return;
    }
    default:
      if (opts.extra?.(req, res)) return;
      sendJson(res, 404, { ok: false, error: `no such path: ${url.pathname} (try /status, /healthz, /readyz, /metrics)` });
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function bearerMatches(header: string | undefined, secret: string): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m?.[1]) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(secret);
  return constantTimeEqual(b, a);
}

/** A small JSON request body (control commands); {} when empty or not JSON. */
async function readJsonBody(req: http.IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 65_536) return {};
  }
  try {
    return text ? (JSON.parse(text) as unknown) : {};
  } catch {
    return {};
  }
}
