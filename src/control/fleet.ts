// Finds this host's running `botwarden up` (its record in the state dir) and talks to its control endpoint.
import { BotwardenError } from '../errors.js';
import { readFleetRecord, type FleetRecord } from '../state/fleet-file.js';
import { isSameProcess } from '../process/identity.js';

/** The live `up` of this state dir; throws exit 9 (not running) naming the dir otherwise. */
export async function liveFleet(stateDir: string): Promise<FleetRecord> {
  const rec = readFleetRecord(stateDir);
  if (!rec || !(await isSameProcess(rec.pid, rec.pidStart))) {
    throw new BotwardenError('NOT_RUNNING', `no running botwarden up in ${stateDir}`, {
      exit: 'notRunning',
      hint: 'start it with "botwarden up" (pass --state-dir if it uses another state directory)',
    });
  }
  return rec;
}

/** GET a JSON path of the running `up` (e.g. /status). */
export async function fleetGet<T>(rec: FleetRecord, path: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${rec.healthUrl}${path}`, { signal: AbortSignal.timeout(5000) });
  } catch (err) {
    throw new BotwardenError('CONTROL_UNREACHABLE', `botwarden up (pid ${rec.pid}) does not answer at ${rec.healthUrl}: ${err instanceof Error ? err.message : String(err)}`, {
      exit: 'failure',
      hint: 'it may be starting or stopping; try again',
    });
  }
  if (!res.ok) throw new BotwardenError('CONTROL_FAILED', `${path} answered HTTP ${res.status}`, { exit: 'failure' });
  return (await res.json()) as T;
}

/** POST a control command (`bots/<name>/restart`, `reload`…) with the record's secret; answers its JSON body. */
export async function fleetCommand(rec: FleetRecord, command: string, timeoutMs = 120_000): Promise<{ status: number; body: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(`${rec.healthUrl}/control/${command}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rec.controlSecret}`, 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new BotwardenError('CONTROL_UNREACHABLE', `botwarden up (pid ${rec.pid}) does not answer at ${rec.healthUrl}: ${err instanceof Error ? err.message : String(err)}`, {
      exit: 'failure',
      hint: 'it may be starting or stopping; try again',
    });
  }
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}
