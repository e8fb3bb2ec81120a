// Keeps the bot process running: spawn, restart by policy, crash-loop fallback, memory limit, polite stop of the tree.
import { BotwardenError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { Metrics } from '../metrics/botwarden-metrics.js';
import { monotonicMs } from '../util/clock.js';
import { processStartTime } from './identity.js';
import { ChildOutput, type LogFileOptions, type OutputOptions } from './output.js';
import {
  EMPTY_RESTART_HISTORY,
  decideRestart,
  describeExit,
  resolveRestartPolicyConfig,
  type RestartHistory,
  type RestartPolicyConfig,
  type RestartPolicyName,
} from './restart-policy.js';
import { prepareChild, spawnChild, type ChildHandle, type ExitInfo, type PreparedChild, type SpawnOptions } from './spawn.js';
import { isProcessAlive, processGroupExists } from './liveness.js';
import { stopTree, treeRss, type StopResult } from './tree.js';

/** `starting` → `running` ⇄ `backoff`; ends in `stopped` or `crash-loop`; `fallback` runs the fallback command. */
export type SupervisorState = 'starting' | 'running' | 'backoff' | 'stopped' | 'crash-loop' | 'fallback';

/** How the bot is run and watched. Validated once in the constructor. */
export interface SupervisorOptions {
  /** The bot's argv (`botwarden run -- <command…>`); no shell unless it starts one. */
  command: readonly string[];
  /** The bot's complete environment (BOT_TOKEN, TELEGRAM_API_ROOT, BOTWARDEN_INSTANCE already in it). */
  env: NodeJS.ProcessEnv;
  /** Working directory. Default: botwarden's. */
  cwd?: string;
  /** The bot token: redacted from every output line. */
  token: string;
  /** `--restart`. */
  restart: RestartPolicyName;
  /** `--stop-timeout`: SIGTERM → SIGKILL delay for the process tree, ms. Default 10000. */
  stopTimeoutMs?: number;
  /** `--max-memory`: restart the bot when its process tree's resident memory exceeds this, bytes. Default: no limit. */
  maxMemoryBytes?: number;
  /** How often the tree's memory is measured (the `memory` event, `snapshot().memoryBytes`), ms. Default 2000; 0 = never. */
  memoryCheckMs?: number;
  /** Restart policy tuning (`restart-policy.ts` defaults: immediate first restart, backoff 100 ms doubling to 30 s, loop > 10 in 60 s). */
  policyConfig?: Partial<Omit<RestartPolicyConfig, 'crashLoop'>> & { crashLoop?: Partial<RestartPolicyConfig['crashLoop']> };
  /** Where the bot's output goes; `logFile` may be just a path (10M / 1d rotation, 5 kept). Default: botwarden's stdout. */
  output?: Omit<OutputOptions, 'logFile'> & { logFile?: string | LogFileOptions };
  /** botwarden's own log. Default: silent. */
  logger?: Logger;
  /** Run this instead when the bot crash-loops (e.g. a "down for maintenance" responder). Default: none (exit 5). */
  fallbackCommand?: readonly string[];
  /**
   * Run around a planned restart (`restart()`, `--max-memory`), not a crash: `beforeStop` before the old bot is
   * signalled (e.g. drain it), `afterStop` once it is gone, before the new one starts. Failures are logged, not fatal.
   */
  restartHooks?: { beforeStop(): Promise<void>; afterStop(): Promise<void> };
  /** Metrics to keep current (`up`, `restarts`, `botMemoryBytes`). */
  metrics?: Pick<Metrics, 'up' | 'restarts' | 'botMemoryBytes'>;
}

/** What /status and the state file show. */
export interface SupervisorSnapshot {
  state: SupervisorState;
  /** The running child's pid. */
  pid: number | null;
  /** The running child's start time as `processStartTime` reports it (pid-reuse-proof identity), once known. */
  pidStart: string | null;
  /** Restarts so far (crash restarts, memory restarts, `restart()` calls). */
  restarts: number;
  /** When the running child started, epoch ms. */
  startedAt: number | null;
  lastExit?: ExitInfo & { at: number };
  /** Resident memory of the child's tree at the last check, bytes. */
  memoryBytes: number | null;
}

/** Events; listeners must not throw (a throwing listener is logged and ignored). */
export interface SupervisorEvents {
  spawn: [pid: number];
  exit: [exit: ExitInfo];
  /** The bot crash-looped and no fallback can run: botwarden should exit 5. */
  'crash-loop': [message: string];
  /** The bot crash-looped and the fallback command was started instead. */
  fallback: [message: string];
  memory: [rssBytes: number];
  /** The policy decided not to restart (`never`, `on-failure` after exit 0). Not emitted by `stop()`. */
  stopped: [reason: string];
  state: [state: SupervisorState];
}

type Listener<E extends keyof SupervisorEvents> = (...args: SupervisorEvents[E]) => void;

interface Running {
  handle: ChildHandle & { pid: number };
  kind: 'main' | 'fallback';
  startedAtEpoch: number;
  pidStart: string | null;
  output: Promise<void>;
}

/** How long stop() waits for the bot's pipes to flush after the tree is gone, ms. */
const OUTPUT_FLUSH_MS = 1_000;
/** How long after a start the next one is prepared (see prepareSpare). */
const SPARE_DELAY_MS = 200;

/** Runs one bot command under a restart policy. One instance per leadership term; `stop()` ends it for good. */
export class Supervisor {
  private readonly command: readonly string[];
  private readonly fallbackCommand: readonly string[] | undefined;
  private readonly stopTimeoutMs: number;
  private readonly memoryCheckMs: number;
  private readonly policy: RestartPolicyConfig;
  private readonly logger: Logger;
  private readonly output: ChildOutput;
  private readonly listeners = new Map<keyof SupervisorEvents, Set<unknown>>();

  private state: SupervisorState = 'starting';
  private current: Running | null = null;
  private history: RestartHistory = EMPTY_RESTART_HISTORY;
  private restarts = 0;
  private lastExit: (ExitInfo & { at: number }) | undefined;
  private memoryBytes: number | null = null;
  private started = false;
  private stopRequested = false;
  private stopping: Promise<StopResult> | undefined;
  private readonly forceStop = new AbortController();
  private restartInFlight: Promise<void> | undefined;
  private restartingChild: Running | null = null;
  private backoffTimer: NodeJS.Timeout | undefined;
  private memoryTimer: NodeJS.Timeout | undefined;
  private spare: PreparedChild | undefined;
  private spareTimer: NodeJS.Timeout | undefined;
  private spawning: Promise<unknown> | undefined;
  private readonly background = new Set<Promise<unknown>>();
  /** Output pumps of children whose pipes are still open (a leftover process may hold them after the bot exits). */
  private readonly pumps = new Set<Running>();

  constructor(private readonly opts: SupervisorOptions) {
    if (opts.command.length === 0 || !opts.command[0]) throw new BotwardenError('USAGE', 'no bot command given', { exit: 'usage', hint: 'botwarden run [options] -- <command> [args…]' });
    if (!['always', 'on-failure', 'never'].includes(opts.restart)) throw new BotwardenError('USAGE', `--restart: expected always, on-failure or never, got ${JSON.stringify(opts.restart)}`, { exit: 'usage' });
    this.stopTimeoutMs = opts.stopTimeoutMs ?? 10_000;
    if (!Number.isFinite(this.stopTimeoutMs) || this.stopTimeoutMs < 0) throw new BotwardenError('USAGE', `--stop-timeout: expected a duration ≥ 0 ms, got ${String(opts.stopTimeoutMs)}`, { exit: 'usage' });
    if (opts.maxMemoryBytes !== undefined && !(opts.maxMemoryBytes > 0)) throw new BotwardenError('USAGE', `--max-memory: expected a size > 0, got ${String(opts.maxMemoryBytes)}`, { exit: 'usage' });
    this.memoryCheckMs = opts.memoryCheckMs ?? 2_000;
    this.command = [...opts.command];
    this.fallbackCommand = opts.fallbackCommand && opts.fallbackCommand.length > 0 ? [...opts.fallbackCommand] : undefined;
    this.policy = resolveRestartPolicyConfig(opts.policyConfig);
    this.logger = opts.logger ?? silentLogger;
    const { logFile, ...rest } = opts.output ?? {};
    this.output = new ChildOutput(
      {
        ...rest,
        ...(logFile === undefined ? {} : { logFile: typeof logFile === 'string' ? { path: logFile } : logFile }),
        onFileError: (err) => {
          this.logger.error(`the bot's log file failed and is no longer written: ${err.message}`);
          rest.onFileError?.(err);
        },
      },
      [opts.token],
    );
  }

  /** Listen to an event; returns a function that removes the listener. */
  on<E extends keyof SupervisorEvents>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => this.off(event, listener);
  }

  off<E extends keyof SupervisorEvents>(event: E, listener: Listener<E>): void {
    this.listeners.get(event)?.delete(listener);
  }

  /** Start the bot. Rejects (exit code `spawnFailed`) when the command cannot be started at all. Call once. */
  async start(): Promise<void> {
    if (this.started) throw new Error('Supervisor.start() called twice');
    this.started = true;
    const failed = await this.spawn('main');
    if (failed) {
      this.setState('stopped');
      await this.output.close();
      throw new BotwardenError('SPAWN_FAILED', `could not start the bot: ${failed.error ?? 'unknown error'}`, {
        exit: 'spawnFailed',
        hint: 'check the command after `--`: an executable on PATH or a path to one, e.g. `botwarden run -- python3 bot.py`',
      });
    }
    this.scheduleMemoryCheck();
  }

  /**
   * Stop the bot for good: SIGTERM to its tree, SIGKILL after `stopTimeoutMs` (at once with `force`, which also
   * cuts short a stop already under way). No restart afterwards. Safe to call twice (same result).
   */
  stop(reason: string, opts: { force?: boolean } = {}): Promise<StopResult> {
    if (opts.force) this.forceStop.abort();
    this.stopping ??= this.doStop(reason, opts.force ?? false);
    return this.stopping;
  }

  /** Restart the bot now (stop its tree politely, start it again); counts as a restart. No-op once stopping. */
  restart(reason: string): Promise<void> {
    this.restartInFlight ??= this.doRestart(reason).finally(() => {
      this.restartInFlight = undefined;
    });
    return this.restartInFlight;
  }

  /** Current state for /status and the state file. */
  snapshot(): SupervisorSnapshot {
    const cur = this.current;
    return {
      state: this.state,
      pid: cur?.handle.pid ?? null,
      pidStart: cur?.pidStart ?? null,
      restarts: this.restarts,
      startedAt: cur?.startedAtEpoch ?? null,
      ...(this.lastExit ? { lastExit: { ...this.lastExit } } : {}),
      memoryBytes: this.memoryBytes,
    };
  }

  // --- internals ---------------------------------------------------------------------------------------------

  /** Spawn the main or fallback command; returns the failure when the OS refused to start it. */
  private async spawn(kind: Running['kind']): Promise<ExitInfo | undefined> {
    const command = kind === 'fallback' && this.fallbackCommand ? this.fallbackCommand : this.command;
    const spare = kind === 'main' ? this.spare : undefined;
    if (spare) this.spare = undefined;
    let handle = spare?.start();
    if (!handle) {
      const spawning = spawnChild(this.spawnOptions(command));
      this.spawning = spawning;
      handle = await spawning;
      this.spawning = undefined;
    }
    if (handle.pid === null) return handle.exited;
    if (kind === 'main') this.prepareSpare();
    const running: Running = {
      handle: handle as ChildHandle & { pid: number },
      kind,
      startedAtEpoch: Date.now(),
      pidStart: null,
      output: this.output.attach({ pid: handle.pid, stdout: handle.stdout, stderr: handle.stderr }),
    };
    this.current = running;
    this.pumps.add(running);
    void running.output.finally(() => this.pumps.delete(running));
    this.opts.metrics?.up.set(1);
    this.setState(kind === 'fallback' ? 'fallback' : 'running');
    this.logger.info(`${kind === 'fallback' ? 'fallback command' : 'bot'} started (pid ${handle.pid})`);
    this.emit('spawn', handle.pid);
    void handle.exited.then((exit) => this.onExit(running, exit));
    void processStartTime(handle.pid).then(
      (start) => {
        running.pidStart = start;
      },
      () => undefined,
    );
    return undefined;
  }

  /**
   * Keep the next start of the bot ready (spawn.prepareChild): a crash's restart then skips forking botwarden. Made
   * shortly after a start, so it does not compete with the bot's own start-up; never on Windows.
   */
  private prepareSpare(): void {
    clearTimeout(this.spareTimer);
    this.spareTimer = setTimeout(() => {
      this.spareTimer = undefined;
      if (this.stopRequested || this.spare || this.state === 'crash-loop') return;
      this.spare = prepareChild(this.spawnOptions(this.command));
    }, SPARE_DELAY_MS);
    this.spareTimer.unref();
  }

  private spawnOptions(command: readonly string[]): SpawnOptions {
    return { command, env: this.opts.env, ...(this.opts.cwd === undefined ? {} : { cwd: this.opts.cwd }) };
  }

  private discardSpare(): void {
    clearTimeout(this.spareTimer);
    this.spareTimer = undefined;
    this.spare?.discard();
    this.spare = undefined;
  }

  private onExit(running: Running, exit: ExitInfo): void {
    if (this.current === running) {
      this.current = null;
      this.opts.metrics?.up.set(0);
    }
    const uptimeMs = monotonicMs() - running.handle.startedAt;
    this.lastExit = { ...exit, at: Date.now() };
    // Decide (and start the respawn) before anything else runs: listeners, logging and the group clean-up must not
    // stand between a crash and the next start.
    const decide = !(this.stopRequested || this.restartingChild === running);
    if (decide) this.afterExit(running.kind, exit, uptimeMs);
    if (running.handle.pgid !== null) this.reapGroup(running.handle.pgid);
    this.emit('exit', exit);
  }

  /** Apply the restart policy to an exit (or a failed respawn). */
  private afterExit(kind: Running['kind'], exit: ExitInfo, uptimeMs: number): void {
    const decision = decideRestart(
      { policy: this.opts.restart, exit, history: this.history, uptimeMs, nowMs: monotonicMs(), stopping: this.stopRequested },
      this.policy,
    );
    this.history = decision.history;
    const what = kind === 'fallback' ? 'fallback command' : 'bot';
    const ran = `after ${Math.round(uptimeMs)} ms`;
    switch (decision.action) {
      case 'stop':
        this.discardSpare();
        this.logger.info(`${what} ${describeExit(exit)} ${ran}; not restarting: ${decision.reason}`);
        this.stopMemoryCheck();
        this.setState('stopped');
        this.emit('stopped', decision.reason);
        return;
      case 'restart':
        this.restarts += 1;
        if (decision.delayMs === 0) this.track(this.respawn(kind));
        this.logger[exit.reason === 'exited' && exit.code === 0 ? 'info' : 'warn'](
          `${what} ${describeExit(exit)} ${ran}; restarting ${decision.delayMs === 0 ? 'now' : `in ${decision.delayMs} ms`}`,
        );
        this.opts.metrics?.restarts.inc();
        if (decision.delayMs > 0) {
          this.setState('backoff');
          this.backoffTimer = setTimeout(() => {
            this.backoffTimer = undefined;
            this.track(this.respawn(kind));
          }, decision.delayMs);
        }
        return;
      case 'crash-loop':
        this.discardSpare();
        if (kind === 'main' && this.fallbackCommand) {
          const message = `${decision.message}; starting the fallback command instead`;
          this.logger.error(message);
          this.history = EMPTY_RESTART_HISTORY;
          this.emit('fallback', message);
          this.track(this.respawn('fallback'));
          return;
        }
        this.logger.error(kind === 'fallback' ? `the fallback command crash-loops too: ${decision.message}` : decision.message);
        this.stopMemoryCheck();
        this.setState('crash-loop');
        this.emit('crash-loop', kind === 'fallback' ? `${decision.message} (the fallback command crash-loops too)` : decision.message);
        return;
    }
  }

  private async respawn(kind: Running['kind']): Promise<void> {
    if (this.stopRequested) return;
    const failed = await this.spawn(kind);
    if (failed && !this.stopRequested) {
      this.lastExit = { ...failed, at: Date.now() };
      this.emit('exit', failed);
      this.afterExit(kind, failed, 0);
    }
  }

  private async doRestart(reason: string): Promise<void> {
    if (this.stopRequested) return;
    if (this.state === 'backoff' && this.backoffTimer) {
      clearTimeout(this.backoffTimer);
      this.backoffTimer = undefined;
      this.logger.info(`restarting the bot now: ${reason}`);
      await this.respawn('main');
      return;
    }
    const running = this.current;
    if (!running) return;
    this.restartingChild = running;
    try {
      this.logger.warn(`restarting the bot (pid ${running.handle.pid}): ${reason}`);
      await this.hook('beforeStop');
      const r = await stopTree(running.handle.pid, { graceMs: this.stopTimeoutMs, forceSignal: this.forceStop.signal });
      await running.handle.exited;
      this.logger.info(`bot stopped in ${r.durationMs} ms${howStopped(r)}`);
      await this.hook('afterStop');
      if (this.stopRequested) return;
      this.restarts += 1;
      this.opts.metrics?.restarts.inc();
      await this.respawn(running.kind);
    } finally {
      this.restartingChild = null;
    }
  }

  private async hook(name: 'beforeStop' | 'afterStop'): Promise<void> {
    try {
      await this.opts.restartHooks?.[name]();
    } catch (err) {
      this.logger.warn(`restart ${name} hook failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async doStop(reason: string, force: boolean): Promise<StopResult> {
    this.stopRequested = true;
    this.discardSpare();
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimer = undefined;
    this.stopMemoryCheck();
    await this.spawning?.catch(() => undefined);
    const running = this.current;
    let result: StopResult = { forced: false, durationMs: 0, pids: [] };
    if (running) {
      this.logger.info(`stopping the bot (pid ${running.handle.pid}): ${reason}`);
      result = await stopTree(running.handle.pid, { graceMs: force ? 0 : this.stopTimeoutMs, forceSignal: this.forceStop.signal });
      await running.handle.exited;
      this.logger.info(`bot stopped in ${result.durationMs} ms${howStopped(result)}`);
    }
    await Promise.allSettled([...this.background]);
    const late = this.current;
    if (late && late !== running) {
      // Started by a task that was already past its stop check: it goes too.
      result = await stopTree(late.handle.pid, { graceMs: force ? 0 : this.stopTimeoutMs, forceSignal: this.forceStop.signal });
      await late.handle.exited;
    }
    await this.flushOutputs();
    await this.output.close();
    if (this.state !== 'crash-loop') this.setState('stopped');
    return result;
  }

  /** Let the last lines through, then close pipes still held open (by a process outside the tree) so botwarden can exit. */
  private async flushOutputs(): Promise<void> {
    if (this.pumps.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.pumps].map((p) => p.output)),
      new Promise((resolve) => (timer = setTimeout(resolve, OUTPUT_FLUSH_MS))),
    ]);
    clearTimeout(timer);
    for (const p of this.pumps) {
      p.handle.stdout?.destroy();
      p.handle.stderr?.destroy();
    }
    await Promise.allSettled([...this.pumps].map((p) => p.output));
  }

  /** The leader exited; stop what it left in its process group (politely, in the background). */
  private reapGroup(pgid: number): void {
    if (!processGroupExists(pgid)) return; // empty group: the usual case
    this.logger.warn(`the bot exited but left processes in its group ${pgid}; stopping them`);
    this.track(
      stopTree(pgid, { graceMs: this.stopTimeoutMs, leaderGone: true, forceSignal: this.forceStop.signal }).catch((err: unknown) => {
        this.logger.warn(`could not stop the processes left by the bot: ${err instanceof Error ? err.message : String(err)}`);
      }),
    );
  }

  private scheduleMemoryCheck(): void {
    if (this.memoryCheckMs <= 0 || this.stopRequested) return;
    this.memoryTimer = setTimeout(() => {
      this.memoryTimer = undefined;
      this.track(this.checkMemory().finally(() => this.scheduleMemoryCheck()));
    }, this.memoryCheckMs);
  }

  private stopMemoryCheck(): void {
    if (this.memoryTimer) clearTimeout(this.memoryTimer);
    this.memoryTimer = undefined;
  }

  private async checkMemory(): Promise<void> {
    const running = this.current;
    if (!running || this.stopRequested || this.restartInFlight || !isProcessAlive(running.handle.pid)) return;
    const rss = await treeRss(running.handle.pid).catch(() => null);
    if (rss === null || this.current !== running) return;
    this.memoryBytes = rss;
    this.opts.metrics?.botMemoryBytes.set(rss);
    this.emit('memory', rss);
    const max = this.opts.maxMemoryBytes;
    if (max !== undefined && rss > max && !this.stopRequested) {
      this.logger.warn(`the bot's process tree uses ${mb(rss)}, over --max-memory ${mb(max)}: restarting it`);
      this.track(this.restart(`memory ${mb(rss)} > --max-memory ${mb(max)}`));
    }
  }

  private setState(state: SupervisorState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }

  private emit<E extends keyof SupervisorEvents>(event: E, ...args: SupervisorEvents[E]): void {
    for (const l of [...(this.listeners.get(event) ?? [])]) {
      try {
        (l as Listener<E>)(...args);
      } catch (err) {
        this.logger.error(`a '${event}' listener threw: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /** Keep a background task so stop() can wait for it; its failure is logged, never unhandled. */
  private track(p: Promise<unknown>): void {
    const t = p.catch((err: unknown) => this.logger.error(`supervisor task failed: ${err instanceof Error ? err.message : String(err)}`));
    this.background.add(t);
    void t.finally(() => this.background.delete(t));
  }
}

function mb(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}

/** How a stop ended, for the log line: nothing when the bot exited by itself. */
function howStopped(r: StopResult): string {
  if (r.noGracefulStop) return ' (terminated: Windows cannot ask a console program to stop)';
  return r.forced ? ' (SIGKILL after --stop-timeout)' : '';
}
