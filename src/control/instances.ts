// Finds this host's `botwarden run` instances from their state files and talks to them. The one rule for which
// records are live, orphaned or stale (and removed) is here: `status`, `stop`, `doctor` and `run` all read through it.
import { readInstanceRecords, removeInstanceRecord, type InstanceRecord } from '../state/instance-file.js';
import { isSameProcess } from '../process/identity.js';
import type { StatusSnapshot } from '../health/status.js';

/** A live instance and, when reachable, its /status. */
export interface LiveInstance {
  record: InstanceRecord;
  status: StatusSnapshot | undefined;
  error?: string;
}

/**
 * This host's instance records, sorted by one rule (pid + start time, so a reused pid is not taken for the process):
 * - `live`: its botwarden runs;
 * - `orphaned`: its botwarden is gone (kill -9) but the bot it started still runs: kept until someone stops that bot
 *   (the next `botwarden run` for this bot does, see daemon/local-conflicts.ts);
 * - neither: stale, removed on the way (unless `removeStale: false`, for a caller that changes nothing).
 */
export interface HostInstances {
  live: InstanceRecord[];
  orphaned: InstanceRecord[];
}

/** Read and sort the records under `stateDir` (optionally of one bot); stale ones are removed. */
export async function readHostInstances(stateDir: string, botId?: number, opts: { removeStale?: boolean } = {}): Promise<HostInstances> {
  const out: HostInstances = { live: [], orphaned: [] };
  for (const rec of readInstanceRecords(stateDir, botId)) {
    if (await isSameProcess(rec.pid, rec.pidStart)) out.live.push(rec);
    else if (rec.child && (await isSameProcess(rec.child.pid, rec.child.start))) out.orphaned.push(rec);
    else if (opts.removeStale !== false) removeInstanceRecord(stateDir, rec.botId, rec.instanceId);
  }
  return out;
}

/** Live instances under `stateDir` (optionally one bot); stale records are removed on the way. */
export async function liveInstances(stateDir: string, botId?: number): Promise<InstanceRecord[]> {
  return (await readHostInstances(stateDir, botId)).live;
}

/** GET /status of an instance (2 s limit). */
export async function fetchStatus(rec: InstanceRecord): Promise<LiveInstance> {
  if (!rec.healthUrl) return { record: rec, status: undefined, error: 'its health server has not started yet' };
  try {
    const res = await fetch(`${rec.healthUrl}/status`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return { record: rec, status: undefined, error: `/status answered HTTP ${res.status}` };
    return { record: rec, status: (await res.json()) as StatusSnapshot };
  } catch (err) {
    return { record: rec, status: undefined, error: `/status unreachable (${err instanceof Error ? err.message : String(err)})` };
  }
}

/** Ask an instance to stop through its control endpoint; falls back to SIGTERM. Resolves how it was asked. */
export async function requestStop(rec: InstanceRecord): Promise<'control' | 'signal'> {
  if (rec.healthUrl) {
    try {
      const res = await fetch(`${rec.healthUrl}/control/stop`, {
        method: 'POST',
        headers: { authorization: `Bearer ${rec.controlSecret}` },
        signal: AbortSignal.timeout(2000),
      });
      if (res.status === 202) return 'control';
    } catch {
      // fall through to the signal
    }
  }
  process.kill(rec.pid, 'SIGTERM');
  return 'signal';
}

/** Wait until the instance's process is gone; false on timeout. */
export async function waitGone(rec: InstanceRecord, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!(await isSameProcess(rec.pid, rec.pidStart))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
