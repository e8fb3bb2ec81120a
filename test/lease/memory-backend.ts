// An in-memory LeaseBackend for the Elector's logic tests, with switches to fail, hang or steal the lease.
import { leaseUnreachable } from '../../src/lease/errors.js';
import type { AcquireResult, LeaseBackend, LeaseClaim, LeaseRecord } from '../../src/lease/types.js';

export class MemoryBackend implements LeaseBackend {
  readonly kind = 'memory';
  readonly description = 'memory:';
  /** Make every call reject with LEASE_UNREACHABLE. */
  failing = false;
  /** Make renew() never answer. */
  hangRenew = false;
  calls = { acquire: 0, renew: 0, release: 0 };
  private record: LeaseRecord | null = null;
  private fenceCounter = 0;
  private readonly watchers = new Set<() => void>();

  async open(): Promise<void> {}
  async tryAcquire(claim: LeaseClaim, ttlMs: number): Promise<AcquireResult> {
    this.calls.acquire++;
    this.check();
    const cur = this.current();
    if (cur && !(cur.instanceId === claim.instanceId && cur.pid === claim.pid)) return { acquired: false, holder: cur };
    const now = Date.now();
    this.record = { ...claim, fence: ++this.fenceCounter, since: now, expiresAt: now + ttlMs };
    return { acquired: true, record: { ...this.record } };
  }
  async renew(record: LeaseRecord, ttlMs: number): Promise<boolean> {
    this.calls.renew++;
    this.check();
    if (this.hangRenew) return new Promise<boolean>(() => undefined);
    const cur = this.current();
    if (!cur || cur.instanceId !== record.instanceId || cur.fence !== record.fence) return false;
    cur.expiresAt = Date.now() + ttlMs;
    return true;
  }
  async release(record: LeaseRecord): Promise<void> {
    this.calls.release++;
    this.check();
    const cur = this.current();
    if (cur && cur.instanceId === record.instanceId && cur.fence === record.fence) {
      this.record = null;
      for (const w of [...this.watchers]) w();
    }
  }
  async holder(): Promise<LeaseRecord | null> {
    this.check();
    return this.current();
  }
  async watchRelease(_botId: number, onRelease: () => void): Promise<() => void> {
    this.watchers.add(onRelease);
    return () => this.watchers.delete(onRelease);
  }
  async close(): Promise<void> {}

  /** Someone else takes the lease (as after an expiry we did not see). */
  steal(instanceId = 'thief'): void {
    const now = Date.now();
    this.record = { botId: this.record?.botId ?? 1, instanceId, host: 'elsewhere', pid: 1, fence: ++this.fenceCounter, since: now, expiresAt: now + 60_000 };
  }
  private current(): LeaseRecord | null {
    return this.record && this.record.expiresAt > Date.now() ? this.record : null;
  }
  private check(): void {
    if (this.failing) throw leaseUnreachable(this.description, 'switched off by the test');
  }
}
