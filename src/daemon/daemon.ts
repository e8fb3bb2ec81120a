// The composition root of `botwarden run`: config → preflight → lease → gateway → health → bot, and the way back.
import { BotwardenError, ExitCode } from '../errors.js';
import type { LogEntry, Logger } from '../log.js';
import { releaseSchemas, type RunConfig } from '../config/index.js';
import { createMetrics, type Metrics } from '../metrics/botwarden-metrics.js';
import { BotApiClient } from '../telegram/client.js';
import type { User } from '../telegram/types.js';
import { createLeaseBackend } from '../lease/index.js';
import { isLeaseUnreachable } from '../lease/errors.js';
import { Elector } from '../lease/elector.js';
import type { LeaseBackend, LeaseRecord } from '../lease/types.js';
import { leaseCoversRaisedPoll } from '../gateway/poll-plan.js';
import { startGateway, type Gateway } from '../gateway/index.js';
import { Supervisor } from '../process/supervisor.js';
import type { OutputLine, OutputSink } from '../process/output.js';
import type { LeaseBackendPool } from '../lease/pool.js';
import { startHealthServer, type HealthServer } from '../health/server.js';
import { History } from '../health/history.js';
import { RecentLines } from '../health/recent-lines.js';
import { actionsSecretPath, newActionsSecret, removeActionsSecretFile, StatusPage, writeActionsSecretFile, type PageAction, type PageActions } from '../health/page/index.js';
import { newControlSecret, removeInstanceRecord, writeInstanceRecord } from '../state/instance-file.js';
import { processStartTime } from '../process/identity.js';
import type { ProcessEntry } from '../process/table.js';
import { monotonicMs } from '../util/clock.js';
import { VERSION } from '../version.js';
import { checkToken, clearWebhook, STARTUP_BACKOFF } from './api-checks.js';
import { backoffMs, withRetry } from '../telegram/retry.js';
import { resolveLocalConflicts, stopOrphans } from './local-conflicts.js';
import { restartDrainHooks } from './drain.js';
import { CrashLoopSignal } from './bot-engine.js';
import { Leadership } from './leadership.js';
import { buildStatus } from './status.js';
import type { Role, StepEvent } from '../health/status.js';
import { Steps } from './steps.js';
import { restoreTierUp } from '../util/v8-tuning.js';
import type { WorkerNode } from '../workers/node.js';
import { WorkerLeadership } from './workers.js';

/** How the daemon talks to its caller (the CLI). */
export interface DaemonIo {
  logger: Logger;
  /** Preflight step changes (the CLI shows them as a checklist). */
  onStep?: (ev: StepEvent) => void;
  /** One-line announcements meant for stdout (e.g. `health: http://127.0.0.1:PORT`). */
  announce: (line: string) => void;
  /** Lines of the bot's output (already timestamped and redacted), for a status page's recent-lines buffer. */
  onBotLine?: (line: string) => void;
  /** Set when this daemon is one bot of `botwarden up`: the process-wide pieces it shares instead of owning. */
  host?: DaemonHost;
}

/**
 * What `botwarden up` shares between its bots: one lease backend per URL, one health server (and status page),
 * the bots' output on one stdout. A daemon given a host starts no health server of its own; everything else
 * (preflight, lease, gateway, supervisor, restart policy, memory limit, logs) is the same code as `run`'s.
 */
export interface DaemonHost {
  /** The bot's name in the config file (prefixes its output lines). */
  name: string;
  leases: LeaseBackendPool;
  /** The shared health server's URL and control secret (written into this bot's instance record). */
  healthUrl: () => string | undefined;
  controlSecret: string;
  /** Where the bot's output lines go (the host prefixes them with the bot's name). */
  sink: OutputSink;
  /** The lease was won or lost, the bot started or ended: the host updates its page and its balance. */
  onChange?: () => void;
  /** A standby about to try for a lease (the last holder it saw): how long to hold back first (0: now); spreads bots over hosts. */
  acquireDelay?: (lastHolder: LeaseRecord | null) => number;
  /** The host's process table for the local-conflicts step, one read shared by the bots that start together. */
  processTable?: () => Promise<ProcessEntry[]>;
}

