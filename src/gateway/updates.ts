// getUpdates through the gateway: forwarded only while leader and polling, one upstream poll at a time, 409s and
// upstream failures absorbed, late answers after a lost lease discarded, and the bot's acknowledged offset confirmed.
//
// What the bot sees, whatever happens upstream (decided from docs/clients.md §3, §5, §7):
// - a 409 → `[]` after `conflictDelayMs` (grammY, the runner, Telegraf and NTBA 2 exit on the first 409; NTBA 0.x
//   would call setWebHook in a loop);
// - a 429 → the gateway itself waits retry_after (holding the bot's poll, answering `[]` at its timeout) instead of
//   passing it on: all clients but NTBA 0.x honour retry_after, but NTBA 0.x ignores it and re-polls every 300 ms, and
//   holding gives every client the same, correct behaviour;
// - a 5xx, a non-Bot-API answer or a network error → the gateway backs off (1 s doubling to 15 s) while holding the
//   poll, then `[]` at its timeout (Telegraf waits 5 s, the runner backs off for 15 h, PTB logs every error);
// - other refusals (400, 401, 403, 404) are passed through unchanged: they describe the bot's own request or token.
import type { LeaderView } from '../lease/types.js';
import type { Logger } from '../log.js';
import type { ConflictCause } from '../metrics/botwarden-metrics.js';
import { monotonicMs } from '../util/clock.js';
import { sleepUnlessAborted } from '../util/sleep.js';
import { BotPoll, pollParams } from './bot-poll.js';
import type { BotActivity } from './activity.js';
import type { DropPendingGuard } from './drop-pending.js';
import { sendEmptyUpdates, type JsonSink } from './envelope.js';
import type { Params } from './params.js';
import { planPoll, SAME_OFFSET_WINDOW_MS } from './poll-plan.js';
import type { GatewayStats } from './stats.js';
import type { Upstream, UpstreamAnswer } from './upstream.js';

/** How long stopPolling waits for an upstream answer that has started arriving before aborting it anyway. */
const ANSWER_GRACE_MS = 2000;

/** Timing knobs of the relay; defaults suit production, tests shrink them. */
export interface RelayTiming {
  /** Longest hold of a getUpdates while not leader (or not polling) before answering []. Default: the request's own timeout. */
  holdWhenStandbyMs?: number;
  /** Upstream long polls end at least this long before `msLeft()` runs out. Default 1000. */
  leaseMarginMs?: number;
  /** Delay before answering [] after an absorbed 409. Default 1000. */
  conflictDelayMs?: number;
  /** Shortest hold of a short poll (timeout 0) the gateway answers itself, so such bots cannot spin. Default 1000. */
  shortPollHoldMs?: number;
  /** How often a held request re-checks `isLeader()`. Default 50. */
  leaderCheckMs?: number;
  /** First and largest backoff after upstream errors. Defaults 1000 and 15000. */
  errorBackoffMs?: number;
  errorBackoffMaxMs?: number;
  /** At most one 409 warning per this many ms. Default 30000. */
  conflictLogIntervalMs?: number;
}

/** getUpdates for one environment (`''` production, `'/test'` test) of the managed bot. */
export class UpdatesRelay {
  private polling = true;
  private current: BotPoll | undefined;
  /** Settles when the upstream getUpdates in flight (at most one) has ended. */
  private inflight: Promise<unknown> | undefined;
  private inflightController: AbortController | undefined;
  /** The upstream poll in flight has its answer's headers: Telegram counts it delivered. */
  private inflightAnswering = false;
  private retryAt = 0;
  private errorStreak = 0;
  private lastUpstreamOffset: number | undefined;
  private lastUpstreamStartedAt = -Infinity;
  private lastConflictLogAt = -Infinity;
  private conflictsSinceLog = 0;
  private lastErrorLogAt = -Infinity;
  /** Held polls waiting in waitUntil: woken by resumePolling instead of their next leaderCheckMs tick. */
  private readonly wakers = new Set<() => void>();
  private readonly t: Required<Omit<RelayTiming, 'holdWhenStandbyMs'>> & { holdWhenStandbyMs: number };

