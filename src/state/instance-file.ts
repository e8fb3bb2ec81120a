// This host's record of each running `botwarden run`: who it is, where its health server listens, which bot process
// it started. `status`/`stop` find instances through it; a restarted botwarden finds its orphans through it.
import { randomBytes } from '../util/crypto-lite.js';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { writeFileAtomicSync } from '../util/atomic-write.js';
import path from 'node:path';

/** One instance's state file (`<stateDir>/instances/<botId>.<instanceId>.json`, mode 0600). Never holds the token. */
export interface InstanceRecord {
  version: 1;
  botId: number;
  username: string | undefined;
  instanceId: string;
  host: string;
  /** botwarden's own pid and its start time (PID-reuse safe identity). */
  pid: number;
  pidStart: string | null;
  startedAt: number;
  /** The health/status server, e.g. http://127.0.0.1:9100. */
  healthUrl: string | undefined;
  /** Secret for `POST /control/stop` (read by `botwarden stop`; the file is 0600). */
  controlSecret: string;
  /** The bot process botwarden started, if any (pid + start time), to stop it if botwarden dies. */
  child: { pid: number; start: string | null } | null;
  lease: string;
}

/** Directory of instance files under a state dir. */
export function instancesDir(stateDir: string): string {
  return path.join(stateDir, 'instances');
}

/** A fresh secret for the control endpoint. */
export function newControlSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** Write (atomically) one instance's record. */
export function writeInstanceRecord(stateDir: string, rec: InstanceRecord): string {
  const file = path.join(instancesDir(stateDir), fileName(rec.botId, rec.instanceId));
  writeFileAtomicSync(file, JSON.stringify(rec, null, 2) + '\n', { mode: 0o600, dirMode: 0o700 });
  return file;
}

/** Remove one instance's record (no error when absent). */
export function removeInstanceRecord(stateDir: string, botId: number, instanceId: string): void {
  rmSync(path.join(instancesDir(stateDir), fileName(botId, instanceId)), { force: true });
}

/** Every readable instance record under `stateDir` (optionally for one bot). Corrupt files are skipped. */
export function readInstanceRecords(stateDir: string, botId?: number): InstanceRecord[] {
  let names: string[];
  try {
    names = readdirSync(instancesDir(stateDir));
  } catch {
    return [];
  }
  const out: InstanceRecord[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    if (botId !== undefined && !name.startsWith(`${botId}.`)) continue;
    try {
      const rec = JSON.parse(readFileSync(path.join(instancesDir(stateDir), name), 'utf8')) as InstanceRecord;
      if (rec.version === 1 && typeof rec.pid === 'number') out.push(rec);
    } catch {
      // a half-written or foreign file: ignore it
    }
  }
  return out.sort((a, b) => a.startedAt - b.startedAt);
}

function fileName(botId: number, instanceId: string): string {
  return `${botId}.${instanceId.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`;
}
