// One bot's line in `up`'s /status (★ name, role, bot, child, conflicts, lease.holder) and in `botwarden ls`.
import type { RunConfig } from '../config/index.js';
import type { Daemon } from './daemon.js';
import type { WorkersSnapshot } from '../workers/node.js';

/** One bot as `GET /status` lists it under `bots`. Never contains the token. */
export interface FleetEntry {
  name: string;
  /** `stopped`: not running on this host (stopped on request, ended, or failed: see `error`). */
  role: 'starting' | 'leader' | 'standby' | 'stopping' | 'stopped';
  /** `invalid`: the config entry cannot run (no token, bad key…): see `error`. */
  state: 'running' | 'stopped' | 'failed' | 'invalid';
  bot: { id: number | null; username: string | null };
  child: { pid: number | null; restarts: number; startedAt: number | null; memoryBytes: number | null; state: string };
  conflicts: number;
  lease: { backend: string | null; ttlMs: number | null; fence: number | null; holder: { host: string; pid: number; instanceId: string; fence: number; since: number } | null };
  updatesForwarded: number;
  /** Updates handed to the bot over the last minute (sampled every 10 s). */
  updatesPerMin: number;
  /** Where its output is written (`botwarden logs`). */
  logFile: string | null;
  /** Worker mode (`workers:` in its entry): the partitions this host owns, updates in hand, lag, the poller. */
  workers?: WorkersSnapshot;
  /** Why it stopped, when it failed. */
  error?: string;
  exitCode?: number;
}

/** The entry for a bot: from its daemon's status when it has one. */
export function fleetEntry(name: string, daemon: Daemon | undefined, config: RunConfig | undefined, state: FleetEntry['state']): FleetEntry {
  const failure = daemon?.failure();
  if (!daemon) {
    return {
      name,
      role: 'stopped',
      state,
      bot: { id: config?.botId ?? null, username: null },
      child: { pid: null, restarts: 0, startedAt: null, memoryBytes: null, state: 'stopped' },
      conflicts: 0,
      lease: { backend: null, ttlMs: config?.leaseTtlMs ?? null, fence: null, holder: null },
      updatesForwarded: 0,
      updatesPerMin: 0,
      logFile: config?.logFile ?? null,
    };
  }
  const s = daemon.status();
  const h = s.lease.holder;
  const stopped = state !== 'running';
  return {
    name,
    role: stopped ? 'stopped' : s.role,
    state,
    bot: { id: s.bot.id, username: s.bot.username ?? null },
    child: { pid: s.child.pid, restarts: s.child.restarts, startedAt: s.child.startedAt, memoryBytes: s.child.memoryBytes, state: s.child.state },
    conflicts: s.conflicts,
    lease: {
      backend: s.lease.backend,
      ttlMs: s.lease.ttlMs,
      fence: s.lease.fence,
      holder: h && !(stopped && h.pid === process.pid) ? { host: h.host, pid: h.pid, instanceId: h.instanceId, fence: h.fence, since: h.since } : null,
    },
    updatesForwarded: s.gateway.updatesForwarded,
    updatesPerMin: updatesPerMinute(daemon),
    logFile: config?.logFile ?? null,
    ...(s.workers ? { workers: s.workers } : {}),
    ...(failure ? { error: failure.message, exitCode: failure.exitCode } : {}),
  };
}

/** Updates over the last minute, from the status page's 10 s samples and the live counter. */
function updatesPerMinute(daemon: Daemon): number {
  const samples = daemon.history.list();
  const now = Date.now();
  const live = daemon.status().gateway.updatesForwarded;
  const base = [...samples].reverse().find((x) => now - x.at >= 60_000) ?? samples[0];
  if (!base || now - base.at <= 0) return 0;
  const delta = live >= base.updatesForwarded ? live - base.updatesForwarded : live;
  return Math.round((delta * 60_000 * 10) / Math.max(now - base.at, 10_000)) / 10;
}
