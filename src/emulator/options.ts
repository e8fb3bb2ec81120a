// The emulator's switches: defaults follow production Telegram where it differs from the open-source server.

/** Who gets the 409 when a second getUpdates overlaps a pending one (docs/bot-api-semantics.md §5.2, §5.5, §12). */
export type ConflictMode = 'source' | 'newer_loses';

/** Error texts for malformed tokens and unknown methods (§2.1, §12 item 5). */
export type ErrorStyle = 'production' | 'opensource';

/** Switches that can be changed at run time (`POST /_emulator/config`). */
export interface EmulatorSwitches {
  /**
   * `source` (default): the older pending getUpdates gets 409 "terminated by other getUpdates request", the newer
   * one waits. `newer_loses`: while a poll is pending, every newer getUpdates gets that 409 at once (production reports).
   */
  conflictMode: ConflictMode;
  /**
   * Default false (docs/contract.md §9, ★): a pending getUpdates whose client disconnected is dropped. True: it keeps the
   * bot's one long-poll slot until its timeout or until replaced, as in the open-source server (§4.4 point 7).
   */
  deadPollHoldsSlot: boolean;
  /** After an immediate 409, further 409s within this window are delayed by this long. Default 3000 ms (§5.2); 0 = off. */
  conflictDelayMs: number;
  /** getUpdates `timeout` is clamped to this. Default 50 s (§4.1). */
  maxTimeoutS: number;
  /** Raise a repeated same-offset short poll to 3 s and limit 1 as the real server does (§4.2). Default true. */
  shortPollAdjust: boolean;
  /** How long a message-type update is kept. Default 86 400 000 ms (24 h, §4.5). Callback queries: 150 s. */
  retentionMs: number;
  /** Updates above this many pending are silently dropped. Default 100 000 (§4.5). */
  maxPendingUpdates: number;
  /** `production` (default): 404 `Not Found` for a malformed token and an unknown method; `opensource`: 401/421 and `Not Found: method not found`. */
  errorStyle: ErrorStyle;
  /** Require an HTTPS webhook on port 80/88/443/8443 as production does. Default false: http and any port (like `--local`). */
  webhookRequireHttps: boolean;
  /** Multiplies the webhook retry schedule (immediately, 2, 4, … s, cap 60–120 s). Default 1; tests use e.g. 0.01. */
  webhookRetryScale: number;
  /** A webhook POST without a complete answer within this is a failure. Default 60 000 ms. */
  webhookTimeoutMs: number;
  /** setWebhook with a URL sooner than this after the previous one answers 429 retry after 1. Default 1000 ms; 0 = off. */
  setWebhookMinIntervalMs: number;
  /** Added before answering each Bot API request. Default 0 ms. */
  latencyMs: number;
  /** A pending poll woken by a new update answers after this, batching updates that arrive together. Default 1 ms. */
  longPollBatchMs: number;
  /** After logOut every request answers 400 `Logged out` for this long. Default 600 000 ms (10 min). */
  logOutMs: number;
  /** sendMessage to a chat the emulator has never seen creates it instead of `chat not found`. Default false. */
  autoCreateChats: boolean;
  /** How many sent messages per bot `/_emulator/bots/<id>/sent` keeps (oldest dropped). Default 10 000. */
  maxSentPerBot: number;
}

/** Options of `startEmulator`. */
export interface EmulatorOptions extends Partial<EmulatorSwitches> {
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** First update_id of each new bot's queue. Default: random in [2 000 001, 1 000 000 000] as the real server (§4.5). */
  firstUpdateId?: number;
}

/** The defaults of every switch. */
export const DEFAULT_SWITCHES: Readonly<EmulatorSwitches> = Object.freeze({
  conflictMode: 'source',
  deadPollHoldsSlot: false,
  conflictDelayMs: 3000,
  maxTimeoutS: 50,
  shortPollAdjust: true,
  retentionMs: 86_400_000,
  maxPendingUpdates: 100_000,
  errorStyle: 'production',
  webhookRequireHttps: false,
  webhookRetryScale: 1,
  webhookTimeoutMs: 60_000,
  setWebhookMinIntervalMs: 1000,
  latencyMs: 0,
  longPollBatchMs: 1,
  logOutMs: 600_000,
  autoCreateChats: false,
  maxSentPerBot: 10_000,
});

const ENUMS: Partial<Record<keyof EmulatorSwitches, readonly string[]>> = {
  conflictMode: ['source', 'newer_loses'],
  errorStyle: ['production', 'opensource'],
};

/**
 * Check a partial set of switches (from options or `POST /_emulator/config`) and return it typed.
 * Throws an Error whose message names the switch, what was expected and what was received.
 */
export function parseSwitches(input: unknown): Partial<EmulatorSwitches> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error(`expected a JSON object of switches, got ${JSON.stringify(input)}`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    if (!(key in DEFAULT_SWITCHES)) throw new Error(`unknown switch "${key}"; known: ${Object.keys(DEFAULT_SWITCHES).join(', ')}`);
    const k = key as keyof EmulatorSwitches;
    const def = DEFAULT_SWITCHES[k];
    const allowed = ENUMS[k];
    if (allowed) {
      if (typeof value !== 'string' || !allowed.includes(value)) throw new Error(`switch ${key}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
    } else if (typeof def === 'number') {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`switch ${key}: expected a number ≥ 0, got ${JSON.stringify(value)}`);
    } else if (typeof def === 'boolean') {
      if (typeof value !== 'boolean') throw new Error(`switch ${key}: expected true or false, got ${JSON.stringify(value)}`);
    }
    out[key] = value;
  }
  return out as Partial<EmulatorSwitches>;
}

/** Pick the switch keys out of options, validated. */
export function switchesFrom(opts: EmulatorOptions): EmulatorSwitches {
  const picked: Record<string, unknown> = {};
  for (const k of Object.keys(DEFAULT_SWITCHES)) {
    const v = (opts as Record<string, unknown>)[k];
    if (v !== undefined) picked[k] = v;
  }
  return { ...DEFAULT_SWITCHES, ...parseSwitches(picked) };
}