  constructor(
    private readonly env: '' | '/test',
    private readonly up: Upstream,
    private readonly leader: LeaderView,
    private readonly logger: Logger,
    private readonly stats: GatewayStats,
    timing: RelayTiming = {},
    /** Keeps pending updates from a negative offset (undefined: `--allow-drop-pending`, passed through). */
    private readonly dropGuard?: DropPendingGuard,
    /** Told which updates were handed out (for draining before a stop). */
    private readonly activity?: BotActivity,
  ) {
    this.t = {
      holdWhenStandbyMs: timing.holdWhenStandbyMs ?? Infinity,
      leaseMarginMs: timing.leaseMarginMs ?? 1000,
      conflictDelayMs: timing.conflictDelayMs ?? 1000,
      shortPollHoldMs: timing.shortPollHoldMs ?? 1000,
      leaderCheckMs: timing.leaderCheckMs ?? 50,
      errorBackoffMs: timing.errorBackoffMs ?? 1000,
      errorBackoffMaxMs: timing.errorBackoffMaxMs ?? 15_000,
      conflictLogIntervalMs: timing.conflictLogIntervalMs ?? 30_000,
    };
  }

  /** Whether getUpdates may go upstream (independent of leadership). */
  get isPolling(): boolean {
    return this.polling;
  }

  /** Serve one getUpdates from the bot. Resolves when it has been answered (or the bot left). */
  async handle(res: JsonSink, params: Params): Promise<void> {
    const p = pollParams(params);
    if (this.env === '') this.stats.sawGetUpdates(p.offset);
    if (this.dropGuard && p.offset !== undefined && p.offset < 0) {
      // "Forget all but the last -offset updates": answered as if nothing were pending, so nothing is forgotten.
      this.dropGuard.kept('getUpdates');
      sendEmptyUpdates(res);
      return;
    }
    const poll = new BotPoll(res, p);
    const prev = this.current;
    this.current = poll;
    if (prev) {
      // A second getUpdates from the bot: the older one gets [] now (never a 409 made by us), and its upstream poll ends.
      prev.empty();
      prev.abort('superseded by a newer getUpdates from the bot');
    }
    const onClose = (): void => poll.abort('the bot closed the connection');
    res.once('close', onClose);
    try {
      await this.serve(poll);
    } catch (err) {
      if (!poll.signal.aborted) this.logger.error('getUpdates failed inside the gateway', { reason: this.up.redact(String(err)) });
    } finally {
      res.off('close', onClose);
      poll.empty();
      if (this.current === poll) this.current = undefined;
    }
  }

  /**
   * Stop sending getUpdates upstream: held polls get [] now and the upstream poll in flight is aborted and awaited —
   * unless Telegram has already started answering it: then its updates still go to the bot (we are still leader),
   * since an aborted answer would count as delivered upstream and reach the next leader a second time.
   */
  async stopPolling(): Promise<void> {
    this.polling = false;
    if (this.inflightAnswering) {
      const timer = setTimeout(() => this.inflightController?.abort(new Error('polling stopped')), ANSWER_GRACE_MS);
      try {
        await this.settleInflight();
        await new Promise<void>((resolve) => setImmediate(resolve)); // let the poll's own continuation hand the answer over
      } finally {
        clearTimeout(timer);
      }
    }
    const cur = this.current;
    if (cur) {
      cur.empty();
      cur.abort('polling stopped');
    }
    this.inflightController?.abort(new Error('polling stopped'));
    await this.settleInflight();
  }

  /** Let getUpdates go upstream again (while leader). Held polls re-check at once (a hot standby taking over). */
  resumePolling(): void {
    this.polling = true;
    const wake = [...this.wakers];
    this.wakers.clear();
    for (const w of wake) w();
  }

  /**
   * If the bot acknowledged more than was ever sent upstream, send `getUpdates {offset, timeout: 0, limit: 1}` (only
   * while leader) so Telegram drops what the bot processed and the next leader gets no duplicates.
   */
  async confirmOffset(signal?: AbortSignal): Promise<{ sent: boolean; offset?: number; error?: string }> {
    const acked = this.stats.ackedOffset;
    if (this.env !== '' || acked <= 0 || acked <= this.stats.upstreamOffset) return { sent: false };
    if (!this.leader.isLeader()) return { sent: false, offset: acked, error: 'not leader' };
    await this.settleInflight();
    const ac = new AbortController();
    const signals = [ac.signal, ...(signal ? [signal] : [])];
    const timer = setTimeout(() => ac.abort(new Error('no answer within 10000 ms')), 10_000);
    try {
      this.noteUpstreamStart(acked, false);
      const call = this.up.callJson(this.env, 'getUpdates', { offset: acked, timeout: 0, limit: 1 }, { signal: AbortSignal.any(signals), timeoutMs: 10_000 });
      // Counts as the one upstream getUpdates in flight: a bot poll arriving now waits for it.
      const tracked = call.catch(() => undefined);
      this.inflight = tracked;
      this.inflightController = ac;
      void tracked.finally(() => {
        if (this.inflight === tracked) {
          this.inflight = undefined;
          this.inflightController = undefined;
        }
      });
      const ans = await call;
      if (ans.kind === 'ok') {
        this.stats.upstreamOffset = Math.max(this.stats.upstreamOffset, acked);
        return { sent: true, offset: acked };
      }
      const error = ans.kind === 'refused' ? `${ans.errorCode} ${this.up.redact(ans.description)}` : ans.reason;
      return { sent: false, offset: acked, error };
    } catch (err) {
      return { sent: false, offset: acked, error: this.up.redact(err instanceof Error ? err.message : String(err)) };
    } finally {
      clearTimeout(timer);
    }
  }

