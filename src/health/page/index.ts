// The status page at `/`: static assets, a server-sent event stream at `/events`, and the opt-in actions.
import type http from 'node:http';
import type { Logger } from '../../log.js';
import type { History, HistoryView } from '../history.js';
import { redactSecrets, type RecentLine, type RecentLines } from '../recent-lines.js';
import type { StatusSnapshot } from '../status.js';
import { answerAction, PAGE_ACTIONS, type PageAction, type PageActions } from './actions.js';

export { ACTIONS_SECRET_HEADER, actionsSecretPath, newActionsSecret, removeActionsSecretFile, writeActionsSecretFile, type PageAction, type PageActions } from './actions.js';

/** What the status page shows and may do. */
export interface StatusPageOptions {
  status: () => StatusSnapshot;
  /** Sampled here every `history.intervalMs` (memory of the bot tree, updates forwarded). */
  history: History;
  lines: RecentLines;
  /** Values that must never leave the page server (the bot token): every frame is redacted once more. */
  secrets: readonly string[];
  /** Present only with `--health-allow-actions`. Default: read-only. */
  actions?: PageActions;
  logger: Logger;
  /** How often connected pages get a frame, ms. Default 1000. */
  frameEveryMs?: number;
  /** Epoch-ms clock. Default `Date.now`. */
  now?: () => number;
}

/** One server-sent event's data: what the page renders. */
export interface PageFrame {
  /** Server time (epoch ms): uptimes and expiries are computed against it, not the browser's clock. */
  now: number;
  /** True on a connection's first frame: the page replaces its lines instead of appending. */
  reset: boolean;
  actions: boolean;
  status: StatusSnapshot;
  /** Sent when it changed since this connection's last frame. */
  history?: HistoryView;
  /** Lines newer than this connection's last frame. */
  lines: RecentLine[];
}

interface Client {
  res: http.ServerResponse;
  lastSeq: number;
  historyVersion: number;
  first: boolean;
}

/** Paths the page serves for GET/HEAD. */
const ASSET_PATHS = new Set(['/', '/index.html', '/_page/app.js', '/_page/app.css']);
/** A client this far behind (bytes not yet sent) is cut off; its browser reconnects. */
const MAX_BUFFERED_BYTES = 1 << 20;

/** The status page. Pass `handle` as the health server's `extra`; call `notify()` on a role change; `close()` is safe twice. */
export class StatusPage {
  private readonly clients = new Set<Client>();
  private readonly frameEveryMs: number;
  private readonly now: () => number;
  private frameTimer: NodeJS.Timeout | undefined;
  private readonly sampleTimer: NodeJS.Timeout;
  private pending: NodeJS.Immediate | undefined;
  private lastRole: string | undefined;
  private closed = false;

  constructor(private readonly opts: StatusPageOptions) {
    this.frameEveryMs = opts.frameEveryMs ?? 1000;
    this.now = opts.now ?? Date.now;
    this.sample();
    this.sampleTimer = setInterval(() => this.sample(), Math.min(opts.history.intervalMs, 10_000));
    this.sampleTimer.unref();
  }

  /** Number of connected event streams. */
  get connections(): number {
    return this.clients.size;
  }

