// `botwarden up`: many bots in one process. Each bot is a Daemon — the same engine `botwarden run` is — given a
// DaemonHost: the lease backends (one per URL), the health server, the status page and stdout are shared; preflight,
// lease, gateway, supervisor, restart policy, memory limit and logs stay per bot. One bot's failure (token refused,
// crash loop, conflict) ends that bot's Daemon only; the others never wait on it.
import os from 'node:os';
import type http from 'node:http';
import { BotwardenError, ExitCode } from '../errors.js';
import type { Logger } from '../log.js';
import { botConfigChanged, releaseSchemas, type FleetConfig, type RunConfig } from '../config/index.js';
import { createProcessMetrics } from '../metrics/botwarden-metrics.js';
import { LeaseBackendPool } from '../lease/pool.js';
import type { OutputSink } from '../process/output.js';
import { startHealthServer, type HealthServer } from '../health/server.js';
import { renderOverview } from '../health/page/overview.js';
import { newControlSecret } from '../state/instance-file.js';
import { readFleetRecord, removeFleetRecord, writeFleetRecord } from '../state/fleet-file.js';
import { isSameProcess, processStartTime } from '../process/identity.js';
import { sharedProcessTable } from '../process/table.js';
import { restoreTierUp } from '../util/v8-tuning.js';
import { Daemon } from './daemon.js';
import { mergeBotExpositions } from './fleet-metrics.js';
import { fleetEntry, type FleetEntry } from './fleet-status.js';
import { Balancer } from './balance.js';

/** How the fleet talks to its caller (the CLI). */
export interface FleetIo {
  logger: Logger;
  /** One-line announcements meant for stdout (the health URL). */
  announce: (line: string) => void;
  /** Re-read the config file (`reload`). */
  reread: () => FleetConfig;
}

/** One bot of the fleet. */
interface Unit {
  name: string;
  config: RunConfig | undefined;
  /** Why the config entry cannot run (no token, bad key…): such a bot is never started. */
  invalid: string | undefined;
  daemon: Daemon | undefined;
  ended: Promise<void> | undefined;
  /** Stopped on request (`botwarden stop <name>`, reload, shutdown): not a failure. */
  stopRequested: boolean;
  logger: Logger;
}

/** What `GET /status` answers under `up`. */
export interface FleetStatus {
  bots: FleetEntry[];
  /** Entries of the config file that cannot run, each with its reason (also listed in `bots`, state `invalid`). */
  invalid: Array<{ name: string; reason: string }>;
  host: { name: string; pid: number; startedAt: number; configFile: string; fleet: string | undefined; hosts: number | null; fairShare: number | null; leading: number };
}

/** A running `botwarden up`. `run()` resolves with the exit code. */
export class Fleet {
  private readonly units = new Map<string, Unit>();
  private readonly leases: LeaseBackendPool;
  private readonly secret = newControlSecret();
  private readonly processMetrics = createProcessMetrics();
  private readonly startedAt = Date.now();
  /** The bots' local-conflicts step: one read of the process table serves the bots that start within 500 ms. */
  private readonly processTable = sharedProcessTable(500);
  private health: HealthServer | undefined;
  private balancer: Balancer | undefined;
  private stopping: { force: boolean } | undefined;
  private wakeStop!: () => void;
  private readonly stopWanted = new Promise<void>((r) => (this.wakeStop = r));
  private exitCode: number = ExitCode.ok;
  private reloading: Promise<unknown> = Promise.resolve();

  constructor(
    private config: FleetConfig,
    private readonly io: FleetIo,
  ) {
    this.leases = new LeaseBackendPool({ logger: io.logger.child('lease') });
  }

  /** Stop every bot gracefully (each lease released); `force` kills the bots at once. */
  stop(opts: { force?: boolean } = {}): void {
    const force = opts.force ?? false;
    if (this.stopping && !force) return;
    this.stopping = { force: force || (this.stopping?.force ?? false) };
    for (const u of this.units.values()) u.daemon?.stop({ force });
    this.wakeStop();
  }

