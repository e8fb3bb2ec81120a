// The HTTP front: routes /bot<token>/<method>, /file/bot<token>/<path> and /_emulator/*; auth, faults, latency.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { handleControl } from './control.js';
import type { EmulatorCore } from './core.js';
import { ApiError, defaultDescription, NGINX_502_HTML } from './errors.js';
import type { FaultRule } from './faults.js';
import { Described, METHODS, type MethodContext } from './methods.js';
import { addUrlEncoded, Params, RawHttpError, readBodyParams } from './params.js';
import { handleGetUpdates } from './polling.js';
import { isLive, sendError, sendJson, sendOkRaw, sendRaw } from './reply.js';
import type { BotState } from './state.js';

const TOKEN_PRODUCTION = /^[0-9]+:[A-Za-z0-9_-]+$/;
const NOT_FOUND = new ApiError(404, 'Not Found');
const METHOD_NOT_FOUND = new ApiError(404, 'Not Found: method not found');
const UNAUTHORIZED = new ApiError(401, 'Unauthorized');
const INVALID_TOKEN = new ApiError(401, 'Unauthorized: invalid token specified');
const MISDIRECTED = new ApiError(421, 'Misdirected Request: unallowed token specified');
const LOGGED_OUT = new ApiError(400, 'Logged out');

/** Wait `ms`, resolving early (false) if the client goes away. */
function waitUnlessGone(res: ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(true);
    }, ms);
    res.once('close', onClose);
  });
}

/** Token syntax check; an error to answer, or undefined when the token is well-formed. */
function tokenSyntaxError(core: EmulatorCore, token: string): ApiError | undefined {
  if (core.switches.errorStyle === 'production') return TOKEN_PRODUCTION.test(token) ? undefined : NOT_FOUND;
  // open-source server, ClientManager::send (§2.1)
  const colon = token.indexOf(':');
  if (token === '' || token.startsWith('0') || token.length > 80 || token.includes('/') || colon < 0) return INVALID_TOKEN;
  const idPart = token.slice(0, colon);
  if (!/^[0-9]+$/.test(idPart)) return MISDIRECTED;
  const id = Number(idPart);
  if (id <= 0 || id >= 2 ** 54) return INVALID_TOKEN;
  return undefined;
}

/** Answer a fault; returns true when the request is finished (false: go on normally after the delay). */
async function applyFault(core: EmulatorCore, f: FaultRule, res: ServerResponse, bot: BotState | undefined): Promise<boolean> {
  if (f.delayMs > 0 && !(await waitUnlessGone(res, f.delayMs))) return true;
  if (f.drop) {
    res.socket?.destroy();
    return true;
  }
  if (f.status === 0 || f.status === 200) return false;
  if (f.html) {
    if (isLive(res)) {
      const body = f.status === 502 ? NGINX_502_HTML : `<html><head><title>${f.status}</title></head><body><center><h1>${f.status}</h1></center><hr><center>nginx/1.18.0</center></body></html>\r\n`;
      res.writeHead(f.status, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(body), server: 'nginx/1.18.0' });
      res.end(body);
    }
    return true;
  }
  const retryAfter = f.status === 429 ? (f.retryAfterS ?? 5) : f.retryAfterS;
  const e = new ApiError(f.status, f.description ?? defaultDescription(f.status, retryAfter), retryAfter !== undefined ? { retry_after: retryAfter } : undefined);
  if (sendError(res, e) && f.status === 409 && bot) bot.stats.conflicts++;
  void core;
  return true;
}

/** Serve one Bot API request (path starts with /bot). */
async function handleBotApi(core: EmulatorCore, req: IncomingMessage, res: ServerResponse, path: string, query: string): Promise<void> {
  const rest = path.slice(4);
  const slash = rest.indexOf('/');
  if (slash < 0) {
    req.resume();
    sendError(res, NOT_FOUND);
    return;
  }
  const token = rest.slice(0, slash);
  let methodPart = rest.slice(slash + 1);
  let env: 'prod' | 'test' = 'prod';
  if (methodPart.startsWith('test/')) {
    env = 'test';
    methodPart = methodPart.slice(5);
  }
  if (methodPart.endsWith('/')) methodPart = methodPart.slice(0, -1);

  const params = new Params();
  addUrlEncoded(params, query);
  try {
    await readBodyParams(req, params);
  } catch (err) {
    if (err instanceof RawHttpError) sendRaw(res, err.status);
    else res.socket?.destroy();
    return;
  }
  const sw = core.switches;
  if (sw.latencyMs > 0 && !(await waitUnlessGone(res, sw.latencyMs))) return;

  const method = methodPart === '' ? (params.str('method') ?? '') : methodPart;
  const lower = method.toLowerCase();
  const syntax = tokenSyntaxError(core, token);
  if (syntax) {
    sendError(res, syntax);
    return;
  }
  const entry = core.registry.byToken.get(token);
  const bot = entry ? core.registry.state(entry, env) : undefined;
  if (bot) {
    const now = Date.now();
    bot.stats.requests++;
    bot.logRequest(method, now);
    if (lower === 'getupdates') {
      bot.stats.getUpdatesCalls++;
      bot.stats.lastGetUpdatesAtMs = now;
      bot.stats.lastUserAgent = req.headers['user-agent'];
    }
  }
  const colon = token.indexOf(':');
  const fault = core.faults.take(Number(token.slice(0, colon)), lower);
  if (fault && (await applyFault(core, fault, res, bot))) return;

  if (!entry || !bot || entry.identity.revoked) {
    sendError(res, UNAUTHORIZED);
    return;
  }
  if (bot.loggedOutUntilMs > 0) {
    if (Date.now() < bot.loggedOutUntilMs) {
      sendError(res, LOGGED_OUT);
      return;
    }
    bot.loggedOutUntilMs = 0;
  }
  if (lower !== 'close') bot.closed = false;
  if (lower === 'getupdates') {
    handleGetUpdates(bot, params, res, core.switches);
    return;
  }
  const handler = METHODS.get(lower);
  if (!handler) {
    sendError(res, sw.errorStyle === 'production' ? NOT_FOUND : METHOD_NOT_FOUND);
    return;
  }
  answerMethod(res, () => handler({ core, bot, params }));
}

