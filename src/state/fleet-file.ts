// This host's record of a running `botwarden up` (`<stateDir>/up.json`, 0600): `ls`, `logs`, `restart|stop|start`
// and `reload` find its control endpoint here. Never holds a token.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../util/atomic-write.js';

export interface FleetRecord {
  version: 1;
  pid: number;
  pidStart: string | null;
  startedAt: number;
  host: string;
  /** The shared health server, e.g. http://127.0.0.1:9100 (`/status` lists every bot). */
  healthUrl: string;
  /** Bearer secret for `POST /control/…` (the file is 0600). */
  controlSecret: string;
  configFile: string;
  /** Where each bot's output is written (`<logDir>/<name>.log`, unless the bot sets logFile). */
  logDir: string;
}

/** The record's path under a state dir. */
export function fleetRecordPath(stateDir: string): string {
  return path.join(stateDir, 'up.json');
}

/** Write (atomically, 0600) the record. */
export function writeFleetRecord(stateDir: string, rec: FleetRecord): void {
  writeFileAtomicSync(fleetRecordPath(stateDir), JSON.stringify(rec, null, 2) + '\n', { mode: 0o600, dirMode: 0o700 });
}

/** The record, or undefined when absent or unreadable. */
export function readFleetRecord(stateDir: string): FleetRecord | undefined {
  try {
    const rec = JSON.parse(readFileSync(fleetRecordPath(stateDir), 'utf8')) as FleetRecord;
    return rec.version === 1 && typeof rec.pid === 'number' ? rec : undefined;
  } catch {
    return undefined;
  }
}

/** Remove the record if it is this process's (a newer `up` may have replaced it). */
export function removeFleetRecord(stateDir: string, pid: number): void {
  if (readFleetRecord(stateDir)?.pid === pid) rmSync(fleetRecordPath(stateDir), { force: true });
}