  /** Run until stopped. Exit code: 0 after a stop; 2 when no bot of the file is valid; see README "Many bots". */
  async run(): Promise<number> {
    const log = this.io.logger;
    const { config } = this;
    releaseSchemas(); // the config is read: zod's memory goes back (see config/schema.ts)
    for (const b of config.bots) this.units.set(b.name, this.newUnit(b.name, b.config, b.error?.message));
    for (const u of this.units.values()) if (u.invalid) log.error(`not started: ${u.invalid}`);
    const valid = [...this.units.values()].filter((u) => u.config);
    if (valid.length === 0) {
      log.error(`no bot of ${config.configFile} can run (${this.units.size} listed, each named above with its reason)`);
      return 2;
    }
    const other = readFleetRecord(config.stateDir);
    if (other && other.pid !== process.pid && (await isSameProcess(other.pid, other.pidStart))) {
      log.error(`another botwarden up (pid ${other.pid}) already runs with the state dir ${config.stateDir}`);
      log.error('  → use "botwarden reload" to apply a changed config, or give this one its own --state-dir');
      return 2;
    }
    const pidStart = await processStartTime(process.pid);
    this.health = await startHealthServer({
      host: config.healthHost,
      port: config.healthPort,
      status: () => this.status(),
      ready: () => this.readiness(),
      metrics: () => this.metrics(),
      control: { secret: this.secret, onStop: () => this.stop(), command: (path, body) => this.command(path, body) },
      extra: (req, res) => this.route(req, res),
      logger: log.child('health'),
    });
    writeFleetRecord(config.stateDir, {
      version: 1,
      pid: process.pid,
      pidStart,
      startedAt: this.startedAt,
      host: os.hostname(),
      healthUrl: this.health.url,
      controlSecret: this.secret,
      configFile: config.configFile,
      logDir: `${config.stateDir}/logs`,
    });
    this.io.announce(`health: ${this.health.url} (status: ${this.health.url}/status, page: ${this.health.url}/)`);
    log.info(`up: starting ${valid.length} bot(s) from ${config.configFile}${this.units.size > valid.length ? ` (${this.units.size - valid.length} not valid, named above)` : ''}`);
    this.balancer = Balancer.create({ leases: this.leases, configs: () => this.runningConfigs(), units: () => this.leadingUnits(), fleet: config.fleet, logger: log.child('balance') });
    for (const u of valid) this.startUnit(u);
    // V8's optimizing compiler stays delayed until every bot is past start-up (see util/v8-tuning.ts).
    void Promise.all(valid.map((u) => u.daemon?.startedUp)).then(() => restoreTierUp());
    await this.stopWanted;
    await this.shutdown();
    return this.exitCode;
  }

  /** The `/status` answer. */
  status(): FleetStatus {
    const bots: FleetEntry[] = [];
    const invalid: FleetStatus['invalid'] = [];
    for (const u of this.units.values()) {
      if (u.invalid) {
        invalid.push({ name: u.name, reason: u.invalid });
        bots.push({ ...fleetEntry(u.name, undefined, undefined, 'invalid'), error: u.invalid });
      } else bots.push(fleetEntry(u.name, u.daemon, u.config, this.unitState(u)));
    }
    const b = this.balancer?.view();
    return {
      bots,
      invalid,
      host: {
        name: os.hostname(),
        pid: process.pid,
        startedAt: this.startedAt,
        configFile: this.config.configFile,
        fleet: this.balancer?.fleetName ?? this.config.fleet,
        hosts: b?.hosts ?? null,
        fairShare: b?.fairShare ?? null,
        leading: bots.filter((e) => e.role === 'leader').length,
      },
    };
  }