/** Run a handler and write its result or error. */
function answerMethod(res: ServerResponse, run: () => unknown): void {
  let out: unknown;
  try {
    out = run();
  } catch (err) {
    if (err instanceof ApiError) sendError(res, err);
    else sendError(res, new ApiError(500, 'Internal Server Error'));
    return;
  }
  if (out instanceof Described) sendOkRaw(res, JSON.stringify(out.result), out.description);
  else sendOkRaw(res, JSON.stringify(out));
}

/** Run a method named in a webhook reply; its result is thrown away (§6.3). */
export function runMethodFromWebhook(core: EmulatorCore, bot: BotState, method: string, params: Params): void {
  const handler = METHODS.get(method.toLowerCase());
  if (!handler) return;
  const ctx: MethodContext = { core, bot, params };
  try {
    handler(ctx);
  } catch {
    // the real server cannot tell anyone either
  }
}

/** GET /file/bot<token>/<path>: the bytes of a file the bot uploaded. */
function handleFile(core: EmulatorCore, req: IncomingMessage, res: ServerResponse, path: string): void {
  req.resume();
  const rest = path.slice('/file/bot'.length);
  const slash = rest.indexOf('/');
  const token = slash < 0 ? '' : rest.slice(0, slash);
  let filePath = slash < 0 ? '' : rest.slice(slash + 1);
  let env: 'prod' | 'test' = 'prod';
  if (filePath.startsWith('test/')) {
    env = 'test';
    filePath = filePath.slice(5);
  }
  const entry = core.registry.byToken.get(token);
  if (!entry || entry.identity.revoked) {
    sendError(res, slash < 0 || !TOKEN_PRODUCTION.test(token) ? NOT_FOUND : UNAUTHORIZED);
    return;
  }
  const f = core.registry.state(entry, env).filesByPath.get(filePath);
  if (!f) {
    sendError(res, NOT_FOUND);
    return;
  }
  const data = f.data ?? Buffer.alloc(0);
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length });
  res.end(data);
}

/** The request listener. */
export function createHandler(core: EmulatorCore): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const m = req.method;
    if (m !== 'GET' && m !== 'POST') {
      if (!(req.url ?? '').startsWith('/_emulator/')) {
        req.resume();
        sendRaw(res, 501);
        return;
      }
    }
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    let path: string;
    try {
      path = decodeURIComponent(q < 0 ? raw : raw.slice(0, q));
    } catch {
      req.resume();
      sendError(res, NOT_FOUND);
      return;
    }
    const query = q < 0 ? '' : raw.slice(q + 1);
    if (path.startsWith('/bot')) {
      handleBotApi(core, req, res, path, query).catch(() => {
        if (isLive(res)) sendError(res, new ApiError(500, 'Internal Server Error'));
      });
      return;
    }
    if (path.startsWith('/_emulator/')) {
      void handleControl(core, req, res, path, new URLSearchParams(query));
      return;
    }
    if (path.startsWith('/file/bot')) {
      handleFile(core, req, res, path);
      return;
    }
    req.resume();
    if (path === '/' || path === '') sendJson(res, 404, '{"ok":false,"error_code":404,"description":"Not Found"}');
    else sendError(res, NOT_FOUND);
  };
}

/** Create the HTTP server with timeouts fit for 50 s long polls and keep-alive clients. */
export function createServer(core: EmulatorCore): { server: http.Server; sockets: Set<Socket> } {
  const server = http.createServer({ keepAlive: true, requestTimeout: 0, headersTimeout: 60_000 }, createHandler(core));
  server.keepAliveTimeout = 75_000;
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.setNoDelay(true);
    s.once('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  return { server, sockets };
}
