// Lease backends the benchmarks use. Redis and PostgreSQL come from test/helpers/services.ts: the server on 127.0.0.1
// (BENCH_REDIS_URL, BENCH_POSTGRES_URL) when it answers, else a private one on a free port, else why there is none.
import { SHARED_PG_URL, SHARED_REDIS_URL, usePostgres, useRedis, type Service } from '../../test/helpers/services.js';

/** Redis for the benchmarks (one per bench process). */
export const benchRedis = (): Promise<Service> => useRedis(process.env.BENCH_REDIS_URL ?? SHARED_REDIS_URL);
/** PostgreSQL for the benchmarks (one per bench process). */
export const benchPostgres = (): Promise<Service> => usePostgres(process.env.BENCH_POSTGRES_URL ?? SHARED_PG_URL);

/** A lease backend: the server behind its --lease URL (none: the default file lease in the state dir). */
export interface LeaseBackendSpec {
  name: 'file' | 'redis' | 'postgres';
  service?: () => Promise<Service>;
  /** Instances of this backend on "different hosts" need their own state dirs; file leases share one. */
  sharedStateDir: boolean;
}

/** file (shared state dir), Redis, PostgreSQL. */
export const LEASE_BACKENDS: LeaseBackendSpec[] = [
  { name: 'file', sharedStateDir: true },
  { name: 'redis', service: benchRedis, sharedStateDir: false },
  { name: 'postgres', service: benchPostgres, sharedStateDir: false },
];