  /** Route a request; true when it was the page's. */
  handle = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = req.method ?? 'GET';
    if (ASSET_PATHS.has(pathname)) {
      if (method !== 'GET' && method !== 'HEAD') return this.refuseMethod(res, 'GET');
      this.serveAsset(pathname, method === 'HEAD', res);
      return true;
    }
    if (pathname === '/events') {
      if (method !== 'GET') return this.refuseMethod(res, 'GET');
      this.openStream(req, res);
      return true;
    }
    const action = /^\/actions\/([a-z-]+)$/.exec(pathname)?.[1] as PageAction | undefined;
    if (action !== undefined && PAGE_ACTIONS.includes(action)) {
      req.resume(); // the body is not used: drain it
      const answer = answerAction(req, action, this.opts.actions);
      if (answer.status === 202 || answer.status === 409) this.opts.logger.info(`status page: ${action} ${answer.status === 202 ? 'accepted' : `refused (${answer.body.error ?? ''})`}`);
      else if (answer.status === 401) this.opts.logger.warn(`status page: ${action} refused: wrong or missing secret (from ${req.socket.remoteAddress ?? 'unknown'})`);
      sendJson(res, answer.status, answer.body, answer.status === 405 ? { allow: 'POST' } : {});
      return true;
    }
    return false;
  };

  /** Send a frame to every connected page now (e.g. the role changed), coalesced with other calls in the same tick. */
  notify(): void {
    if (this.closed || this.clients.size === 0 || this.pending) return;
    this.pending = setImmediate(() => {
      this.pending = undefined;
      this.broadcast();
    });
  }

  /** End every event stream and stop the timers. Safe twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sampleTimer);
    this.stopFrames();
    if (this.pending) clearImmediate(this.pending);
    this.pending = undefined;
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }

  /** The next frame for one connection (new lines only, history when it changed), as redacted JSON; advances its cursors. */
  private frameFor(c: Client, status: StatusSnapshot, history: HistoryView): string {
    const frame: PageFrame = {
      now: this.now(),
      reset: c.first,
      actions: this.opts.actions !== undefined,
      status,
      ...(history.version !== c.historyVersion ? { history } : {}),
      lines: this.opts.lines.since(c.lastSeq),
    };
    c.first = false;
    c.historyVersion = history.version;
    c.lastSeq = frame.lines.at(-1)?.seq ?? c.lastSeq;
    // Nothing in a frame should hold the token; redact the whole text once more anyway.
    return redactSecrets(JSON.stringify(frame), this.opts.secrets);
  }

  private sample(): void {
    try {
      const s = this.opts.status();
      this.opts.history.maybeRecord({ memoryBytes: s.child.memoryBytes, updatesForwarded: s.gateway.updatesForwarded });
    } catch (err) {
      this.opts.logger.debug(`status page: sample failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private openStream(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.closed) {
      sendJson(res, 503, { ok: false, error: 'botwarden is stopping' });
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      ...SECURITY_HEADERS,
    });
    res.socket?.setNoDelay(true);
    // The browser reconnects by itself after this many ms when the stream breaks.
    res.write('retry: 2000\n\n');
    const client: Client = { res, lastSeq: 0, historyVersion: -1, first: true };
    this.clients.add(client);
    const drop = (): void => {
      this.clients.delete(client);
      if (this.clients.size === 0) this.stopFrames();
    };
    req.once('close', drop);
    res.once('close', drop);
    this.sendTo(client, this.opts.status(), this.opts.history.view());
    this.frameTimer ??= setInterval(() => this.broadcast(), this.frameEveryMs);
  }

  private broadcast(): void {
    if (this.clients.size === 0) return;
    const status = this.opts.status();
    const history = this.opts.history.view();
    if (status.role !== this.lastRole && this.lastRole !== undefined) this.opts.logger.debug(`status page: role ${this.lastRole} → ${status.role}`);
    this.lastRole = status.role;
    for (const c of [...this.clients]) this.sendTo(c, status, history);
  }

  private sendTo(c: Client, status: StatusSnapshot, history: HistoryView): void {
    if (c.res.writableLength > MAX_BUFFERED_BYTES) {
      c.res.destroy();
      this.clients.delete(c);
      return;
    }
    c.res.write(`data: ${this.frameFor(c, status, history)}\n\n`);
  }

  private stopFrames(): void {
    if (this.frameTimer) clearInterval(this.frameTimer);
    this.frameTimer = undefined;
  }

  private serveAsset(pathname: string, headOnly: boolean, res: http.ServerResponse): void {
    // The page's text is loaded on first use: a daemon whose page is never opened does not keep it in memory.
    import('./assets.js').then(
      ({ asset }) => {
        const a = asset(pathname);
        res.writeHead(200, { 'content-type': a.contentType, 'content-length': a.body.length, 'cache-control': 'no-cache', etag: a.etag, ...SECURITY_HEADERS });
        res.end(headOnly ? undefined : a.body);
      },
      (err: unknown) => {
        this.opts.logger.warn(`status page: could not load the page: ${err instanceof Error ? err.message : String(err)}`);
        sendJson(res, 500, { ok: false, error: 'status page unavailable' });
      },
    );
  }

  private refuseMethod(res: http.ServerResponse, allow: string): true {
    sendJson(res, 405, { ok: false, error: `method not allowed (use ${allow})` }, { allow });
    return true;
  }
}

/** Headers on everything the page serves: nothing loads from elsewhere, nothing frames it, no referrer leaves. */
export const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const;

function sendJson(res: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...SECURITY_HEADERS, ...extra });
  res.end(text);
}
