// A typed client of the emulator's /_emulator/ control API (global fetch), for tests, benchmarks, the demo and users.
import type {
  ControlBot,
  ControlHealth,
  ControlStats,
  CreateBotRequest,
  CreatedBot,

  FaultRequest,
  InjectCallbackRequest,
  InjectedCallback,
  InjectedMessage,
  InjectMessageRequest,
  RequestRecord,
  RivalPollerRequest,
  SentMessage,
} from './control-types.js';
import type { FaultRule } from './faults.js';
import type { EmulatorSwitches } from './options.js';

/** A Bot API answer as the emulator sent it (what any client would see). */
export interface BotApiEnvelope<T = unknown> {
  ok: boolean;
  result?: T;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

/** The control API refused a request (4xx/5xx) or did not answer in time. */
export class EmulatorControlError extends Error {
  constructor(
    /** HTTP status, or 0 when there was no answer. */
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'EmulatorControlError';
  }
}

/** Which of a bot's two environments (`/bot<token>/…` or `/bot<token>/test/…`). */
export type BotEnv = 'prod' | 'test';

/** Options of `sent()`. */
export interface SentQuery {
  /** Wait (on the emulator's side) until at least this many messages were sent… */
  min?: number;
  /** …for at most this long (ms; default 10 000, capped at 60 000 by the emulator). */
  timeoutMs?: number;
  env?: BotEnv;
}

/** A client for one emulator, e.g. `new EmulatorClient(emu.url)`. Every method is one HTTP request. */
export class EmulatorClient {
  /** `url`: the emulator's base URL (no trailing slash needed). `timeoutMs`: per request (default 30 s). */
  constructor(
    readonly url: string,
    private readonly opts: { timeoutMs?: number } = {},
  ) {
    this.url = url.replace(/\/+$/, '');
  }

  health(): Promise<ControlHealth> {
    return this.request('GET', '/_emulator/health');
  }

  /** Create a bot (a generated id, token and username unless given). */
  createBot(req: CreateBotRequest | string = {}): Promise<CreatedBot> {
    return this.request('POST', '/_emulator/bots', typeof req === 'string' ? { username: req } : req);
  }

  async bots(): Promise<ControlBot[]> {
    return (await this.request<{ bots: ControlBot[] }>('GET', '/_emulator/bots')).bots;
  }

  bot(botId: number): Promise<ControlBot> {
    return this.request('GET', `/_emulator/bots/${botId}`);
  }

  /** Inject a text message from a user (a number: the chat id); resolves with its update_id. */
  async sendText(botId: number, text: string, extra: number | Omit<InjectMessageRequest, 'text'> = {}, env?: BotEnv): Promise<number> {
    return (await this.inject(botId, { text, ...(typeof extra === 'number' ? { chat_id: extra } : extra) }, env)).update_id;
  }

  /** Inject a message (the whole answer: update_id, chat_id, message_id; `dropped` when refused). */
  inject(botId: number, req: InjectMessageRequest, env?: BotEnv): Promise<InjectedMessage> {
    return this.request('POST', this.botPath(botId, 'updates', env), req);
  }

  /** Inject a callback query on a message the bot sent. */
  callbackQuery(botId: number, req: InjectCallbackRequest = {}, env?: BotEnv): Promise<InjectedCallback> {
    return this.request('POST', this.botPath(botId, 'callback_query', env), req);
  }

  /** What the bot sent, oldest first; with `min`, the emulator answers once that many were sent (or the timeout passed). */
  async sent(botId: number, q: SentQuery = {}): Promise<SentMessage[]> {
    const params = new URLSearchParams();
    if (q.min !== undefined) params.set('min', String(q.min));
    if (q.timeoutMs !== undefined) params.set('timeout_ms', String(q.timeoutMs));
    const waitMs = q.min !== undefined ? Math.min(q.timeoutMs ?? 10_000, 60_000) : 0;
    return (await this.request<{ messages: SentMessage[] }>('GET', this.botPath(botId, 'sent', q.env, params), undefined, waitMs)).messages;
  }

  /** Wait until the bot sent at least `min` messages; throws naming `what` when the emulator's wait ran out first. */
  async waitForSent(botId: number, min: number, timeoutMs = 10_000, what = `${min} sent messages`): Promise<SentMessage[]> {
    const messages = await this.sent(botId, { min, timeoutMs });
    if (messages.length < min) throw new EmulatorControlError(0, `timed out after ${timeoutMs} ms waiting for ${what} (bot ${botId} sent ${messages.length})`);
    return messages;
  }

