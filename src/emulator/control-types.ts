// The wire shapes of the /_emulator/ control API: what control.ts answers and control-client.ts reads (one declaration).


/** `GET /_emulator/health`. */
export interface ControlHealth {
  ok: true;
  bots: number;
  uptimeMs: number;
}

/** `POST /_emulator/bots` body: every field optional (id, token and username are generated when missing). */
export interface CreateBotRequest {
  id?: number;
  token?: string;
  username?: string;
  first_name?: string;
}

/** `POST /_emulator/bots` answer. */
export interface CreatedBot {
  id: number;
  token: string;
  username: string;
}

/** A bot as `GET /_emulator/bots` and `GET /_emulator/bots/<id>` list it. */
export interface ControlBot extends CreatedBot {
  first_name: string;
  revoked: boolean;
}

/** `POST /_emulator/bots/<id>/updates` body: a text message from a user (a private chat unless chat_id/chat_type say otherwise). */
export interface InjectMessageRequest {
  text: string;
  user_id?: number;
  first_name?: string;
  last_name?: string;
  username?: string;
  language_code?: string;
  chat_id?: number;
  chat_type?: 'private' | 'group' | 'supergroup' | 'channel';
  chat_title?: string;
  chat_username?: string;
  reply_to_message_id?: number;
  entities?: unknown[];
  /** Queue the same message this many times (benchmarks). */
  count?: number;
}

/** `POST /_emulator/bots/<id>/updates` answer; `update_id` 0 with `dropped` when the queue refused it. */
export interface InjectedMessage {
  update_id: number;
  chat_id: number;
  message_id?: number;
  dropped?: string;
  /** With `count` > 1: the last update_id and how many were queued. */
  last_update_id?: number;
  queued?: number;
}

/** `POST /_emulator/bots/<id>/callback_query` body. */
export interface InjectCallbackRequest {
  data?: string;
  message_id?: number;
  user_id?: number;
  chat_id?: number;
  chat_type?: 'private' | 'group' | 'supergroup' | 'channel';
}

/** `POST /_emulator/bots/<id>/callback_query` answer. */
export interface InjectedCallback {
  update_id: number;
  callback_query_id: string;
  dropped?: string;
}

/** One thing the bot sent, as `GET /_emulator/bots/<id>/sent` lists it (`at`: epoch ms). */
export interface SentMessage {
  method: string;
  chat_id: number;
  text?: string;
  at: number;
  message_id?: number;
}

/** One Bot API request the bot made (`GET /_emulator/bots/<id>/requests`; method as sent, epoch ms). */
export interface RequestRecord {
  method: string;
  at: number;
}

/** Counters of the built-in rival poller (`POST /_emulator/bots/<id>/rival-poller`). */
export interface RivalPollerStats {
  polls: number;
  conflicts: number;
  received: number;
}

/** `GET /_emulator/bots/<id>/stats`. */
export interface ControlStats {
  getUpdatesCalls: number;
  /** 409s answered to this bot. */
  conflicts: number;
  /** update_id → how many getUpdates answers carried it (more than 1 = delivered twice). */
  delivered: Record<string, number>;
  /** Every update below this was confirmed by an offset. */
  confirmedUpTo: number;
  pending: number;
  webhook: { url: string; last_error_date?: number; last_error_message?: string };
  longPollWaiting: boolean;
  lastGetUpdatesAt: number;
  lastUserAgent: string | null;
  requests: number;
  nextUpdateId: number;
  rivalPoller?: RivalPollerStats;
}

/** `POST /_emulator/faults` body (see faults.ts): the next `count` matching calls answer `status`, late, as HTML, or not at all. */
export interface FaultRequest {
  bot?: number;
  method?: string;
  status?: number;
  count?: number;
  retry_after?: number;
  delay_ms?: number;
  drop?: boolean;
  html?: boolean;
  description?: string;
}

/** `POST /_emulator/bots/<id>/rival-poller` body. */
export interface RivalPollerRequest {
  /** getUpdates timeout, s (default 30). */
  timeout?: number;
  /** Wait after a 409 or an error, ms (default 1000). */
  retry_ms?: number;
  /** Confirm the updates it receives (default true). */
  confirm?: boolean;
}

/** What every refusal of the control API carries (with a 4xx/5xx status). */
export interface ControlErrorBody {
  error: string;
}

