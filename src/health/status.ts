// The shape of `GET /status` (★ fields: role, bot, child, conflicts) and readiness derived from it.
import type { LeaseRecord } from '../lease/types.js';
import type { WorkersSnapshot } from '../workers/node.js';

export type Role = 'starting' | 'leader' | 'standby' | 'stopping';

export type StepState = 'running' | 'ok' | 'warn' | 'fail' | 'skipped';

/** One preflight step as it stands (the `preflight` list of /status; the CLI's checklist shows the same events). */
export interface StepEvent {
  id: string;
  label: string;
  state: StepState;
  detail?: string;
  /** Epoch ms of the last change. */
  at: number;
  /** Set once the step finished. */
  durationMs?: number;
}

/** Everything this instance reports about itself. Never contains the token. */
export interface StatusSnapshot {
  role: Role;
  bot: { id: number; username: string | undefined };
  instance: { id: string; host: string; pid: number; startedAt: number; version: string };
  child: {
    pid: number | null;
    restarts: number;
    state: string;
    startedAt: number | null;
    lastExit: { code: number | null; signal: string | null; reason: string; at: number } | null;
    memoryBytes: number | null;
  };
  /** 409s absorbed by the gateway (never shown to the bot). */
  conflicts: number;
  conflictsByCause: Record<string, number>;
  lease: { backend: string; ttlMs: number; fence: number | null; msLeft: number; holder: LeaseRecord | null };
  gateway: {
    root: string | null;
    /** Whether the bot has called the gateway at all (a bot that ignores TELEGRAM_API_ROOT has no fencing). */
    used: boolean;
    polling: boolean;
    updatesForwarded: number;
    lastGetUpdatesAt: number | null;
    lateDiscarded: number;
    /** The bot's requests to drop pending updates that the gateway kept from Telegram (`--allow-drop-pending` lets them through). */
    dropPendingKept: { total: number; byMethod: Record<string, number> };
  };
  api: { root: string; reachable: boolean };
  preflight: StepEvent[];
  /** When a leader's bot counts as stalled: no getUpdates for this long. */
  stallAfterMs: number;
  /** Worker mode (`--workers`): partitions this instance owns (★ `partitions`, `inHand`), lag, members, the poller. */
  workers?: WorkersSnapshot;
}

/** `/readyz`: a leader whose bot runs, whose API answers, and whose bot still polls. */
export function readiness(s: StatusSnapshot, now = Date.now()): { ready: boolean; reasons: string[] } {
  const reasons: string[] = [];
  // In worker mode every instance's bot works (on its partitions): a standby is ready too.
  if (s.role !== 'leader' && !(s.workers && s.role === 'standby')) reasons.push(`role is ${s.role}, not leader`);
  if (s.child.pid === null) reasons.push(`bot process is not running (${s.child.state})`);
  if (!s.api.reachable) reasons.push('Bot API is unreachable');
  if ((s.role === 'leader' || s.workers) && s.child.pid !== null && s.gateway.used) {
    const last = s.gateway.lastGetUpdatesAt;
    const since = s.child.startedAt ?? now;
    const quietMs = now - Math.max(last ?? 0, since);
    if (quietMs > s.stallAfterMs) reasons.push(`bot has not polled for ${Math.round(quietMs / 1000)} s`);
  }
  return { ready: reasons.length === 0, reasons };
}