  async clearSent(botId: number, env?: BotEnv): Promise<void> {
    await this.request('DELETE', this.botPath(botId, 'sent', env));
  }

  /** The latest Bot API requests of this bot (at most 1000). */
  async requests(botId: number, env?: BotEnv): Promise<RequestRecord[]> {
    return (await this.request<{ requests: RequestRecord[] }>('GET', this.botPath(botId, 'requests', env))).requests;
  }

  stats(botId: number, env?: BotEnv): Promise<ControlStats> {
    return this.request('GET', this.botPath(botId, 'stats', env));
  }

  async addFault(fault: FaultRequest): Promise<void> {
    await this.request('POST', '/_emulator/faults', fault);
  }

  async faults(): Promise<FaultRule[]> {
    return (await this.request<{ faults: FaultRule[] }>('GET', '/_emulator/faults')).faults;
  }

  async clearFaults(): Promise<void> {
    await this.request('DELETE', '/_emulator/faults');
  }

  config(): Promise<EmulatorSwitches> {
    return this.request('GET', '/_emulator/config');
  }

  /** Change switches at run time; resolves with all of them. */
  configure(changes: Partial<EmulatorSwitches>): Promise<EmulatorSwitches> {
    return this.request('POST', '/_emulator/config', changes);
  }

  /** Forget every bot, fault and switch change. */
  async reset(): Promise<void> {
    await this.request('POST', '/_emulator/reset');
  }

  /** Forget one bot's queue, chats and counters (same id and token). */
  resetBot(botId: number): Promise<ControlBot> {
    return this.request('POST', `/_emulator/bots/${botId}/reset`);
  }

  /** From now on the bot's token is refused (401), as after a /revoke at @BotFather. */
  async revoke(botId: number): Promise<void> {
    await this.request('POST', `/_emulator/bots/${botId}/revoke`);
  }

  async restore(botId: number): Promise<void> {
    await this.request('POST', `/_emulator/bots/${botId}/restore`);
  }

  /** The user (default: the emulator's default user) blocks the bot: sends to them answer 403. */
  async block(botId: number, userId?: number): Promise<void> {
    await this.request('POST', `/_emulator/bots/${botId}/block`, userId === undefined ? {} : { user_id: userId });
  }

  async unblock(botId: number, userId?: number): Promise<void> {
    await this.request('POST', `/_emulator/bots/${botId}/unblock`, userId === undefined ? {} : { user_id: userId });
  }

  /** Start the built-in rival poller (a forgotten second instance: reproduces the two-instance 409s). */
  async startRivalPoller(botId: number, req: RivalPollerRequest = {}, env?: BotEnv): Promise<void> {
    await this.request('POST', this.botPath(botId, 'rival-poller', env), req);
  }

  async stopRivalPoller(botId: number, env?: BotEnv): Promise<void> {
    await this.request('DELETE', this.botPath(botId, 'rival-poller', env));
  }

  /** Call a Bot API method directly, as a second, unmanaged client would; any status is returned, never thrown. */
  async api<T = unknown>(token: string, method: string, params: Record<string, unknown> = {}, env?: BotEnv): Promise<BotApiEnvelope<T>> {
    const res = await fetch(`${this.url}/bot${token}/${env === 'test' ? 'test/' : ''}${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(params),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    try {
      return JSON.parse(text) as BotApiEnvelope<T>;
    } catch {
      return { ok: false, error_code: res.status, description: text.slice(0, 200) };
    }
  }

  private botPath(botId: number, what: string, env?: BotEnv, params = new URLSearchParams()): string {
    if (env === 'test') params.set('env', 'test');
    const q = params.toString();
    return `/_emulator/bots/${botId}/${what}${q ? `?${q}` : ''}`;
  }

  private async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, extraWaitMs = 0): Promise<T> {
    const timeoutMs = (this.opts.timeoutMs ?? 30_000) + extraWaitMs;
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new EmulatorControlError(0, `emulator ${method} ${path}: no answer from ${this.url} (${(err as Error).message})`);
    }
    const text = await res.text();
    if (!res.ok) {
      let detail = text;
      try {
        detail = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // not JSON: keep the text
      }
      throw new EmulatorControlError(res.status, `emulator ${method} ${path} answered ${res.status}: ${detail}`);
    }
    return JSON.parse(text) as T;
  }
}
