// Turns lease roles into actions: leader → gateway polls and the bot runs; standby → no polling, no bot.
// Every transition runs in one queue, so a lease lost during a start waits for that start to finish, then stops it.
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/botwarden-metrics.js';
import type { Elector } from '../lease/elector.js';
import type { LeaseRecord } from '../lease/types.js';
import type { Gateway } from '../gateway/index.js';
import type { Supervisor } from '../process/supervisor.js';
import type { Role } from '../health/status.js';

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
}

/** Follows the elector and keeps the bot process and the gateway in step with the role. */
export class Leadership {
  private role: Role = 'starting';
  private supervisor: Supervisor | undefined;
  private queue: Promise<void> = Promise.resolve();
  private restartsBefore = 0;
  private readonly firstRole: Promise<Role>;
  private resolveFirstRole!: (r: Role) => void;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: LeadershipDeps) {
    this.firstRole = new Promise((r) => (this.resolveFirstRole = r));
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

  currentRole(): Role {
    return this.role;
  }

  /** The bot process supervisor of the current term (undefined while standby). */
  currentSupervisor(): Supervisor | undefined {
    return this.supervisor;
  }

  /** Restarts over all terms. */
  totalRestarts(): number {
    return this.restartsBefore + (this.supervisor?.snapshot().restarts ?? 0);
  }

  /**
   * Graceful end: no more polling, stop the bot, confirm upstream what the bot acknowledged (so the next leader
   * gets no duplicate), then release the lease so a standby takes over at once.
   */
  async shutdown(opts: { force?: boolean } = {}): Promise<void> {
    this.role = 'stopping';
    this.deps.onChange();
    this.unsubscribe?.();
    await this.enqueue(async () => {
      await this.deps.gateway.stopPolling();
      await this.stopBot(opts.force ? 'forced stop' : 'botwarden is stopping', opts.force);
      if (this.deps.elector.isLeader()) {
        try {
          const r = await this.deps.gateway.confirmOffset();
          if (r.sent) this.deps.logger.info(`confirmed offset ${r.offset} upstream before handing over`);
        } catch (err) {
          this.deps.logger.warn(`could not confirm the last offset upstream (the next leader may see a few updates again): ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    });
    await this.deps.elector.stop();
    this.deps.metrics.leader.set(0);
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
    this.deps.logger.info(`leader${record ? ` (fence ${record.fence})` : ''}${was === 'standby' ? ': taking over' : ''}: starting the bot`);
    this.deps.gateway.resumePolling();
    const sup = this.deps.makeSupervisor();
    this.supervisor = sup;
    sup.on('spawn', () => this.deps.onChange());
    sup.on('exit', () => this.deps.onChange());
    sup.on('crash-loop', (message: string) => this.deps.onFatal(new CrashLoopSignal(message)));
    sup.on('fallback', (message: string) => this.deps.logger.warn(`the bot keeps crashing (${message}); running the --fallback command instead`));
    sup.on('stopped', (reason: string) => this.deps.onBotEnded(reason, sup.snapshot().lastExit?.code ?? null));
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
    await this.stopBot(`lost the lease: ${reason}`);
    this.deps.onChange();
  }

  private async stopBot(reason: string, force = false): Promise<void> {
    const sup = this.supervisor;
    if (!sup) return;
    await sup.stop(reason, force ? { force: true } : undefined);
    this.restartsBefore += sup.snapshot().restarts;
    this.supervisor = undefined;
    this.deps.metrics.up.set(0);
  }
}

/** The bot crashed too often: botwarden stops (exit 5) and releases the lease for a healthier host. */
export class CrashLoopSignal extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = 'CrashLoopSignal';
  }
}
