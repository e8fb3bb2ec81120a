// Builds the `/status` snapshot (★ role, bot, child, conflicts) from the pieces' own snapshots.
import type { RunConfig } from '../config/index.js';
import type { Gateway } from '../gateway/index.js';
import type { Elector } from '../lease/elector.js';
import type { Supervisor } from '../process/supervisor.js';
import type { Role, StatusSnapshot, StepEvent } from '../health/status.js';
import type { User } from '../telegram/types.js';
import type { WorkersSnapshot } from '../workers/node.js';

/** A bot that stops polling for this long while it runs as leader is "not ready" (longer than any long poll). */
export const STALL_AFTER_MS = 90_000;

/** Inputs of the status snapshot: whatever exists at this point of the daemon's life. */
export interface StatusInputs {
  config: RunConfig;
  me: User | undefined;
  role: Role;
  startedAt: number;
  version: string;
  supervisor: Supervisor | undefined;
  restarts: number;
  gateway: Gateway | undefined;
  elector: Elector | undefined;
  backendDescription: string;
  steps: StepEvent[];
  /** Worker mode only. */
  workers?: WorkersSnapshot | undefined;
}

/** The JSON served at /status. Never contains the token. */
export function buildStatus(i: StatusInputs): StatusSnapshot {
  const sup = i.supervisor?.snapshot();
  const gw = i.gateway?.snapshot();
  const holder = i.elector?.holder() ?? null;
  return {
    role: i.role,
    bot: { id: i.config.botId, username: i.me?.username },
    instance: { id: i.config.instanceId, host: i.config.host, pid: process.pid, startedAt: i.startedAt, version: i.version },
    child: {
      pid: sup?.pid ?? null,
      restarts: i.restarts,
      state: sup?.state ?? (i.role === 'standby' ? 'standby' : 'not started'),
      startedAt: sup?.startedAt ?? null,
      lastExit: sup?.lastExit ? { code: sup.lastExit.code, signal: sup.lastExit.signal, reason: sup.lastExit.reason, at: sup.lastExit.at } : null,
      memoryBytes: sup?.memoryBytes ?? null,
    },
    conflicts: gw?.conflictsAbsorbed.total ?? 0,
    conflictsByCause: { ...(gw?.conflictsAbsorbed.byCause ?? {}) },
    lease: {
      backend: i.backendDescription,
      ttlMs: i.config.leaseTtlMs,
      fence: i.elector?.fence() ?? null,
      msLeft: i.elector?.msLeft() ?? 0,
      holder,
    },
    gateway: {
      root: i.gateway?.root ?? null,
      used: (gw?.requests ?? 0) > 0,
      polling: gw?.polling ?? false,
      updatesForwarded: gw?.updatesForwarded ?? 0,
      lastGetUpdatesAt: gw?.lastGetUpdatesAt ?? null,
      lateDiscarded: gw?.lateDiscarded ?? 0,
      dropPendingKept: { total: gw?.dropPendingKept.total ?? 0, byMethod: { ...(gw?.dropPendingKept.byMethod ?? {}) } },
    },
    api: { root: i.config.apiRoot, reachable: gw?.upstreamReachable ?? true },
    preflight: i.steps,
    stallAfterMs: STALL_AFTER_MS,
    ...(i.workers ? { workers: i.workers } : {}),
  };
}
