// Turns lease roles into actions: leader → gateway polls and the bot runs; standby → no polling, and no bot (cold) or
// the bot running with its getUpdates held by the gateway (hot). Every transition runs in one queue, so a lease lost
// during a start waits for that start to finish, then stops it.
//
// A graceful stop drains first (drain.ts): getUpdates stops; once the bot has confirmed every update it was handed
// (its next getUpdates carries the offset), that offset is confirmed upstream and the lease released, so a standby
// polls while this bot finishes its handlers; then the bot is signalled once quiet. A bot that never confirms within
// --stop-timeout is drained, stopped, confirmed and released in that order instead.
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/botwarden-metrics.js';
import type { Elector } from '../lease/elector.js';
import type { LeaseRecord } from '../lease/types.js';
import type { Gateway } from '../gateway/index.js';
import type { Supervisor } from '../process/supervisor.js';
import type { StopResult } from '../process/tree.js';
import type { Role } from '../health/status.js';
import type { StandbyMode } from '../config/index.js';
import { monotonicMs } from '../util/clock.js';
import { sleepUnlessAborted } from '../util/sleep.js';
import { reportDrain, waitQuiet } from './drain.js';
import { BotEngine, wireSupervisor } from './bot-engine.js';

/** What Leadership needs; `makeSupervisor` gives a fresh supervisor for each term as leader. */
export interface LeadershipDeps {
  elector: Elector;
  gateway: Gateway;
  makeSupervisor: () => Supervisor;
  logger: Logger;
  metrics: Metrics;
  /** A failure that must end botwarden (spawn failed, crash loop): the daemon stops with this error. */
  onFatal: (err: unknown) => void;
  /** Runs after the lease is won and before this instance acts as leader (e.g. stop a dead leader's orphaned bot). */
  beforeLeading?: () => Promise<void>;
  /** The bot ended and the restart policy says not to restart it (`--restart never`, `on-failure` after exit 0). */
  onBotEnded: (reason: string, exitCode: number | null) => void;
  /** Called after each role change and bot (re)start, e.g. to rewrite the state file. */
  onChange: () => void;
  /** `--standby`: hot runs the bot while standby too (its getUpdates held by the gateway). Default cold. */
  standby?: StandbyMode;
  /** Drain before a graceful stop: quiet period and bound (--drain-quiet, --stop-timeout), ms. quietMs 0 = no drain. */
  drain?: { quietMs: number; budgetMs: number };
}

/** Follows the elector and keeps the bot process and the gateway in step with the role. */
export class Leadership extends BotEngine {
  private queue: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;
  private readonly drainAbort = new AbortController();

  constructor(private readonly deps: LeadershipDeps) {
    super();
  }

  /** Start campaigning; resolves with the first role decided (leader or standby). */
  start(): Promise<Role> {
    const { elector } = this.deps;
    this.unsubscribe = elector.onChange((ev) => {
      if (ev.role === 'leader') void this.enqueue(() => this.lead(ev.record));
      else void this.enqueue(() => this.follow(ev.holder ?? null, ev.reason));
    });
    elector.setGuard({
      ...(this.deps.beforeLeading ? { beforeLeading: this.deps.beforeLeading } : {}),
      onLosing: (reason: string) => this.demote(reason),
    });
    elector.start();
    return this.firstRole;
  }

  /** A forced stop: end a drain under way at once. */
  abortDrain(): void {
    this.drainAbort.abort();
  }

  /**
   * Graceful end: no more polling; drain (see the header); stop the bot; confirm upstream what the bot acknowledged
   * (so the next leader gets no duplicate); release the lease so a standby takes over at once.
   */
  async shutdown(opts: { force?: boolean } = {}): Promise<void> {
    this.role = 'stopping';
    this.deps.onChange();
    this.unsubscribe?.();
    const drain = this.deps.drain;
    const draining = !opts.force && drain !== undefined && drain.quietMs > 0;
    const started = monotonicMs();
    let released = false;
    await this.enqueue(async () => {
      await this.deps.gateway.stopPolling();
      if (draining && this.supervisor && this.deps.elector.isLeader() && (await this.waitConfirmed(drain.budgetMs))) {
        await this.confirmUpstream('before handing over');
        released = true;
      }
    });
    if (released) {
      // Outside the queue: the elector's onLosing enqueues a (no-op) demotion.
      await this.deps.elector.stop();
      this.deps.metrics.leader.set(0);
      this.deps.logger.info(`lease released after ${Math.round(monotonicMs() - started)} ms; the bot finishes what it has in hand`);
    }
    await this.enqueue(async () => {
      if (draining && this.supervisor) {
        const elapsed = monotonicMs() - started;
        const budgetMs = Math.max(0, drain.budgetMs - elapsed);
        const sup = this.supervisor;
        const r = await waitQuiet(this.deps.gateway, { quietMs: drain.quietMs, budgetMs, maxAgeMs: drain.budgetMs + elapsed, signal: this.drainAbort.signal, until: () => sup.snapshot().pid === null });
        if (!this.drainAbort.signal.aborted) reportDrain(this.deps.logger, r, drain.budgetMs, 'stopping it');
      }
      const before = this.deps.gateway.activity();
      const t0 = monotonicMs();
      const result = await this.stopBot(opts.force ? 'forced stop' : 'botwarden is stopping', opts.force);
      if (result?.forced && !opts.force) {
        const after = this.deps.gateway.activity();
        this.deps.logger.warn(
          `the bot was killed (SIGKILL) at --stop-timeout while still busy: ${after.calls - before.calls} Bot API calls in its last ${Math.round(monotonicMs() - t0)} ms, ` +
            `${after.inFlight} in flight, the last ${Math.round(Math.min(after.idleMs, 1e9))} ms before the kill; a slow queue (e.g. PTB's) needs a longer --stop-timeout`,
        );
      }
      if (!released && this.deps.elector.isLeader()) await this.confirmUpstream('before handing over');
    });
    await this.deps.elector.stop();
    this.deps.metrics.leader.set(0);
  }