/** A running `botwarden run`. `run()` resolves with the exit code; `stop()` starts a graceful (or forced) stop. */
export class Daemon {
  readonly metrics: Metrics;
  readonly steps: Steps;
  private readonly ac = new AbortController();
  private readonly startedAt = Date.now();
  private readonly secret = newControlSecret();
  /** The status page's charts: memory of the bot tree and updates forwarded, 15 minutes. */
  readonly history = new History();
  /** The status page's log: the bot's output and botwarden's own log, last 100 lines, redacted. */
  readonly recentLines: RecentLines;
  private page: StatusPage | undefined;
  private actionsSecretFile: string | undefined;
  private me: User | undefined;
  private backend: LeaseBackend | undefined;
  private elector: Elector | undefined;
  private gateway: Gateway | undefined;
  private health: HealthServer | undefined;
  private leadership: Leadership | WorkerLeadership | undefined;
  /** Worker mode (`--workers`): this instance's store, partitions, feed and poller. */
  private workers: WorkerNode | undefined;
  private fatal: unknown;
  private failed: { message: string; exitCode: number } | undefined;
  private stopRequested: { force: boolean } | undefined;
  private wakeStop!: () => void;
  private readonly stopWanted = new Promise<void>((r) => (this.wakeStop = r));
  private pidStart: string | null = null;
  /** Set when the bot ended for good under --restart never/on-failure: botwarden exits 0 if the bot did, else 1. */
  private botExitCode: number | null | undefined;
  private markStarted!: () => void;
  /** Resolves once start-up is over: the first role (leader or standby) is reached, or the daemon ended. */
  readonly startedUp = new Promise<void>((r) => (this.markStarted = r));

  constructor(
    readonly config: RunConfig,
    private readonly io: DaemonIo,
  ) {
    // Under `up` the host serves the process metrics once; each bot's metrics get a `bot` label there.
    this.metrics = createMetrics({ defaultMetrics: io.host === undefined });
    this.steps = new Steps(io.onStep);
    this.recentLines = new RecentLines({ secrets: [config.token] });
  }

  /** Keep one of botwarden's own log lines for the status page (the CLI's logger calls this from its `onLine`). */
  recordLogLine(e: LogEntry): void {
    const fields = Object.entries(e.fields)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    const at = Date.parse(e.time);
    this.recentLines.push('botwarden', e.level, `${e.component ? `[${e.component}] ` : ''}${e.msg}${fields ? ` ${fields}` : ''}`, Number.isFinite(at) ? at : Date.now());
  }

  /** Ask the daemon to stop; a second call with `force` kills the bot at once. */
  stop(opts: { force?: boolean } = {}): void {
    const force = opts.force ?? false;
    if (this.stopRequested && !force) return;
    this.stopRequested = { force: force || (this.stopRequested?.force ?? false) };
    if (!this.ac.signal.aborted) this.ac.abort(new BotwardenError('STOPPING', 'botwarden is stopping'));
    this.wakeStop();
    if (force) {
      if (this.leadership instanceof Leadership) this.leadership.abortDrain();
      void this.leadership?.currentSupervisor()?.stop('forced stop', { force: true });
    }
  }

