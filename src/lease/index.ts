// Leases: who may poll a bot. `createLeaseBackend(--lease URL)` + `Elector`; everything public is exported here.
//
// Why this gives fast crash failover AND freeze safety
// -----------------------------------------------------
// Two different failures need two different mechanisms:
//  * A holder that CRASHES (kill -9, host loss) must be replaced quickly. Every backend keeps the lease as a record
//    with an expiry judged by ONE clock (the host's clock for file, Redis's own TTL, PostgreSQL's now()), so a
//    standby never trusts its own wall clock against another host's. Standbys retry every ttl/4 and, knowing how
//    long the holder's lease still runs (PTTL, expires_at − now()), also exactly when it runs out: failover after a
//    crash takes at most TTL + ~20 ms + one round trip. The file backend does better: the record names the holder's
//    pid AND process start time, so a standby that sees that process gone (or the pid reused by another process)
//    takes over at once, within the 250 ms watch poll, without waiting for the TTL. A graceful release deletes the
//    record and notifies (file watch, Redis PUBLISH, PostgreSQL NOTIFY), so a standby acquires within milliseconds.
//  * A holder that FREEZES (SIGSTOP, VM pause, long GC) keeps its sockets and pid alive, so "is it still there?"
//    checks cannot detect it. That is why nothing here relies on connection- or process-scoped locks (a PostgreSQL
//    advisory lock of a frozen session is held forever) and why every lease has a TTL the backend enforces without
//    the holder's help: the frozen holder's lease expires and a standby takes it with a larger fence. The frozen
//    holder itself is kept from acting by the Elector: its leadership is valid only until (time the acquire/renew
//    request was SENT, on the monotonic clock) + TTL − safety margin, which is always before the backend can expire
//    it. isLeader() re-checks that deadline on every call, so a process woken from SIGSTOP sees isLeader() === false
//    immediately, before any timer or renewal runs, then steps down (onLosing) and campaigns as a standby.
//  * Fences (file counter, Redis INCR key, PostgreSQL sequence) are never reset when a record is deleted, so they
//    only grow: whatever the gateway does under a fence can be told apart from an older leader's work.
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { usageError } from '../errors.js';
import { defaultStateDir } from '../config/paths.js';
import type { Logger } from '../log.js';
import { FileLeaseBackend } from './file.js';
import { LazyLeaseBackend } from './lazy.js';
import { safeUrl, stripPassword } from './url.js';
import type { LeaseBackend } from './types.js';

export type { AcquireResult, LeaseBackend, LeaseClaim, LeaseRecord, LeaderView } from './types.js';
export { Elector, type ElectorChange, type ElectorGuard, type ElectorOptions, type ElectorRole } from './elector.js';
export { FileLeaseBackend, type FileLeaseOptions } from './file.js';
export type { RedisLeaseOptions } from './redis.js';
export type { PostgresLeaseOptions } from './postgres.js';
export { isLeaseBackendError, leaseRefused, leaseUnreachable } from './errors.js';
export { safeUrl } from './url.js';

/** Options of createLeaseBackend. */
export interface CreateLeaseBackendOptions {
  /** This host's state dir; a `file:` lease lives in `<stateDir>/leases/`. Default: config/paths.ts defaultStateDir() (as `run` uses). */
  stateDir?: string;
  logger?: Logger;
  /** PostgreSQL table name (default `botwarden_leases`); lets tests run side by side. */
  table?: string;
}

const EXPECTED = '`file:` (this host), `file:/some/dir`, `redis://host:port[/db]` or `postgres://user@host:port/db`';

/** Build the backend a `--lease` URL names (undefined or empty = `file:`). Throws a usage error naming `--lease`. Does not connect: call open(). */
export function createLeaseBackend(url: string | undefined, opts: CreateLeaseBackendOptions = {}): LeaseBackend {
  const raw = (url ?? '').trim();
  const stateDir = opts.stateDir ?? defaultStateDir(process.env);
  const logger = opts.logger;
  if (raw === '' || raw === 'file' || raw === 'file:') return new FileLeaseBackend({ dir: stateDir, ...(logger ? { logger } : {}) });
  if (/^file:/i.test(raw)) {
    let dir: string;
    try {
      dir = /^file:\/\//i.test(raw) ? fileURLToPath(raw) : raw.slice('file:'.length);
    } catch {
      throw usageError('--lease', EXPECTED, raw);
    }
    if (dir === '') dir = stateDir;
    return new FileLeaseBackend({ dir: isAbsolute(dir) ? dir : resolve(dir), ...(logger ? { logger } : {}) });
  }
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw usageError('--lease', EXPECTED, stripPassword(raw));
  }
  const shown = stripPassword(raw);
  switch (parsed.protocol) {
    case 'redis:':
    case 'rediss:': {
      if (!parsed.hostname) throw usageError('--lease', `${EXPECTED} (a host name)`, shown);
      const db = parsed.pathname.replace(/^\//, '');
      if (db !== '' && !/^\d+$/.test(db)) throw usageError('--lease', 'a Redis database number after the port, e.g. redis://host:6379/0', safeUrl(parsed));
      return new LazyLeaseBackend('redis', safeUrl(parsed), async () => new (await import('./redis.js')).RedisLeaseBackend({ url: raw, ...(logger ? { logger } : {}) }));
    }
    case 'postgres:':
    case 'postgresql:': {
      if (!parsed.hostname && !parsed.searchParams.get('host')) throw usageError('--lease', `${EXPECTED} (a host name)`, safeUrl(parsed));
      const table = opts.table;
      // Checked here too (the backend is loaded lazily): a bad table name must fail before anything connects.
      if (table !== undefined && !/^[a-z_][a-z0-9_]{0,40}$/.test(table)) throw usageError('lease table', 'a lower-case SQL identifier (letters, digits, _; ≤ 41 chars)', table);
      return new LazyLeaseBackend('postgres', safeUrl(parsed), async () => new (await import('./postgres.js')).PostgresLeaseBackend({ url: raw, ...(logger ? { logger } : {}), ...(table ? { table } : {}) }));
    }
    default:
      throw usageError('--lease', EXPECTED, shown, `unknown lease backend "${parsed.protocol.replace(/:$/, '')}"`);
  }
}
