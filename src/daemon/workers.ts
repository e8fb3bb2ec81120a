// Worker mode's counterpart of Leadership: the bot runs on every instance from the start (its updates come from the
// partitions this instance owns); the lease only decides which instance also polls Telegram into the partitions.
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/botwarden-metrics.js';
import type { Elector } from '../lease/elector.js';
import type { Supervisor } from '../process/supervisor.js';
import type { Role } from '../health/status.js';
import type { WorkerNode } from '../workers/node.js';
import { BotEngine, wireSupervisor } from './bot-engine.js';

/** What WorkerLeadership needs. */
export interface WorkerLeadershipDeps {
  elector: Elector;
  node: WorkerNode;
  makeSupervisor: () => Supervisor;
  logger: Logger;
  metrics: Metrics;
  onFatal: (err: unknown) => void;
  /** Runs once before the bot starts (e.g. stop a dead instance's orphaned bot on this host). */
  beforeStart?: () => Promise<void>;
  onBotEnded: (reason: string, exitCode: number | null) => void;
  onChange: () => void;
}

/** Bot always running; poller running while this instance holds the lease. */
export class WorkerLeadership extends BotEngine {
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: WorkerLeadershipDeps) {
    super();
  }

  /** Start the bot and campaign for the poller's lease; resolves with the first role (leader = poller). */
  async start(): Promise<Role> {
    const { elector, node, logger, metrics } = this.deps;
    this.unsubscribe = elector.onChange((ev) => {
      if (this.role === 'stopping') return;
      if (ev.role === 'leader') {
        this.role = 'leader';
        metrics.leader.set(1);
        node.poller.start();
      } else {
        this.role = 'standby';
        metrics.leader.set(0);
        void node.poller.stop();
        if (ev.holder) logger.info(`workers: ${ev.holder.host} pid ${ev.holder.pid} polls Telegram (fence ${ev.holder.fence}); this instance works on its partitions`);
      }
      this.resolveFirstRole(this.role);
      this.deps.onChange();
    });
    elector.setGuard({ onLosing: () => node.poller.stop() });
    await this.deps.beforeStart?.();
    const sup = (this.supervisor = wireSupervisor(this.deps.makeSupervisor(), this.deps));
    await sup.start();
    elector.start();
    return this.firstRole;
  }

  /**
   * Graceful end: no new updates for the bot, stop the bot (its last confirmation is still acknowledged), stop
   * polling and release the lease, then hand the partitions back and leave, so the others take over at once.
   */
  async shutdown(opts: { force?: boolean } = {}): Promise<void> {
    this.role = 'stopping';
    this.deps.onChange();
    this.unsubscribe?.();
    const { node, elector } = this.deps;
    node.stopFeeding();
    try {
      await this.supervisor?.stop(opts.force ? 'forced stop' : 'botwarden is stopping', opts.force ? { force: true } : undefined);
      this.deps.metrics.up.set(0);
    } finally {
      await elector.stop();
      this.deps.metrics.leader.set(0);
      await node.close();
    }
  }
}