  /** Run until stopped or failed. Resolves with the exit code (errors are logged here, with their hint). */
  async run(): Promise<number> {
    const { config, io } = this;
    const log = io.logger;
    const deadline = monotonicMs() + config.startupTimeoutMs;
    const signal = this.ac.signal;
    if (!io.host) releaseSchemas(); // the config is read: zod's memory goes back (see config/schema.ts)
    try {
      this.pidStart = await processStartTime(process.pid);
      this.steps.start('token', 'token');
      this.steps.ok('token', `format ok (bot id ${config.botId})`);
      const client = new BotApiClient({ apiRoot: config.apiRoot, token: config.token, metrics: this.metrics });
      this.me = await checkToken(client, this.steps, { deadlineMs: deadline, signal, logger: log });
      if (this.me.id !== config.botId) log.warn(`getMe answered bot id ${this.me.id}, but the token says ${config.botId}`);
      await clearWebhook(client, this.steps, { deadlineMs: deadline, signal, logger: log });
      await resolveLocalConflicts({ token: config.token, stateDir: config.stateDir, botId: config.botId, takeover: config.takeover, stopTimeoutMs: config.stopTimeoutMs, steps: this.steps, logger: log.child('conflicts'), ...(io.host?.processTable ? { table: io.host.processTable } : {}) });

      await this.openLease(deadline, signal);
      const elector = (this.elector = new Elector({
        backend: this.backend!,
        claim: { botId: config.botId, instanceId: config.instanceId, host: config.host, pid: process.pid },
        ttlMs: config.leaseTtlMs,
        logger: log.child('lease'),
        ...(io.host?.acquireDelay ? { acquireDelay: io.host.acquireDelay } : {}),
      }));

      if (config.workers) await this.openWorkers(config.workers, elector);

      // The elector already stops TTL/5 before the lease could expire; a 1 s margin on top would starve short TTLs.
      const leaseMarginMs = Math.min(1000, Math.round(config.leaseTtlMs / 10));
      if (!leaseCoversRaisedPoll({ ttlMs: elector.ttlMs, safetyMarginMs: elector.safetyMarginMs, renewEveryMs: elector.renewEveryMs, leaseMarginMs })) {
        log.warn(
          `--lease-ttl ${config.leaseTtlMs} ms cannot cover the 3 s poll Telegram makes of a getUpdates that repeats its offset: while the bot ` +
            'has nothing new, Telegram is polled at most once per 3 s and a reply can wait up to ~3 s. 9000 ms or more keeps replies immediate; ' +
            'a shorter TTL only buys a faster takeover after a crash',
        );
      }
      this.steps.start('gateway', 'gateway');
      this.gateway = await startGateway({
        ...(this.workers ? { feed: this.workers } : {}),
        upstreamRoot: config.apiRoot,
        token: config.token,
        leader: elector,
        logger: log.child('gateway'),
        metrics: this.metrics,
        leaseMarginMs,
        allowDropPending: config.allowDropPending,
      });
      this.steps.ok('gateway', `${this.gateway.root} (TELEGRAM_API_ROOT)`);

      const page = (this.page = new StatusPage({
        status: () => this.status(),
        history: this.history,
        lines: this.recentLines,
        secrets: [config.token],
        ...(config.healthAllowActions ? { actions: this.pageActions() } : {}),
        logger: log.child('page'),
      }));
      if (!io.host) await this.startHealth(page);
      this.writeState();

      const onChange = (): void => {
        this.writeState();
        this.page?.notify();
        io.host?.onChange?.();
      };
      // A dead instance's bot still running on this host (its botwarden was killed -9) is stopped first.
      const clearOrphans = async (): Promise<void> => {
        await stopOrphans({ stateDir: config.stateDir, botId: config.botId, stopTimeoutMs: config.stopTimeoutMs, logger: log });
      };
      this.leadership = this.workers
        ? new WorkerLeadership({
            elector,
            node: this.workers,
            makeSupervisor: () => this.makeSupervisor(),
            logger: log,
            metrics: this.metrics,
            onFatal: (err) => this.onFatal(err),
            onBotEnded: (reason, code) => {
              log.info(`the bot ended (${reason}) and --restart ${config.restart} does not restart it: stopping botwarden`);
              this.botExitCode = code;
              this.stop();
            },
            onChange,
            beforeStart: clearOrphans,
          })
        : new Leadership({
        elector,
        gateway: this.gateway,
        makeSupervisor: () => this.makeSupervisor(),
        logger: log,
        metrics: this.metrics,
        onFatal: (err) => this.onFatal(err),
        standby: config.standby,
        drain: { quietMs: config.drainQuietMs, budgetMs: config.stopTimeoutMs },
        onBotEnded: (reason, code) => {
          log.info(`the bot ended (${reason}) and --restart ${config.restart} does not restart it: ${io.host ? 'its lease is released' : 'stopping botwarden'}`);
          this.botExitCode = code;
          this.stop();
        },
        onChange,
        beforeLeading: clearOrphans,
      });
      this.steps.start('lease', 'lease', `${this.backend!.description}, ttl ${config.leaseTtlMs} ms`);
      const first = await Promise.race([this.leadership.start(), this.stopWanted.then(() => 'stopping' as const)]);
      if (first === 'leader') this.steps.ok('lease', `leader (fence ${elector.fence() ?? '?'})`);
      else if (first === 'standby') {
        const h = elector.holder();
        this.steps.ok('lease', `standby: led by ${h ? `${h.host} pid ${h.pid} since ${new Date(h.since).toISOString()}` : 'another instance'}`);
      }
      if (!this.stopRequested) {
        if (first === 'leader' || this.workers) this.steps.ok('bot', `started: ${config.command.join(' ')}${this.workers ? ' (worker)' : ''}`);
        else if (config.standby === 'hot') this.steps.ok('bot', `started (hot standby; its getUpdates held until this instance leads): ${config.command.join(' ')}`);
        else this.steps.skip('bot', 'bot', 'waiting: starts when this instance becomes leader');
        // Start-up is over (see util/v8-tuning.ts); under `up` the host waits for every bot.
        if (!io.host) restoreTierUp();
        this.markStarted();
      }
      await this.stopWanted;
    } catch (err) {
      if (!(this.stopRequested && isAbort(err))) this.fatal ??= err;
    }
    return this.finish();
  }

