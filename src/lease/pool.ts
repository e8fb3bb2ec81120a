// One lease backend per URL for a process that runs many bots (`botwarden up`): every bot leasing through
// redis://… shares one Redis client (and one subscriber), every bot on postgres://… one pool and one LISTEN client.
// Backends already key everything by bot id, so sharing is only reference counting: the last close() closes it.
import type { Logger } from '../log.js';
import { createLeaseBackend } from './index.js';
import type { AcquireResult, HostBeat, LeaseBackend, LeaseClaim, LeaseRecord } from './types.js';

interface Shared {
  backend: LeaseBackend;
  users: number;
  opening: Promise<void> | undefined;
}

/** Hands out shared, reference-counted lease backends by URL (and state dir, for `file:`). */
export class LeaseBackendPool {
  private readonly shared = new Map<string, Shared>();

  constructor(private readonly opts: { logger?: Logger } = {}) {}

  /** A handle on the backend for `url`; open() connects once for all handles, close() lets go of this handle only. */
  get(url: string, stateDir: string): LeaseBackend {
    const key = `${stateDir}\u0000${url.trim() || 'file:'}`;
    let s = this.shared.get(key);
    if (!s) {
      s = { backend: createLeaseBackend(url, { stateDir, ...(this.opts.logger ? { logger: this.opts.logger } : {}) }), users: 0, opening: undefined };
      this.shared.set(key, s);
    }
    s.users += 1;
    return new PooledBackend(s, () => {
      s.users -= 1;
      if (s.users > 0) return Promise.resolve();
      this.shared.delete(key);
      return s.backend.close();
    });
  }

  /** The backends in use (e.g. for the host registry that balances bots over hosts). */
  backends(): LeaseBackend[] {
    return [...this.shared.values()].map((s) => s.backend);
  }

  /** Backends currently shared (for tests and /status). */
  size(): number {
    return this.shared.size;
  }
}

class PooledBackend implements LeaseBackend {
  private closed = false;
  readonly kind: string;
  readonly description: string;

  constructor(
    private readonly s: Shared,
    private readonly letGo: () => Promise<void>,
  ) {
    this.kind = s.backend.kind;
    this.description = s.backend.description;
  }

  open(signal?: AbortSignal): Promise<void> {
    const s = this.s;
    const opening = (s.opening ??= s.backend.open(signal));
    // A failed open is not cached: the next caller tries again (the daemon retries an unreachable backend).
    opening.catch(() => {
      if (s.opening === opening) s.opening = undefined;
    });
    return opening;
  }
  tryAcquire(claim: LeaseClaim, ttlMs: number): Promise<AcquireResult> {
    return this.s.backend.tryAcquire(claim, ttlMs);
  }
  renew(record: LeaseRecord, ttlMs: number): Promise<boolean> {
    return this.s.backend.renew(record, ttlMs);
  }
  release(record: LeaseRecord): Promise<void> {
    return this.s.backend.release(record);
  }
  holder(botId: number): Promise<LeaseRecord | null> {
    return this.s.backend.holder(botId);
  }
  watchRelease(botId: number, onRelease: () => void): Promise<() => Promise<void> | void> {
    return this.s.backend.watchRelease(botId, onRelease);
  }
  heartbeatHost(fleet: string, host: HostBeat, ttlMs: number): Promise<HostBeat[]> {
    const b = this.s.backend;
    return b.heartbeatHost ? b.heartbeatHost(fleet, host, ttlMs) : Promise.reject(new Error(`the ${b.kind} lease has no host registry`));
  }
  async leaveHost(fleet: string, hostId: string): Promise<void> {
    await this.s.backend.leaveHost?.(fleet, hostId);
  }
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return this.letGo();
  }
}
