// Finds this host's running `botwarden run` instances (state files whose process is alive) and talks to them.
import { readInstanceRecords, removeInstanceRecord, type InstanceRecord } from '../state/instance-file.js';
import { isSameProcess } from '../util/process-identity.js';
import type { StatusSnapshot } from '../health/status.js';

/** A live instance and, when reachable, its /status. */
export interface LiveInstance {
  record: InstanceRecord;
  status: StatusSnapshot | undefined;
  error?: string;
}

/** Live instances under `stateDir` (optionally one bot); records of dead processes are removed on the way. */
export async function liveInstances(stateDir: string, botId?: number): Promise<InstanceRecord[]> {
  const out: InstanceRecord[] = [];
  for (const rec of readInstanceRecords(stateDir, botId)) {
    if (await isSameProcess(rec.pid, rec.pidStart)) out.push(rec);
    else if (!(rec.child && (await isSameProcess(rec.child.pid, rec.child.start)))) removeInstanceRecord(stateDir, rec.botId, rec.instanceId);
  }
  return out;
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