  /** `run`'s own status page and health server (under `up`, the host serves one for every bot). */
  private async startHealth(page: StatusPage): Promise<void> {
    const { config, io } = this;
    const log = io.logger;
    this.health = await startHealthServer({
      host: config.healthHost,
      port: config.healthPort,
      status: () => this.status(),
      metrics: async () => ({ contentType: this.metrics.registry.contentType, body: await this.metrics.registry.metrics() }),
      control: { secret: this.secret, onStop: () => this.stop() },
      extra: page.handle,
      logger: log.child('health'),
    });
    io.announce(`health: ${this.health.url} (status: ${this.health.url}/status, page: ${this.health.url}/)`);
    if (config.healthAllowActions) {
      log.info(
        this.actionsSecretFile
          ? `status page actions are on (restart, step down): the secret is in ${this.actionsSecretFile} (send it as X-Botwarden-Secret)`
          : 'status page actions are on (restart, step down): the secret is BOTWARDEN_ACTIONS_SECRET (send it as X-Botwarden-Secret)',
      );
    }
  }

  /** The bot's status page (under `up`, the host serves it at `/bots/<name>/`). */
  pageHandler(): StatusPage['handle'] | undefined {
    return this.page?.handle;
  }

  /** Why this daemon stopped, when it failed (message and exit code); undefined while it runs or after a clean stop. */
  failure(): { message: string; exitCode: number } | undefined {
    return this.failed;
  }

  /** The role as of now (`starting`, `leader`, `standby`, `stopping`). */
  role(): Role {
    return this.currentRole();
  }

  /** True while this instance holds the bot's lease. */
  isLeading(): boolean {
    return this.elector?.isLeader() ?? false;
  }

  /** Restart the bot process gracefully (leader only); resolves false when no bot runs here. */
  async restartBot(reason: string): Promise<boolean> {
    const sup = this.leadership?.currentSupervisor();
    if (!sup || this.stopRequested) return false;
    await sup.restart(reason);
    return true;
  }

  /** Hand the lease to a standby elsewhere (graceful: polling stops, the bot stops, then the lease is released) and keep campaigning. */
  async handOver(reason: string): Promise<boolean> {
    const elector = this.elector;
    if (!elector?.isLeader() || this.stopRequested) return false;
    await elector.stepDown({ campaign: true, reason });
    return true;
  }

  /** The `/status` snapshot. */
  status(): ReturnType<typeof buildStatus> {
    return buildStatus({
      config: this.config,
      me: this.me,
      role: this.currentRole(),
      startedAt: this.startedAt,
      version: VERSION,
      supervisor: this.leadership?.currentSupervisor(),
      restarts: this.leadership?.totalRestarts() ?? 0,
      gateway: this.gateway,
      elector: this.elector,
      backendDescription: this.backend?.description ?? this.config.lease,
      steps: this.steps.list(),
      workers: this.workers?.snapshot(),
    });
  }

