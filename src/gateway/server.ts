// startGateway: the bot's local Bot API endpoint (TELEGRAM_API_ROOT). Routes requests; only getUpdates is special.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { checkApiRoot } from '../telegram/api-root.js';
import type { LeaderView } from '../lease/types.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/botwarden-metrics.js';
import { closeNetServer, closeServer, listenLoopback } from '../server.js';
import { isGetUpdates, parseRoute, TokenCheck, type Route } from './auth.js';
import { BotActivity, callKeys, type ActivitySnapshot } from './activity.js';
import { DropPendingGuard, wantsDrop, webhookMethod, withoutDrop } from './drop-pending.js';
import { errorBody, sendError, sendJson, type JsonSink } from './envelope.js';
import { serveFromFeed, type UpdateFeed } from './feed.js';
import { FastLane, jsonSink, type FastReply, type FastRequest } from './fast-lane.js';
import { forwardRequest, forwardWhole } from './forward.js';
import { BodyTooLargeError, parseParams, readBody, type Params } from './params.js';
import { GatewayStats, type GatewaySnapshot } from './stats.js';
import { UpdatesRelay, type RelayTiming } from './updates.js';
import { Upstream } from './upstream.js';

/** A call to a Bot API method, as routed by `parseRoute`. */
type MethodRoute = Extract<Route, { kind: 'method' }>;

/** The bots' connections are kept this long when idle (longer than their own keep-alive, see below). */
const KEEP_ALIVE_MS = 75_000;

/** Bodies up to this size are read to learn what a call answers while an update waits (see activity.ts). */
const KEYS_BODY_LIMIT = 64 * 1024;

/** `GET {TELEGRAM_API_ROOT}/botwarden/role` → `{"ok":true,"result":{"role":"leader"|"standby"}}` (no token needed). */
export const ROLE_PATH = '/botwarden/role';

/** Options for `startGateway`. */
export interface GatewayOptions extends RelayTiming {
  /** The real Bot API root, e.g. `https://api.telegram.org` (a path prefix is kept; a trailing `/` is removed). */
  upstreamRoot: string;
  /** The managed bot's token: the only one the gateway accepts, and the one it uses upstream. */
  token: string;
  /** Whether this instance may poll now, and for how long (the lease). */
  leader: LeaderView;
  logger: Logger;
  /** Prometheus handles to update (`botwarden_updates_forwarded_total`, …). */
  metrics?: Metrics;
  /** Address to bind. Default `127.0.0.1`. */
  host?: string;
  /** Port; default 0 (the OS picks one). */
  port?: number;
  /** `--allow-drop-pending`: pass the bot's drop-pending requests through unchanged (default: kept, see drop-pending.ts). */
  allowDropPending?: boolean;
  /** Worker mode: the bot's getUpdates (production environment) are answered from this feed, never from Telegram. */
  feed?: UpdateFeed;
}

/** A running gateway. */
export interface Gateway {
  /** `http://127.0.0.1:PORT`, no trailing slash: the bot's TELEGRAM_API_ROOT. */
  readonly root: string;
  /** Stop serving: held getUpdates get [], connections close, the upstream pool closes. Safe twice. */
  close(): Promise<void>;
  /**
   * Stop forwarding getUpdates: held ones get [] now; the upstream poll in flight is aborted and awaited. Each `reason`
   * (default `leadership`) holds polling until resumed with the same reason: a drain for a restart and a lost lease
   * do not undo each other.
   */
  stopPolling(reason?: string): Promise<void>;
  /** Forward getUpdates again (while leader) once no other reason holds it. */
  resumePolling(reason?: string): void;
  /** The bot's calls and unanswered updates (see activity.ts); `maxAgeMs` bounds how old an unanswered update may be. */
  activity(maxAgeMs?: number): ActivitySnapshot;
  /** Tell Telegram what the bot acknowledged but nobody sent upstream yet (only while leader); see UpdatesRelay.confirmOffset. */
  confirmOffset(signal?: AbortSignal): Promise<{ sent: boolean; offset?: number; error?: string }>;
  /** Counters for /status. */
  snapshot(): GatewaySnapshot;
}