  private async settleInflight(): Promise<void> {
    while (this.inflight) await this.inflight.catch(() => undefined);
  }

  private mayForward(): boolean {
    return this.polling && this.leader.isLeader();
  }

  private async serve(poll: BotPoll): Promise<void> {
    const s = poll.signal;
    while (!poll.answered && !s.aborted) {
      const now = monotonicMs();
      const step = planPoll({
        mayForward: this.mayForward(),
        pollingStopped: !this.polling,
        remainingMs: poll.remainingMs(),
        timeoutS: poll.params.timeoutS,
        upstreamCalls: poll.upstreamCalls,
        backoffMs: this.retryAt - now,
        msLeft: this.leader.msLeft(),
        sameOffsetRecently: poll.params.offset === this.lastUpstreamOffset && now - this.lastUpstreamStartedAt < SAME_OFFSET_WINDOW_MS,
        leaseMarginMs: this.t.leaseMarginMs,
        shortPollHoldMs: this.t.shortPollHoldMs,
        holdWhenStandbyMs: this.t.holdWhenStandbyMs,
      });
      if (step.kind === 'hold-for-leader') {
        if (!(await this.waitUntil(() => this.mayForward(), step.ms, s))) return poll.empty();
        continue;
      }
      if (step.kind === 'wait') {
        if (step.ms > 0) await sleepUnlessAborted(step.ms, s);
        if (step.thenEmpty) return poll.empty();
        continue;
      }
      await this.settleInflight();
      if (s.aborted) return;
      if (!this.mayForward()) continue;
      const ans = await this.pollUpstream(poll, step.timeoutS);
      if (ans === undefined) return; // aborted: the bot left, a newer poll took over, or polling stopped
      if (await this.settle(poll, ans)) return;
    }
  }

  private noteUpstreamStart(offset: number | undefined, countAsSent: boolean): void {
    this.lastUpstreamOffset = offset;
    this.lastUpstreamStartedAt = monotonicMs();
    if (countAsSent && this.env === '' && offset !== undefined && offset > this.stats.upstreamOffset) this.stats.upstreamOffset = offset;
  }

  /** One upstream getUpdates for `poll`; undefined when it was aborted. Only one runs at a time. */
  private pollUpstream(poll: BotPoll, timeoutS: number): Promise<UpstreamAnswer | undefined> {
    // No await before `this.inflight` is set: the caller has just seen it empty.
    const ac = new AbortController();
    const onAbort = (): void => ac.abort(poll.signal.reason);
    poll.signal.addEventListener('abort', onAbort, { once: true });
    this.inflightController = ac;
    const body: Record<string, unknown> = { timeout: timeoutS };
    if (poll.params.offset !== undefined) body.offset = poll.params.offset;
    if (poll.params.limit !== undefined) body.limit = poll.params.limit;
    if (poll.params.allowedUpdates !== undefined) body.allowed_updates = poll.params.allowedUpdates;
    poll.upstreamCalls++;
    this.noteUpstreamStart(poll.params.offset, true);
    this.inflightAnswering = false;
    const call = this.up.callJson(this.env, 'getUpdates', body, {
      signal: ac.signal,
      timeoutMs: timeoutS * 1000 + 15_000,
      onHeaders: () => {
        if (this.inflightController === ac) this.inflightAnswering = true;
      },
    });
    const tracked = call.then(
      (ans) => ans,
      () => undefined,
    );
    this.inflight = tracked;
    return tracked.finally(() => {
      poll.signal.removeEventListener('abort', onAbort);
      if (this.inflight === tracked) {
        this.inflight = undefined;
        this.inflightController = undefined;
        this.inflightAnswering = false;
      }
    });
  }