  /** The role as of now: a leader whose lease deadline passed (e.g. just woken from SIGSTOP) reports standby at once. */
  private currentRole(): Role {
    if (this.stopRequested) return 'stopping';
    const role = this.leadership?.currentRole() ?? 'starting';
    return role === 'leader' && this.elector && !this.elector.isLeader() ? 'standby' : role;
  }

  /** Worker mode: connect to the store, join the members, take this instance's partitions. */
  private async openWorkers(url: string, elector: Elector): Promise<void> {
    const { config } = this;
    this.steps.start('workers', 'workers');
    const { WorkerNode } = await import('../workers/node.js');
    const node = (this.workers = new WorkerNode({
      url,
      partitions: config.partitions,
      botId: config.botId,
      token: config.token,
      apiRoot: config.apiRoot,
      instance: config.instanceId,
      ttlMs: config.leaseTtlMs,
      leader: elector,
      logger: this.io.logger.child('workers'),
      metrics: this.metrics,
    }));
    try {
      await node.open();
    } catch (err) {
      this.steps.fail('workers', err instanceof Error ? err.message : String(err));
      throw err;
    }
    const owned = node.snapshot().partitions;
    this.steps.ok('workers', `${node.store.description}: ${config.partitions} partitions, ${owned.length} owned here`);
  }

  private async openLease(deadline: number, signal: AbortSignal): Promise<void> {
    const { config } = this;
    this.steps.start('lease-backend', 'lease backend');
    const host = this.io.host;
    const backend = (this.backend = host ? host.leases.get(config.lease, config.stateDir) : createLeaseBackend(config.lease, { stateDir: config.stateDir, logger: this.io.logger.child('lease') }));
    try {
      await withRetry(() => backend.open(signal), {
        deadlineMs: deadline,
        signal,
        delayMs: (err, attempt) => (isLeaseUnreachable(err) ? backoffMs(attempt, STARTUP_BACKOFF) : undefined),
        onRetry: (err, attempt, waitMs) => {
          this.steps.progress('lease-backend', `${backend.description} unreachable; retry ${attempt} in ${(waitMs / 1000).toFixed(1)} s`);
          this.io.logger.warn(`lease backend ${backend.description} unreachable (${(err as Error).message}); retrying`);
        },
      });
    } catch (err) {
      if (!signal.aborted) this.steps.fail('lease-backend', err instanceof Error ? err.message : String(err));
      throw err;
    }
    this.steps.ok('lease-backend', backend.description);
  }

  /** The status page's actions (`--health-allow-actions`): the secret comes from the env or a new 0600 file. */
  private pageActions(): PageActions {
    const { config } = this;
    let secret = config.actionsSecret;
    if (secret === undefined) {
      secret = newActionsSecret();
      this.actionsSecretFile = writeActionsSecretFile(actionsSecretPath(config.stateDir, config.botId, config.instanceId), secret);
    }
    const log = this.io.logger.child('page');
    return {
      secret,
      perform: (action: PageAction, requestedBy: string): string | null => {
        if (this.stopRequested) return 'botwarden is stopping';
        if (action === 'restart') {
          const sup = this.leadership?.currentSupervisor();
          if (!sup) return `no bot runs on this instance (${this.leadership?.currentRole() ?? 'starting'})`;
          log.info(`restart requested from the status page (${requestedBy})`);
          sup.restart('restart requested from the status page').catch((err: unknown) => log.warn(`restart from the status page failed: ${err instanceof Error ? err.message : String(err)}`));
          return null;
        }
        const elector = this.elector;
        if (!elector?.isLeader()) return 'this instance is not the leader: nothing to step down from';
        log.info(`step down requested from the status page (${requestedBy}): handing the lease to a standby`);
        elector.stepDown({ campaign: true, reason: 'step down requested from the status page' }).catch((err: unknown) => log.warn(`step down from the status page failed: ${err instanceof Error ? err.message : String(err)}`));
        return null;
      },
    };
  }