/** Start the gateway on loopback and resolve once it listens. */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const root = checkApiRoot('upstreamRoot', opts.upstreamRoot, opts.token);
  const { logger, leader } = opts;
  const stats = new GatewayStats(opts.metrics);
  const upstream = new Upstream(root, opts.token, opts.metrics, stats);
  const check = new TokenCheck(opts.token);
  const allowDrop = opts.allowDropPending ?? false;
  const dropGuard = new DropPendingGuard(stats, logger);
  const activity = new BotActivity();
  const relays = new Map<'' | '/test', UpdatesRelay>();
  let polling = true;
  const relay = (env: '' | '/test'): UpdatesRelay => {
    let r = relays.get(env);
    if (!r) {
      r = new UpdatesRelay(env, upstream, leader, logger, stats, opts, allowDrop ? undefined : dropGuard, activity);
      if (!polling) void r.stopPolling();
      relays.set(env, r);
    }
    return r;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    stats.requests++;
    if (req.url === ROLE_PATH) {
      // For the bot's own start-up code and scheduled jobs (a hot standby runs them too): am I the one polling?
      sendJson(res, 200, JSON.stringify({ ok: true, result: { role: leader.isLeader() && polling ? 'leader' : 'standby' } }));
      return;
    }
    const route = parseRoute(req.url ?? '/', check);
    if (route.kind === 'not-found') return void sendError(res, 404, 'Not Found');
    if (route.kind === 'unauthorized') return void sendError(res, 401, 'Unauthorized');
    if (route.kind === 'file') return tracked([], forwardRequest(upstream, logger, req, res, upstream.path('file', '', route.rawRest, route.search), 'file'));
    let method = route.method;
    let params: Params | undefined;
    let body: Buffer | undefined;
    if (method === '' || isGetUpdates(method) || (!allowDrop && webhookMethod(method))) {
      // Parameters are needed: getUpdates' offset/timeout, a webhook call's drop_pending_updates, or the method name
      // itself for `/bot<token>/` (never a way around the fence).
      body = await readBody(req);
      params = await parseParams(route.search, body, req.headers);
      if (method === '') method = typeof params.get('method') === 'string' ? (params.get('method') as string) : '';
    }
    if (params && isGetUpdates(method)) return serveUpdates(route.env, res, params);
    const hook = params && !allowDrop ? webhookMethod(method) : undefined;
    if (hook && params && wantsDrop(params)) return tracked(callKeys(method, params), keepPending(hook, route.env, req, res, params, body));
    if (!params && activity.wantsKeys) {
      // An update waits for its answer: read what this call answers (small bodies only; they are read whole anyway).
      const length = req.headers['content-length'];
      if (length === undefined && req.headers['transfer-encoding'] === undefined) params = await parseParams(route.search, Buffer.alloc(0), req.headers);
      else if (length !== undefined && Number(length) <= KEYS_BODY_LIMIT) {
        body = await readBody(req);
        params = await parseParams(route.search, body, req.headers);
      }
    }
    return tracked(params ? callKeys(method, params) : [], forwardRequest(upstream, logger, req, res, upstream.path('method', route.env, route.rawRest, route.search), method, body));
  };

  /** Counts a forwarded call as the bot's activity from now until `call` settles. */
  const tracked = (keys: string[], call: Promise<void>): Promise<void> => {
    const done = activity.callStarted(keys);
    return call.finally(done);
  };

  /** A webhook call asking to drop pending updates: sent upstream without the drop (see drop-pending.ts). */
  const keepPending = async (hook: 'deleteWebhook' | 'setWebhook', env: '' | '/test', req: IncomingMessage, res: ServerResponse, params: Params, body: Buffer | undefined): Promise<void> => {
    dropGuard.kept(hook);
    const multipart = String(req.headers['content-type'] ?? '').toLowerCase().includes('multipart/form-data');
    if (hook === 'setWebhook' && multipart && body?.includes('filename=')) {
      // The certificate file cannot be re-sent without the drop flag: refuse rather than drop or lose the file.
      sendError(res, 400, 'Bad Request: botwarden keeps pending updates: call setWebhook without drop_pending_updates (or run botwarden with --allow-drop-pending)');
      return;
    }
    const ac = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) ac.abort(new Error('the bot closed the connection'));
    };
    res.once('close', onClose);
    try {
      const ans = await upstream.callJson(env, hook, withoutDrop(params), { signal: ac.signal, timeoutMs: 60_000 });
      if (ans.kind !== 'unreachable') sendJson(res, ans.status, ans.raw);
      else sendError(res, 502, `Bad Gateway: botwarden could not reach the Bot API (${ans.reason})`);
    } catch {
      res.destroy(); // the bot went away
    } finally {
      res.off('close', onClose);
    }
  };

  /** getUpdates, from either lane: from the worker feed, else through the relay of its environment. */
  const serveUpdates = (env: '' | '/test', res: JsonSink, params: Params): Promise<void> =>
    opts.feed && env === '' ? serveFromFeed(opts.feed, res, params, stats, logger) : relay(env).handle(res, params);

  /** A request that failed inside the gateway, from either lane: its status and description (logged when it is ours). */
  const failed = (err: unknown): [number, string] => {
    if (err instanceof BodyTooLargeError) return [413, 'Request Entity Too Large: too many parameters'];
    logger.error('gateway request failed', { reason: upstream.redact(err instanceof Error ? err.message : String(err)) });
    return [500, 'Internal Server Error: botwarden gateway'];
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (req.destroyed && !req.complete) return res.destroy(); // the bot went away while sending
      if (!sendError(res, ...failed(err))) res.destroy();
    });
  });
  // Longer than the bots' idle keep-alive, so a bot never reuses a socket the gateway is closing (ECONNRESET race).
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = 80_000;
  server.requestTimeout = 0;

  /** The everyday call on the fast lane (fast-lane.ts): the same routing as `handle` for a method call that needs nothing special. */
  const takes = (_method: 'GET' | 'POST', url: string): MethodRoute | undefined => {
    if (url === ROLE_PATH) return undefined;
    const route = parseRoute(url, check);
    return route.kind === 'method' && route.method !== '' && (allowDrop || webhookMethod(route.method) === undefined) ? route : undefined;
  };
  const handleFast = (req: FastRequest, route: MethodRoute, reply: FastReply): void => {
    stats.requests++;
    const headers = { 'content-type': req.contentType };
    if (isGetUpdates(route.method)) {
      void parseParams(route.search, req.body, headers)
        .then((params) => serveUpdates(route.env, jsonSink(reply), params))
        .catch((err: unknown) => {
          const [status, description] = failed(err);
          reply.send(status, ['Content-Type', 'application/json'], errorBody(status, description));
        });
      return;
    }
    const call = (): Promise<void> => forwardWhole({ up: upstream, logger, req, reply, upstreamPath: upstream.path('method', route.env, route.rawRest, route.search), metricMethod: route.method });
    if (!activity.wantsKeys) return void tracked([], call());
    // An update waits for its answer: learn what this call answers from its parameters.
    void parseParams(route.search, req.body, headers)
      .then((params) => tracked(callKeys(route.method, params), call()))
      .catch(() => tracked([], call()));
  };
  const lane = new FastLane({ server, takes, handle: handleFast, keepAliveMs: KEEP_ALIVE_MS });
  const listener = createNetServer((socket) => lane.accept(socket));
  const addr = await listenLoopback(listener, { host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  logger.debug('gateway listening', { root: addr.url });

  let closing: Promise<void> | undefined;
  const holds = new Set<string>();
  const stopAll = async (reason = 'leadership'): Promise<void> => {
    holds.add(reason);
    polling = false;
    await Promise.all([...relays.values()].map((r) => r.stopPolling()));
  };
  return {
    root: addr.url,
    close: () =>
      (closing ??= (async () => {
        await stopAll('closing');
        lane.close();
        await Promise.all([closeNetServer(listener), closeServer(server)]);
        await upstream.close();
      })()),
    stopPolling: stopAll,
    resumePolling: (reason = 'leadership') => {
      holds.delete(reason);
      if (holds.size > 0) return;
      polling = true;
      for (const r of relays.values()) r.resumePolling();
    },
    activity: (maxAgeMs?: number) => activity.snapshot(maxAgeMs),
    confirmOffset: (signal?: AbortSignal) => relay('').confirmOffset(signal),
    snapshot: () => stats.snapshot(polling),
  };
}
