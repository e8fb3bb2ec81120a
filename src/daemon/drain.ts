// Drain before stop: on a graceful stop or a planned restart the gateway hands out no more updates, and the bot is
// signalled only once it has gone quiet — no Bot API call in flight, none for `quietMs`, and no update it was handed
// still waiting for a call to its chat (gateway/activity.ts). Libraries that confirm updates on fetch and handle them
// in the background (aiogram, pyTelegramBotAPI threaded) would otherwise lose the updates in hand on SIGTERM, and on
// Windows no signal reaches a console bot at all. Bounded by --stop-timeout; a crash is never drained.
import type { Gateway } from '../gateway/index.js';
import type { Logger } from '../log.js';
import { monotonicMs } from '../util/clock.js';
import { sleepUnlessAborted } from '../util/sleep.js';

/** How often the drain looks at the bot's activity, ms. */
const CHECK_EVERY_MS = 20;

/** How a drain ended. */
export interface DrainResult {
  /** The bot went quiet within the budget. */
  quiet: boolean;
  waitedMs: number;
  /** Bot API calls the bot made while draining. */
  calls: number;
  inFlight: number;
  unanswered: number;
  /** Since the bot's last call, ms. */
  idleMs: number;
  /** The wait ended because `until()` turned true (the bot exited by itself): nothing is left to drain. */
  gone: boolean;
}

/**
 * Wait until the bot is quiet or `budgetMs` has passed (getUpdates must already be stopped by the caller). Unanswered
 * updates count when handed out at most `maxAgeMs` (default `budgetMs`) before the wait began, for the whole wait.
 * Never throws; an abort, or `until()` turning true (the bot is gone), ends the wait early.
 */
export async function waitQuiet(
  gateway: Gateway,
  opts: { quietMs: number; budgetMs: number; maxAgeMs?: number; signal?: AbortSignal; until?: () => boolean },
): Promise<DrainResult> {
  const start = monotonicMs();
  const maxAgeMs = opts.maxAgeMs ?? opts.budgetMs;
  const calls0 = gateway.activity().calls;
  for (;;) {
    const waitedMs = Math.round(monotonicMs() - start);
    const a = gateway.activity(maxAgeMs + waitedMs);
    const quiet = a.inFlight === 0 && a.idleMs >= opts.quietMs && a.unanswered === 0;
    const gone = !quiet && (opts.until?.() ?? false);
    const result = { quiet, waitedMs, calls: a.calls - calls0, inFlight: a.inFlight, unanswered: a.unanswered, idleMs: Math.round(Math.min(a.idleMs, 1e9)), gone };
    if (quiet || gone || waitedMs >= opts.budgetMs || opts.signal?.aborted) return result;
    const left = opts.budgetMs - waitedMs;
    const step = Math.min(left, CHECK_EVERY_MS, a.inFlight === 0 && a.unanswered === 0 ? Math.max(1, opts.quietMs - a.idleMs) : CHECK_EVERY_MS);
    await sleepUnlessAborted(Math.max(1, step), opts.signal);
  }
}

/** Log a drain's outcome: a line when it waited, a warning naming what was still going on when the budget ran out. */
export function reportDrain(logger: Logger, r: DrainResult, budgetMs: number, what: string): void {
  if (r.gone) {
    const left = r.unanswered > 0 ? `; ${r.unanswered} updates it was handed had no reply` : '';
    logger.info(r.waitedMs < 50 ? `the bot is not running any more: nothing to drain${left}` : `the bot exited by itself after ${r.waitedMs} ms of draining${left}`);
    return;
  }
  if (r.quiet) {
    if (r.waitedMs >= 50) logger.info(`the bot went quiet after ${r.waitedMs} ms (${r.calls} Bot API calls while draining): ${what}`);
    return;
  }
  logger.warn(
    `the bot was still busy after --stop-timeout ${budgetMs} ms of draining: ${r.calls} Bot API calls meanwhile, ${r.inFlight} in flight, ` +
      `the last ${r.idleMs} ms ago, ${r.unanswered} updates without a reply yet; ${what} anyway. Give it longer with --stop-timeout`,
  );
}

/**
 * The supervisor's hooks for a planned restart (`--max-memory`, the status page's restart): drain before the old bot is
 * stopped, then confirm upstream what it acknowledged (the new bot starts without an offset) and let getUpdates
 * through again.
 */
export function restartDrainHooks(gateway: Gateway, logger: Logger, opts: { quietMs: number; budgetMs: number }): { beforeStop(): Promise<void>; afterStop(): Promise<void> } {
  return {
    async beforeStop() {
      await gateway.stopPolling('restart');
      if (opts.quietMs <= 0) return;
      reportDrain(logger, await waitQuiet(gateway, opts), opts.budgetMs, 'restarting it');
    },
    async afterStop() {
      try {
        const r = await gateway.confirmOffset();
        if (r.sent) logger.info(`confirmed offset ${r.offset} upstream before the restart`);
      } finally {
        gateway.resumePolling('restart');
      }
    },
  };
}
