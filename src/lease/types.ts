// The lease contract: who may poll a bot. Backends (file, Redis, PostgreSQL) implement LeaseBackend;
// the Elector turns a backend into a role with a monotonic deadline; the gateway only sees LeaderView.

/** Who holds (or held) a bot's lease, as stored in the backend. Never contains the token. */
export interface LeaseRecord {
  /** The bot id (digits before `:` in the token): the lease key. */
  botId: number;
  /** The holder's instance id (`BOTWARDEN_INSTANCE`). */
  instanceId: string;
  /** Host name of the holder. */
  host: string;
  /** Process id of the holder's botwarden process. */
  pid: number;
  /** Fencing number: strictly larger for every new holder of this bot's lease. */
  fence: number;
  /** When this holder took the lease (epoch ms, holder's wall clock). */
  since: number;
  /** When the lease runs out unless renewed (epoch ms on the reader's wall clock: the backend's remaining time added to the reader's `Date.now()`). */
  expiresAt: number;
  /** Start time of the holder process (opaque, see process/identity.ts); file backend only, to detect pid reuse. */
  processStart?: string;
}

/** Who asks for a lease. */
export interface LeaseClaim {
  botId: number;
  instanceId: string;
  host: string;
  pid: number;
}

export type AcquireResult = { acquired: true; record: LeaseRecord } | { acquired: false; holder: LeaseRecord | null };

/** A lease store. Every call may reject with a BotwardenError (code LEASE_UNREACHABLE) when the backend cannot be reached. */
export interface LeaseBackend {
  /** `file`, `redis` or `postgres`. */
  readonly kind: string;
  /** Where it lives, for messages: never contains a password. */
  readonly description: string;
  /** Connect (and create what it needs, e.g. a table). */
  open(signal?: AbortSignal): Promise<void>;
  /** Take the lease if it is free or expired; otherwise say who holds it. */
  tryAcquire(claim: LeaseClaim, ttlMs: number): Promise<AcquireResult>;
  /** Extend our lease by `ttlMs`; resolves false when we no longer hold it (taken over, fence changed). */
  renew(record: LeaseRecord, ttlMs: number): Promise<boolean>;
  /** Give the lease up at once and notify waiting standbys. No-op when we do not hold it. */
  release(record: LeaseRecord): Promise<void>;
  /** The current holder, or null when free or expired. */
  holder(botId: number): Promise<LeaseRecord | null>;
  /** Call `onRelease` promptly when the holder of `botId` releases (pub/sub, NOTIFY, file watch). Returns an unsubscribe function. */
  watchRelease(botId: number, onRelease: () => void): Promise<() => Promise<void> | void>;
  /** Disconnect. Safe to call twice. */
  close(): Promise<void>;
  /**
   * Host registry (`botwarden up` on several hosts; Redis and PostgreSQL only): record this host as live in `fleet`
   * for `ttlMs` (judged on the backend's clock) with what it reports, and answer every live host of the fleet.
   */
  heartbeatHost?(fleet: string, host: HostBeat, ttlMs: number): Promise<HostBeat[]>;
  /** Leave the fleet's registry at once (graceful stop). */
  leaveHost?(fleet: string, hostId: string): Promise<void>;
}

/** A host of a fleet as the registry keeps it. */
export interface HostBeat {
  id: string;
  /** Bots this host leads. */
  leading: number;
  /** Ids of the bots this host campaigns for (runs a unit for); hosts are assigned only bots they campaign for. */
  bots: number[];
}

/** What the gateway needs to know about leadership, judged on the monotonic clock. */
export interface LeaderView {
  /** True while this instance holds the lease and may forward getUpdates. */
  isLeader(): boolean;
  /** Milliseconds this instance may still act as leader (0 when not leader). Used to cap upstream long polls. */
  msLeft(): number;
  /** The current fencing number, or undefined when not leader. */
  fence(): number | undefined;
}
