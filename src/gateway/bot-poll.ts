// One getUpdates request from the bot, from arrival to answer, and its parameters read as the server reads them.
import { monotonicMs } from '../util/clock.js';
import { sendEmptyUpdates, sendJson, type JsonSink } from './envelope.js';
import { intParam, listParam, type Params } from './params.js';
import { MAX_TIMEOUT_S } from './poll-plan.js';

/** What the bot asked for. */
export interface PollParams {
  offset: number | undefined;
  limit: number | undefined;
  timeoutS: number;
  allowedUpdates: string[] | undefined;
}

/** One getUpdates request from the bot, from arrival to answer. */
export class BotPoll {
  readonly controller = new AbortController();
  readonly deadline: number;
  answered = false;
  upstreamCalls = 0;

  constructor(
    readonly res: JsonSink,
    readonly params: PollParams,
  ) {
    this.deadline = monotonicMs() + params.timeoutS * 1000;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - monotonicMs());
  }

  /** Answer [] (once; ignored when the bot already left). */
  empty(): void {
    if (this.answered) return;
    this.answered = true;
    sendEmptyUpdates(this.res);
  }

  /** Answer with an upstream body as it came (keeps Telegram's exact bytes). */
  raw(status: number, body: Buffer): void {
    if (this.answered) return;
    this.answered = true;
    sendJson(this.res, status, body);
  }

  abort(reason: string): void {
    if (!this.controller.signal.aborted) this.controller.abort(new Error(reason));
  }
}

/** Read getUpdates parameters leniently as the server does (timeout clamped to [0, 50]). */
export function pollParams(params: Params): PollParams {
  const t = intParam(params, 'timeout') ?? 0;
  return {
    offset: intParam(params, 'offset'),
    limit: intParam(params, 'limit'),
    timeoutS: Math.min(MAX_TIMEOUT_S, Math.max(0, t)),
    allowedUpdates: listParam(params, 'allowed_updates'),
  };
}

