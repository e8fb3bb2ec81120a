// Lease backends the failover benchmark uses, and whether each is reachable on 127.0.0.1.
import net from 'node:net';

/** A lease backend: its --lease URL (undefined = the default file lease in the state dir) and what to probe. */
export interface LeaseBackendSpec {
  name: 'file' | 'redis' | 'postgres';
  lease?: string;
  probePort?: number;
  /** Instances of this backend on "different hosts" need their own state dirs; file leases share one. */
  sharedStateDir: boolean;
}

/** file (shared state dir), Redis 127.0.0.1:6379, PostgreSQL 127.0.0.1:5432 db test. */
export const LEASE_BACKENDS: LeaseBackendSpec[] = [
  { name: 'file', sharedStateDir: true },
  { name: 'redis', lease: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0', probePort: 6379, sharedStateDir: false },
  { name: 'postgres', lease: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test', probePort: 5432, sharedStateDir: false },
];

/** Resolves true when a TCP connection to 127.0.0.1:port opens within `timeoutMs`. */
export function tcpReachable(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}
