// What both engines of one bot share — Leadership (one poller, the bot runs while leading) and WorkerLeadership (the
// bot runs everywhere, the lease picks the poller): the role, the first role decided, the current supervisor and how
// its events are answered.
import type { Logger } from '../log.js';
import type { Role } from '../health/status.js';
import type { Supervisor } from '../process/supervisor.js';

/** The bot crashed too often: botwarden stops (exit 5) and releases the lease for a healthier host. */
export class CrashLoopSignal extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = 'CrashLoopSignal';
  }
}

/** The hooks a supervisor's events go to. */
export interface SupervisorHooks {
  logger: Logger;
  /** A failure that must end botwarden (spawn failed, crash loop). */
  onFatal: (err: unknown) => void;
  /** The bot ended and the restart policy says not to restart it. */
  onBotEnded: (reason: string, exitCode: number | null) => void;
  /** After each role change and bot (re)start. */
  onChange: () => void;
}

/** The role, the current supervisor and the restart count of one bot's engine. */
export abstract class BotEngine {
  protected role: Role = 'starting';
  protected supervisor: Supervisor | undefined;
  /** Restarts of the supervisors of earlier terms. */
  protected restartsBefore = 0;
  protected readonly firstRole: Promise<Role>;
  protected resolveFirstRole!: (r: Role) => void;

  constructor() {
    this.firstRole = new Promise((r) => (this.resolveFirstRole = r));
  }

  currentRole(): Role {
    return this.role;
  }

  /** The bot process supervisor of the current term (undefined while there is none). */
  currentSupervisor(): Supervisor | undefined {
    return this.supervisor;
  }

  /** Restarts over all terms. */
  totalRestarts(): number {
    return this.restartsBefore + (this.supervisor?.snapshot().restarts ?? 0);
  }
}

/** Answer a supervisor's events the way both engines do; returns `sup`. */
export function wireSupervisor(sup: Supervisor, hooks: SupervisorHooks): Supervisor {
  sup.on('spawn', () => hooks.onChange());
  sup.on('exit', () => hooks.onChange());
  sup.on('crash-loop', (message: string) => hooks.onFatal(new CrashLoopSignal(message)));
  sup.on('fallback', (message: string) => hooks.logger.warn(`the bot keeps crashing (${message}); running the --fallback command instead`));
  sup.on('stopped', (reason: string) => hooks.onBotEnded(reason, sup.snapshot().lastExit?.code ?? null));
  return sup;
}
