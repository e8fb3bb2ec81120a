// Shared bits of the lease tests: unique bot ids and table names, claims, backends against the real servers (Redis
// and PostgreSQL from test/helpers/services.ts: shared, private, or a reason to skip).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createLeaseBackend } from '../../src/lease/index.js';
import type { LeaseBackend, LeaseClaim, LeaseRecord } from '../../src/lease/types.js';
import { BotwardenError } from '../../src/errors.js';
import { uniqueSuffix } from '../helpers/random.js';
import { usePostgres, useRedis, type Service } from '../helpers/services.js';

let seq = 0;
/** A bot id no other test (or run) uses: pid, the time of day and a counter (not random: nothing depends on its value). */
export function uniqueBotId(): number {
  seq += 1;
  return 8_000_000_000 + ((process.pid % 10_000) * 100_000 + (Date.now() % 1000) * 100 + seq) % 999_999_999;
}

/** A unique PostgreSQL table name for this test file run. */
export function uniqueTable(tag: string): string {
  return `bw_test_${tag}_${uniqueSuffix()}`;
}

export function claimFor(botId: number, instanceId: string, pid = process.pid): LeaseClaim {
  return { botId, instanceId, host: hostname(), pid };
}

export async function tempStateDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'bw-lease-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export type Kind = 'file' | 'redis' | 'postgres';

/** The server behind a kind of lease (the file lease needs none). */
export function serviceFor(kind: Kind): Promise<Service> {
  if (kind === 'redis') return useRedis();
  if (kind === 'postgres') return usePostgres();
  return Promise.resolve({ url: 'file:', source: 'none', skip: false });
}

/** A backend factory for one kind, sharing a state dir (file) or table (postgres), and the cleanup of all of it. */
export async function backendKit(kind: Kind): Promise<{
  url: string;
  table?: string;
  stateDir: string;
  make: () => Promise<LeaseBackend>;
  cleanup: (botIds?: number[]) => Promise<void>;
}> {
  const { dir, cleanup: rmDir } = await tempStateDir();
  const table = kind === 'postgres' ? uniqueTable('k') : undefined;
  const { url } = await serviceFor(kind);
  const made: LeaseBackend[] = [];
  return {
    url,
    ...(table ? { table } : {}),
    stateDir: dir,
    async make() {
      const b = createLeaseBackend(url, { stateDir: dir, ...(table ? { table } : {}) });
      made.push(b);
      await b.open();
      return b;
    },
    async cleanup(botIds = []) {
      await Promise.all(made.map((b) => b.close()));
      if (kind === 'redis') await redisCleanup(botIds);
      if (table) await dropTable(table);
      await rmDir();
    },
  };
}

export async function redisCleanup(botIds: number[]): Promise<void> {
  if (botIds.length === 0) return;
  const r = new Redis((await useRedis()).url, { lazyConnect: true });
  await r.connect();
  try {
    await r.del(...botIds.flatMap((id) => [`botwarden:lease:${id}`, `botwarden:lease:${id}:fence`]));
  } finally {
    r.disconnect();
  }
}

export async function dropTable(table: string): Promise<void> {
  const c = new pg.Client({ connectionString: (await usePostgres()).url });
  await c.connect();
  try {
    await c.query(`DROP TABLE IF EXISTS ${table}`);
    await c.query(`DROP SEQUENCE IF EXISTS ${table}_fence_seq`);
  } finally {
    await c.end();
  }
}

/** Resolve once `pred()` is true (checked every `everyMs`), or reject after `timeoutMs`. */
export async function waitUntil(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 5): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await pred())) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Acquire for `claim` once `backend` has its connections back (its server killed them): until then each try may only
 * fail as LEASE_UNREACHABLE (anything else fails the test); rejects after `timeoutMs`.
 */
export async function acquireWhileReconnecting(backend: LeaseBackend, claim: LeaseClaim, timeoutMs: number, what: string): Promise<LeaseRecord> {
  let rec: LeaseRecord | undefined;
  await waitUntil(
    async () => {
      try {
        const r = await backend.tryAcquire(claim, 5000);
        if (r.acquired) rec = r.record;
        return r.acquired;
      } catch (err) {
        if (err instanceof BotwardenError && err.code === 'LEASE_UNREACHABLE') return false;
        throw err;
      }
    },
    timeoutMs,
    what,
    20,
  );
  return rec as LeaseRecord;
}