  private makeSupervisor(): Supervisor {
    const { config } = this;
    const env: NodeJS.ProcessEnv = {
      ...config.baseEnv,
      ...config.childEnv,
      BOT_TOKEN: config.token,
      TELEGRAM_API_ROOT: this.gateway!.root,
      BOTWARDEN_INSTANCE: config.instanceId,
      BOTWARDEN_STANDBY: config.standby,
    };
    const sup = new Supervisor({
      command: [...config.command],
      env,
      cwd: config.cwd,
      token: config.token,
      restart: config.restart,
      stopTimeoutMs: config.stopTimeoutMs,
      ...(config.maxMemoryBytes !== undefined ? { maxMemoryBytes: config.maxMemoryBytes } : {}),
      ...(config.fallback ? { fallbackCommand: [...config.fallback] } : {}),
      output: {
        sink: this.io.host?.sink ?? process.stdout,
        ...(config.logFile ? { logFile: config.logFile } : {}),
        onLine: (line: string, entry: OutputLine) => {
          const at = Date.parse(entry.time);
          this.recentLines.push('bot', entry.stream, entry.text, Number.isFinite(at) ? at : Date.now());
          this.io.onBotLine?.(line);
        },
      },
      logger: this.io.logger.child('bot'),
      metrics: this.metrics,
      restartHooks: restartDrainHooks(this.gateway!, this.io.logger.child('bot'), { quietMs: config.drainQuietMs, budgetMs: config.stopTimeoutMs }),
    });
    return sup;
  }

  private onFatal(err: unknown): void {
    this.fatal ??= err;
    this.stop();
  }

  private writeState(): void {
    const { config } = this;
    const snap = this.leadership?.currentSupervisor()?.snapshot();
    try {
      writeInstanceRecord(config.stateDir, {
        version: 1,
        botId: config.botId,
        username: this.me?.username,
        instanceId: config.instanceId,
        host: config.host,
        pid: process.pid,
        pidStart: this.pidStart,
        startedAt: this.startedAt,
        healthUrl: this.io.host ? this.io.host.healthUrl() : this.health?.url,
        controlSecret: this.io.host ? this.io.host.controlSecret : this.secret,
        child: snap?.pid ? { pid: snap.pid, start: snap.pidStart ?? null } : null,
        lease: config.lease,
      });
    } catch (err) {
      this.io.logger.warn(`could not write the state file in ${config.stateDir}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Tear down in reverse order, every step even when one fails; map the outcome to an exit code. */
  private async finish(): Promise<number> {
    this.markStarted();
    const log = this.io.logger;
    const steps: Array<[string, () => Promise<unknown> | unknown]> = [
      ['leadership', () => this.leadership?.shutdown({ force: this.stopRequested?.force ?? false })],
      ['elector', () => this.elector?.stop()],
      ['workers', () => this.workers?.close()],
      ['gateway', () => this.gateway?.close()],
      ['status page', () => this.page?.close()],
      ['health', () => this.health?.close()],
      ['lease backend', () => this.backend?.close()],
      ['state file', () => removeInstanceRecord(this.config.stateDir, this.config.botId, this.config.instanceId)],
      ['actions secret file', () => this.actionsSecretFile && removeActionsSecretFile(this.actionsSecretFile)],
    ];
    for (const [name, fn] of steps) {
      try {
        await fn();
      } catch (err) {
        log.warn(`while stopping (${name}): ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const err = this.fatal;
    if (err === undefined) {
      log.info('stopped: bot stopped, lease released');
      return this.botExitCode === undefined || this.botExitCode === 0 ? ExitCode.ok : ExitCode.failure;
    }
    this.failed = { message: err instanceof CrashLoopSignal ? `the bot crashed too often: ${err.detail}` : err instanceof Error ? err.message : String(err), exitCode: err instanceof CrashLoopSignal ? 5 : err instanceof BotwardenError ? err.exitCode : 70 };
    if (err instanceof CrashLoopSignal) {
      log.error(`the bot crashed too often: ${err.detail}`);
      log.error('  → read the bot output above, fix the cause, then start again (or give --fallback <command> to run a minimal bot meanwhile)');
      return ExitCode.crashLoop;
    }
    if (err instanceof BotwardenError) {
      log.error(err.message);
      if (err.hint) log.error(`  → ${err.hint}`);
      return err.exitCode;
    }
    log.error(`internal error (please report it): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return ExitCode.internal;
  }
}

function isAbort(err: unknown): boolean {
  return (err instanceof BotwardenError && err.code === 'STOPPING') || (err instanceof Error && err.name === 'AbortError');
}
