// A lease backend whose implementation (and its driver: ioredis, pg) is loaded only when first used, so that
// a file-lease `botwarden run` never pays for Redis and PostgreSQL clients in memory or start-up time.
import type { AcquireResult, HostBeat, LeaseBackend, LeaseClaim, LeaseRecord } from './types.js';

/** Wraps `load()`; `kind` and `description` are known before loading. */
export class LazyLeaseBackend implements LeaseBackend {
  private loading: Promise<LeaseBackend> | undefined;

  constructor(
    readonly kind: string,
    readonly description: string,
    private readonly load: () => Promise<LeaseBackend>,
  ) {}

  private backend(): Promise<LeaseBackend> {
    return (this.loading ??= this.load());
  }

  async open(signal?: AbortSignal): Promise<void> {
    return (await this.backend()).open(signal);
  }
  async tryAcquire(claim: LeaseClaim, ttlMs: number): Promise<AcquireResult> {
    return (await this.backend()).tryAcquire(claim, ttlMs);
  }
  async renew(record: LeaseRecord, ttlMs: number): Promise<boolean> {
    return (await this.backend()).renew(record, ttlMs);
  }
  async release(record: LeaseRecord): Promise<void> {
    return (await this.backend()).release(record);
  }
  async holder(botId: number): Promise<LeaseRecord | null> {
    return (await this.backend()).holder(botId);
  }
  async watchRelease(botId: number, onRelease: () => void): Promise<() => Promise<void> | void> {
    return (await this.backend()).watchRelease(botId, onRelease);
  }
  async heartbeatHost(fleet: string, host: HostBeat, ttlMs: number): Promise<HostBeat[]> {
    const b = await this.backend();
    if (!b.heartbeatHost) throw new Error(`the ${this.kind} lease has no host registry`);
    return b.heartbeatHost(fleet, host, ttlMs);
  }
  async leaveHost(fleet: string, hostId: string): Promise<void> {
    return (await this.backend()).leaveHost?.(fleet, hostId);
  }
  async close(): Promise<void> {
    if (this.loading) await (await this.loading).close();
  }
}