  private unitState(u: Unit): 'running' | 'stopped' | 'failed' {
    if (u.daemon && !u.daemon.failure() && u.ended) return 'running';
    return u.daemon?.failure() ? 'failed' : 'stopped';
  }

  private readiness(): { ready: boolean; reasons: string[] } {
    const reasons: string[] = [];
    for (const e of this.status().bots) {
      if (e.state === 'invalid') continue;
      if (e.state !== 'running') reasons.push(`${e.name}: ${e.state}${e.error ? ` (${e.error})` : ''}`);
      else if (e.role !== 'leader' && e.role !== 'standby') reasons.push(`${e.name}: ${e.role}`);
    }
    return { ready: reasons.length === 0, reasons };
  }

  private async metrics(): Promise<{ contentType: string; body: string }> {
    const parts: Array<{ bot: string; text: string }> = [];
    for (const u of this.units.values()) if (u.daemon) parts.push({ bot: u.name, text: await u.daemon.metrics.registry.metrics() });
    return { contentType: this.processMetrics.contentType, body: (await this.processMetrics.metrics()) + mergeBotExpositions(parts) };
  }

  /** The overview page at `/`, each bot's own page at `/bots/<name>/`, its full status at `/bots/<name>/status`. */
  private route(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/' || url.pathname === '/index.html') {
      const page = renderOverview(this.status());
      res.writeHead(200, page.headers);
      res.end(req.method === 'HEAD' ? undefined : page.body);
      return true;
    }
    if (url.pathname.startsWith('/_page/')) {
      // The bots' pages share their script and style: any bot's page serves them.
      const any = [...this.units.values()].map((x) => x.daemon?.pageHandler()).find((h) => h !== undefined);
      return any ? any(req, res) : false;
    }
    const m = /^\/bots\/([a-z0-9_-]+)(\/.*)?$/.exec(url.pathname);
    const u = m ? this.units.get(m[1]!) : undefined;
    if (!m || !u) return false;
    const rest = m[2] ?? '';
    if (rest === '') {
      res.writeHead(302, { location: `/bots/${u.name}/` });
      res.end();
      return true;
    }
    if (rest === '/status') {
      const body = JSON.stringify(u.daemon ? u.daemon.status() : { name: u.name, state: this.unitState(u) });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(body);
      return true;
    }
    const handle = u.daemon?.pageHandler();
    if (!handle) return false;
    req.url = rest + url.search;
    return handle(req, res);
  }

  /** `POST /control/bots/<name>/<restart|stop|start>` and `POST /control/reload` (bearer secret checked by the server). */
  private async command(path: string, _body: unknown): Promise<{ status: number; body: unknown }> {
    if (path === 'reload') {
      const done = this.reloading.then(() => this.reload());
      this.reloading = done.catch(() => undefined);
      try {
        return { status: 200, body: { ok: true, ...(await done) } };
      } catch (err) {
        return { status: 400, body: { ok: false, error: err instanceof Error ? err.message : String(err), hint: err instanceof BotwardenError ? err.hint : undefined } };
      }
    }
    const m = /^bots\/([^/]+)\/(restart|stop|start)$/.exec(path);
    if (!m) return { status: 404, body: { ok: false, error: `no such control command: ${path} (bots/<name>/restart|stop|start, reload)` } };
    const name = m[1]!;
    const u = this.units.get(name);
    if (!u) return { status: 404, body: { ok: false, error: `no bot named "${name}" (known: ${[...this.units.keys()].join(', ') || 'none'})` } };
    if (u.invalid) return { status: 409, body: { ok: false, error: `bot "${name}" cannot run: ${u.invalid}` } };
    if (this.stopping) return { status: 409, body: { ok: false, error: 'botwarden is stopping' } };
    switch (m[2]) {
      case 'stop':
        if (this.unitState(u) !== 'running') return { status: 200, body: { ok: true, name, note: 'already stopped' } };
        await this.stopUnit(u, 'stop requested');
        return { status: 200, body: { ok: true, name, state: 'stopped' } };
      case 'start':
        if (this.unitState(u) === 'running') return { status: 200, body: { ok: true, name, note: 'already running' } };
        this.startUnit(u);
        return { status: 200, body: { ok: true, name, state: 'running' } };
      default: {
        if (this.unitState(u) !== 'running') {
          this.startUnit(u);
          return { status: 200, body: { ok: true, name, note: 'it was not running: started' } };
        }
        const restarted = await u.daemon!.restartBot('restart requested (botwarden restart)');
        return { status: 200, body: { ok: true, name, ...(restarted ? { restarted: true } : { restarted: false, note: `no bot process on this host (${u.daemon!.role()}): nothing to restart` }) } };
      }
    }
  }

  /** Re-read the config file: start new bots, stop removed ones, restart changed ones, leave the others alone. */
  private async reload(): Promise<{ started: string[]; stopped: string[]; restarted: string[]; unchanged: string[]; invalid: Array<{ name: string; reason: string }> }> {
    const log = this.io.logger;
    let next: FleetConfig;
    try {
      next = this.io.reread();
    } finally {
      releaseSchemas();
    }
    const out = { started: [] as string[], stopped: [] as string[], restarted: [] as string[], unchanged: [] as string[], invalid: [] as Array<{ name: string; reason: string }> };
    const wanted = new Map(next.bots.map((b) => [b.name, b]));
    const work: Promise<void>[] = [];
    for (const u of [...this.units.values()]) {
      if (wanted.has(u.name)) continue;
      out.stopped.push(u.name);
      work.push(this.stopUnit(u, 'removed from the config file').then(() => void this.units.delete(u.name)));
    }
    for (const b of next.bots) {
      const u = this.units.get(b.name);
      if (b.error || !b.config) {
        out.invalid.push({ name: b.name, reason: b.error?.message ?? 'invalid' });
        log.error(`reload: bot "${b.name}" is not valid: ${b.error?.message ?? 'invalid'}`);
        // A running bot whose new entry is broken keeps running as it was.
        if (!u) this.units.set(b.name, this.newUnit(b.name, undefined, b.error?.message ?? 'invalid'));
        continue;
      }
      if (!u || u.invalid) {
        const fresh = this.newUnit(b.name, b.config, undefined);
        this.units.set(b.name, fresh);
        this.startUnit(fresh);
        out.started.push(b.name);
        continue;
      }
      if (u.config && !botConfigChanged(u.config, b.config) && u.config.token === b.config.token) {
        out.unchanged.push(b.name);
        continue;
      }
      out.restarted.push(b.name);
      // A bot stopped on request stays stopped (with its new config); a running or failed one starts again.
      const keepStopped = this.unitState(u) === 'stopped' && u.stopRequested;
      work.push(
        this.stopUnit(u, 'its config changed').then(() => {
          u.config = b.config;
          if (!keepStopped) this.startUnit(u);
        }),
      );
    }
    this.config = { ...next, stateDir: this.config.stateDir, healthPort: this.config.healthPort, healthHost: this.config.healthHost };
    await Promise.all(work);
    log.info(`reload: ${out.started.length} started, ${out.restarted.length} restarted, ${out.stopped.length} stopped, ${out.unchanged.length} unchanged${out.invalid.length ? `, ${out.invalid.length} not valid` : ''}`);
    return out;
  }

  private newUnit(name: string, config: RunConfig | undefined, invalid: string | undefined): Unit {
    return { name, config, invalid, daemon: undefined, ended: undefined, stopRequested: false, logger: this.io.logger.forBot(name) };
  }

  private startUnit(u: Unit): void {
    if (!u.config) return;
    u.stopRequested = false;
    const name = u.name;
    const botId = u.config.botId;
    const daemon = new Daemon(u.config, {
      logger: u.logger,
      announce: (line) => u.logger.info(line),
      host: {
        name,
        leases: this.leases,
        healthUrl: () => this.health?.url,
        controlSecret: this.secret,
        sink: prefixedSink(`${name} | `),
        onChange: () => this.balancer?.poke(),
        acquireDelay: (lastHolder) => this.balancer?.acquireDelay(botId, lastHolder) ?? 0,
        processTable: this.processTable,
      },
    });
    u.daemon = daemon;
    const ended = daemon.run().then(
      (code) => this.unitEnded(u, daemon, code),
      (err: unknown) => this.unitEnded(u, daemon, 70, err),
    );
    u.ended = ended;
  }

  private unitEnded(u: Unit, daemon: Daemon, code: number, err?: unknown): void {
    if (u.daemon !== daemon) return;
    u.ended = undefined;
    const f = daemon.failure();
    if (err !== undefined) u.logger.error(`internal error (please report it): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    if (!this.stopping && !u.stopRequested) {
      if (f) u.logger.error(`bot "${u.name}" stopped (exit code ${f.exitCode}): ${f.message}; the other bots keep running`);
      else u.logger.info(`bot "${u.name}" ended (exit code ${code}); the other bots keep running`);
    }
    this.balancer?.poke();
    // Every bot ended by itself (none was asked to stop): nothing is left to supervise.
    const units = [...this.units.values()].filter((x) => x.config && !x.invalid);
    if (!this.stopping && units.every((x) => !x.ended && !x.stopRequested)) {
      const codes = units.map((x) => x.daemon?.failure()?.exitCode ?? ExitCode.ok);
      this.exitCode = codes.find((c) => c !== ExitCode.ok) ?? ExitCode.ok;
      this.io.logger.error(`every bot has ended: botwarden up stops (exit code ${this.exitCode})`);
      this.stop();
    }
  }

  private async stopUnit(u: Unit, reason: string): Promise<void> {
    u.stopRequested = true;
    const ended = u.ended;
    if (!u.daemon || !ended) return;
    u.logger.info(`stopping: ${reason}`);
    u.daemon.stop();
    await ended;
  }

  private runningConfigs(): RunConfig[] {
    return [...this.units.values()].flatMap((u) => (u.config && !u.invalid ? [u.config] : []));
  }

  private leadingUnits(): Array<{ name: string; botId: number; leading: boolean; handOver: (reason: string) => Promise<boolean> }> {
    const out: Array<{ name: string; botId: number; leading: boolean; handOver: (reason: string) => Promise<boolean> }> = [];
    for (const u of this.units.values()) {
      const d = u.daemon;
      if (!u.config || !d || !u.ended) continue;
      out.push({ name: u.name, botId: u.config.botId, leading: d.isLeading(), handOver: (reason) => d.handOver(reason) });
    }
    return out;
  }

  private async shutdown(): Promise<void> {
    const log = this.io.logger;
    const force = this.stopping?.force ?? false;
    // Leave the host registry first: the other hosts stop counting this one and take its bots without holding back.
    await this.balancer?.stop().catch((err: unknown) => log.warn(`while stopping (balance): ${err instanceof Error ? err.message : String(err)}`));
    await Promise.all(
      [...this.units.values()].map(async (u) => {
        u.stopRequested = true;
        u.daemon?.stop({ force });
        await u.ended;
      }),
    );
    await this.health?.close().catch(() => undefined);
    removeFleetRecord(this.config.stateDir, process.pid);
    log.info('stopped: every bot stopped, every lease released');
  }
}

/** Bot output on botwarden's stdout, each line prefixed with the bot's name. */
function prefixedSink(prefix: string): OutputSink {
  return {
    write: (text: string) => process.stdout.write(text.replace(/^(?=.)/gm, prefix)),
    once: (event: 'drain', cb: () => void) => {
      process.stdout.once(event, cb);
    },
  };
}
