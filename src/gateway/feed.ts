// getUpdates answered from an update feed instead of Telegram (worker mode: updates come from owned partitions).
import type { Logger } from '../log.js';
import { pollParams } from './bot-poll.js';
import { sendJson, type JsonSink } from './envelope.js';
import type { Params } from './params.js';
import type { GatewayStats } from './stats.js';

/** Where the bot's updates come from in worker mode (src/workers' WorkerNode). */
export interface UpdateFeed {
  /** The raw JSON of each update for this getUpdates; [] when none came within `timeoutMs`, or `signal` aborted. */
  next(req: { offset: number | undefined; limit: number | undefined; timeoutMs: number; signal: AbortSignal }): Promise<string[]>;
}

/** Serve one getUpdates of the bot from `feed`. */
export async function serveFromFeed(feed: UpdateFeed, res: JsonSink, params: Params, stats: GatewayStats, logger: Logger): Promise<void> {
  const p = pollParams(params);
  stats.sawGetUpdates(p.offset);
  const ac = new AbortController();
  const onClose = (): void => ac.abort(new Error('the bot closed the connection'));
  res.once('close', onClose);
  let updates: string[] = [];
  try {
    updates = await feed.next({ offset: p.offset, limit: p.limit, timeoutMs: p.timeoutS * 1000, signal: ac.signal });
  } catch (err) {
    logger.error('getUpdates failed inside the gateway (worker mode)', { reason: err instanceof Error ? err.message : String(err) });
  } finally {
    res.off('close', onClose);
  }
  if (updates.length > 0) stats.forwarded(updates.length, undefined);
  sendJson(res, 200, `{"ok":true,"result":[${updates.join(',')}]}`);
}