  /** Act on an upstream answer; true when the poll is finished. */
  private async settle(poll: BotPoll, ans: UpstreamAnswer): Promise<boolean> {
    if (ans.kind === 'unreachable') {
      this.backoff(`getUpdates: ${ans.reason}`);
      return false;
    }
    if (ans.kind === 'ok') {
      this.errorStreak = 0;
      const updates = Array.isArray(ans.result) ? (ans.result as { update_id?: unknown }[]) : [];
      if (!this.leader.isLeader()) {
        if (updates.length > 0) {
          this.stats.late();
          this.logger.info('discarded a getUpdates answer that came after leadership ended; the updates stay unconfirmed upstream', { updates: updates.length });
        }
        poll.empty();
        return true;
      }
      if (updates.length === 0) {
        if (poll.remainingMs() >= 1000) return false;
        poll.empty();
        return true;
      }
      let highest: number | undefined;
      for (const u of updates) if (typeof u.update_id === 'number' && (highest === undefined || u.update_id > highest)) highest = u.update_id;
      if (this.env === '') this.stats.forwarded(updates.length, highest);
      this.activity?.handedOut(updates);
      poll.raw(ans.status, ans.raw);
      return true;
    }
    const code = ans.errorCode;
    if (code === 409) {
      const cause: ConflictCause = /webhook/i.test(ans.description) ? 'webhook' : 'other-poller';
      this.stats.conflict(cause);
      this.logConflict(cause, ans.description);
      await sleepUnlessAborted(this.t.conflictDelayMs, poll.signal);
      poll.empty();
      return true;
    }
    if (code === 429) {
      const retryAfterS = ans.parameters.retry_after ?? 5;
      this.retryAt = monotonicMs() + retryAfterS * 1000;
      this.logger.warn(`Telegram asked to slow down (429): getUpdates waits ${retryAfterS} s; the bot's poll is held meanwhile`);
      return false;
    }
    if (code >= 500) {
      this.backoff(`getUpdates: ${code} ${this.up.redact(ans.description)}`);
      return false;
    }
    if (code === 401) this.logger.error('Telegram refused the token (401) on getUpdates: it was revoked or changed in @BotFather; passed to the bot');
    else this.logger.warn(`Telegram refused getUpdates: ${code} ${this.up.redact(ans.description)}; passed to the bot`);
    poll.raw(ans.status, ans.raw);
    return true;
  }

  private backoff(reason: string): void {
    const ms = Math.min(this.t.errorBackoffMaxMs, this.t.errorBackoffMs * 2 ** this.errorStreak);
    this.errorStreak++;
    this.retryAt = monotonicMs() + ms;
    const now = monotonicMs();
    if (now - this.lastErrorLogAt >= 10_000 || this.errorStreak === 1) {
      this.lastErrorLogAt = now;
      this.logger.warn(`the Bot API did not answer getUpdates (${reason}); retrying in ${ms} ms, the bot's poll is held meanwhile`);
    }
  }

  private logConflict(cause: ConflictCause, description: string): void {
    this.conflictsSinceLog++;
    const now = monotonicMs();
    if (now - this.lastConflictLogAt < this.t.conflictLogIntervalMs) return;
    this.lastConflictLogAt = now;
    const n = this.conflictsSinceLog;
    this.conflictsSinceLog = 0;
    const why =
      cause === 'webhook'
        ? 'a webhook is set for this bot (someone called setWebhook after botwarden deleted it): delete it, or stop the tool that sets it'
        : 'another process polls this token elsewhere (a second copy of the bot, a forgotten process, a deploy overlap, or a leaked token): stop it, run every copy under botwarden with a shared --lease, or revoke the token in @BotFather';
    this.logger.warn(`Telegram answered getUpdates with 409 Conflict (${n} since the last warning; never shown to the bot): ${why}`, {
      cause,
      description: this.up.redact(description),
    });
  }

  /** Resolve true as soon as `cond()` holds (checked every `leaderCheckMs`), false after `ms` or on abort. */
  private async waitUntil(cond: () => boolean, ms: number, signal: AbortSignal): Promise<boolean> {
    const end = monotonicMs() + ms;
    for (;;) {
      if (signal.aborted) return false;
      if (cond()) return true;
      const left = end - monotonicMs();
      if (left <= 0) return false;
      let wake!: () => void;
      const woken = new Promise<boolean>((r) => (wake = () => r(true)));
      this.wakers.add(wake);
      const slept = await Promise.race([sleepUnlessAborted(Math.min(left, this.t.leaderCheckMs), signal), woken]);
      this.wakers.delete(wake);
      if (!slept) return false;
    }
  }
}
