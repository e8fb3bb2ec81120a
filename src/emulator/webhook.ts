// Webhook delivery: POST each update to the URL with the secret header; retry with the real backoff (§6.3).
import http from 'node:http';
import https from 'node:https';
import type { EmulatorSwitches } from './options.js';
import { addJson, addUrlEncoded, Params } from './params.js';
import type { QueuedUpdate } from './queue.js';
import type { BotState } from './state.js';
import { unixNow } from './objects.js';

/** How one POST ended. */
interface PostOutcome {
  ok: boolean;
  message?: string;
  retryAfterS?: number;
  replyType?: string;
  replyBody?: string;
}

const MAX_REPLY_BYTES = 1024 * 1024;

/** Keep-alive agents for webhook POSTs, one pair per emulator (destroyed when it closes). */
export interface WebhookAgents {
  http: http.Agent;
  https: https.Agent;
}

/** New keep-alive agents. */
export function createWebhookAgents(): WebhookAgents {
  return { http: new http.Agent({ keepAlive: true, maxSockets: 100 }), https: new https.Agent({ keepAlive: true, maxSockets: 100 }) };
}

/** Retry delay after the `failures`-th consecutive failure: 0, then 2, 4, 8, 16, 32 s, then ×2 capped at 60–120 s. */
export function retryDelayMs(failures: number, retryAfterS: number | undefined, scale: number): number {
  if (retryAfterS !== undefined) return Math.min(Math.max(retryAfterS, 0), 3600) * 1000 * scale;
  if (failures <= 1) return 0;
  const s = 2 ** (failures - 1);
  const cap = 60 + Math.random() * 60;
  return Math.min(s, cap) * 1000 * scale;
}

/** Telegram-like wording of a connection failure. */
function errorText(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'Connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'Failed to resolve host: Name or service not known';
    case 'ECONNRESET':
      return 'Connection reset by peer';
    case 'ETIMEDOUT':
      return 'Connection timed out';
    default:
      return err.code ? `Connection error: ${err.code}` : err.message;
  }
}

/** Delivers one bot's queue to its webhook, one update at a time, in order. */
export class WebhookDelivery {
  private timer: NodeJS.Timeout | undefined;
  private inflight: http.ClientRequest | undefined;
  private running = false;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly bot: BotState,
    private readonly sw: () => EmulatorSwitches,
    /** Runs a method a webhook answered with (§6.3 "calling a method in the webhook reply"). */
    private readonly runReplyMethod: (bot: BotState, method: string, params: Params) => void,
    private readonly agents: WebhookAgents,
  ) {}

  /** Start (or continue) delivering; cheap to call on every new update. */
  kick(): void {
    if (this.stopped || this.running || this.timer) return;
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
    });
  }

  /** Stop delivering (webhook deleted or emulator closing). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.inflight?.destroy();
    this.inflight = undefined;
  }

  private async loop(): Promise<void> {
    while (!this.stopped && this.bot.webhook.url !== '') {
      const now = Date.now();
      const u = this.bot.queue.first(this.bot.queue.headId, now);
      if (!u) return;
      const url = this.bot.webhook.url;
      this.bot.countDelivered([u.id]);
      const out = await this.post(url, u);
      if (this.stopped || this.bot.webhook.url !== url) return;
      if (out.ok) {
        this.failures = 0;
        if (this.bot.queue.remove(u.id)) this.bot.confirmed(u.id);
        if (out.replyBody) this.reply(out.replyType ?? '', out.replyBody);
        continue;
      }
      this.failures++;
      this.bot.webhook.lastErrorDate = unixNow();
      this.bot.webhook.lastErrorMessage = out.message ?? 'Connection error';
      const delay = retryDelayMs(this.failures, out.retryAfterS, this.sw().webhookRetryScale);
      if (Date.now() + delay >= u.expiresAtMs) {
        this.bot.queue.remove(u.id);
        continue;
      }
      if (delay > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.kick();
        }, delay);
        return;
      }
    }
  }

  private reply(type: string, body: string): void {
    const params = new Params();
    if (type.includes('application/json')) addJson(params, body);
    else if (type.includes('application/x-www-form-urlencoded')) addUrlEncoded(params, body);
    const method = params.str('method');
    if (!method) return;
    const lower = method.toLowerCase();
    if (lower.startsWith('get') || lower === 'setwebhook' || lower === 'deletewebhook' || lower === 'close' || lower === 'logout') return;
    this.runReplyMethod(this.bot, method, params);
  }

  private post(url: string, u: QueuedUpdate): Promise<PostOutcome> {
    return new Promise((resolve) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        resolve({ ok: false, message: 'Invalid webhook URL' });
        return;
      }
      const isHttps = target.protocol === 'https:';
      const body = Buffer.from(u.json);
      const headers: Record<string, string | number> = {
        'content-type': 'application/json',
        'content-length': body.length,
        connection: 'keep-alive',
        'accept-encoding': 'gzip, deflate',
      };
      const wh = this.bot.webhook;
      if (wh.secretToken) headers['x-telegram-bot-api-secret-token'] = wh.secretToken;
      if (target.username) headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`;
      const host = wh.ipAddress ?? target.hostname;
      if (wh.ipAddress) headers.host = target.host;
      const opts: https.RequestOptions = {
        method: 'POST',
        protocol: target.protocol,
        hostname: host.replace(/^\[|\]$/g, ''),
        port: target.port || (isHttps ? 443 : 80),
        path: `${target.pathname}${target.search}`,
        headers,
        agent: isHttps ? this.agents.https : this.agents.http,
        timeout: this.sw().webhookTimeoutMs,
      };
      if (isHttps) {
        opts.servername = target.hostname;
        opts.rejectUnauthorized = !wh.hasCustomCertificate;
      }
      let settled = false;
      const done = (o: PostOutcome): void => {
        if (settled) return;
        settled = true;
        this.inflight = undefined;
        resolve(o);
      };
      const req = (isHttps ? https : http).request(opts, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_REPLY_BYTES) chunks.push(c);
        });
        res.on('error', () => done({ ok: false, message: 'Connection reset by peer' }));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            done({ ok: true, replyType: String(res.headers['content-type'] ?? '').toLowerCase(), replyBody: Buffer.concat(chunks).toString('utf8') });
            return;
          }
          const ra = res.headers['retry-after'];
          const raN = ra === undefined ? undefined : Number(ra);
          done({ ok: false, message: `Wrong response from the webhook: ${status} ${res.statusMessage ?? ''}`.trim(), ...(raN !== undefined && Number.isFinite(raN) ? { retryAfterS: raN } : {}) });
        });
      });
      this.inflight = req;
      req.on('timeout', () => {
        req.destroy();
        done({ ok: false, message: 'Read timeout expired' });
      });
      req.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, message: errorText(err) }));
      req.on('close', () => done({ ok: false, message: 'Connection closed' }));
      req.end(body);
    });
  }
}