  /** Wait until the bot has confirmed every update it was handed (its getUpdates offset is past the highest), ≤ budgetMs. */
  private async waitConfirmed(budgetMs: number): Promise<boolean> {
    const end = monotonicMs() + budgetMs;
    for (;;) {
      const s = this.deps.gateway.snapshot();
      if (s.highestUpdateId === null || s.ackedOffset > s.highestUpdateId) return true;
      if (monotonicMs() >= end || this.drainAbort.signal.aborted || this.supervisor?.snapshot().pid === null) return false;
      await sleepUnlessAborted(10, this.drainAbort.signal);
    }
  }

  private async confirmUpstream(when: string): Promise<void> {
    try {
      const r = await this.deps.gateway.confirmOffset();
      if (r.sent) this.deps.logger.info(`confirmed offset ${r.offset} upstream ${when}`);
      else if (r.error) this.deps.logger.warn(`could not confirm offset ${r.offset} upstream (${r.error}): the next leader may see a few updates again`);
    } catch (err) {
      this.deps.logger.warn(`could not confirm the last offset upstream (the next leader may see a few updates again): ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const next = this.queue.then(fn).catch((err: unknown) => this.deps.onFatal(err));
    this.queue = next;
    return next;
  }

  private async lead(record: LeaseRecord | undefined): Promise<void> {
    if (this.role === 'stopping') return;
    const was = this.role;
    this.role = 'leader';
    this.deps.metrics.leader.set(1);
    this.resolveFirstRole('leader');
    this.deps.gateway.resumePolling();
    if (this.supervisor) {
      this.deps.logger.info(`leader${record ? ` (fence ${record.fence})` : ''}: taking over; the bot already runs (hot standby), its getUpdates go through now`);
      this.deps.onChange();
      return;
    }
    this.deps.logger.info(`leader${record ? ` (fence ${record.fence})` : ''}${was === 'standby' ? ': taking over' : ''}: starting the bot`);
    await this.startBot();
  }

  /** Start a supervisor for the bot (leader, or a hot standby). */
  private async startBot(): Promise<void> {
    const sup = wireSupervisor(this.deps.makeSupervisor(), this.deps);
    this.supervisor = sup;
    this.deps.onChange();
    await sup.start();
    this.deps.onChange();
  }

  private async follow(holder: LeaseRecord | null, reason: string): Promise<void> {
    if (this.role === 'stopping') return;
    if (this.role === 'leader') await this.demoteNow(reason);
    this.role = 'standby';
    this.deps.metrics.leader.set(0);
    this.resolveFirstRole('standby');
    const h = holder ?? this.deps.elector.holder();
    if (h) this.deps.logger.info(`standby: the lease is held by ${h.host} pid ${h.pid} since ${new Date(h.since).toISOString()} (fence ${h.fence}); waiting to take over`);
    else this.deps.logger.info('standby: waiting for the lease');
    this.deps.onChange();
    if (this.deps.standby === 'hot' && !this.supervisor) {
      this.deps.logger.info('hot standby: starting the bot now; the gateway holds its getUpdates until this instance leads');
      await this.startBot();
    }
  }

  /** Called by the elector's guard before an unrenewed lease could expire: stop polling and the bot now. */
  private demote(reason: string): Promise<void> {
    return this.enqueue(() => this.demoteNow(reason));
  }

  private async demoteNow(reason: string): Promise<void> {
    if (this.role !== 'leader') return;
    this.deps.logger.warn(`stepping down: ${reason}`);
    this.role = 'standby';
    this.deps.metrics.leader.set(0);
    await this.deps.gateway.stopPolling();
    // A hot standby's bot keeps running: the gateway holds its getUpdates again until this instance leads.
    if (this.deps.standby !== 'hot') await this.stopBot(`lost the lease: ${reason}`);
    this.deps.onChange();
  }

  private async stopBot(reason: string, force = false): Promise<StopResult | undefined> {
    const sup = this.supervisor;
    if (!sup) return undefined;
    const result = await sup.stop(reason, force ? { force: true } : undefined);
    this.restartsBefore += sup.snapshot().restarts;
    this.supervisor = undefined;
    this.deps.metrics.up.set(0);
    return result;
  }
}


