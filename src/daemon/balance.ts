// Spreads the bots of `botwarden up` over the hosts that run the same config with a Redis or PostgreSQL lease.
//
// Each host registers in the lease backend (a heartbeat every ttl/3, expiring after the TTL on the backend's clock)
// and reads the live hosts of its fleet with the bots each runs a unit for. Every host computes the same assignment
// from that list: the i-th bot (in id order) to host i mod n among the n hosts (in id order) that run it, so with the
// same bots everywhere no host is assigned more than ⌈bots/hosts⌉, a bot is never assigned to a host that stopped it
// or cannot run it, and such a bot moves alone. The lease still decides
// who runs a bot; the assignment only steers it:
//  * a standby for a bot assigned to ANOTHER live host holds back a grace (≤ 500 ms) before each acquire attempt,
//    so the assigned host wins a free lease; a bot whose lease ran out in its assigned host's hands is taken at once
//    (that host is dead or frozen), one whose assigned host is gone otherwise after the grace;
//  * a leader of a bot assigned to another host hands it over gracefully (polling stops, the bot stops, the lease is
//    released, the assigned host acquires at once) — one bot at a time, only to a host seen live in two heartbeats
//    in a row (no flapping on a blip), never to a host a lease of which ran out within the last TTL + heartbeat (dead
//    or frozen, though still listed), and never the same bot again within a cool-down if the hand-over did not stick.
import os from 'node:os';
import type { Logger } from '../log.js';
import type { RunConfig } from '../config/index.js';
import type { LeaseBackendPool } from '../lease/pool.js';
import type { HostBeat, LeaseBackend, LeaseRecord } from '../lease/types.js';
import { randomBytes } from '../util/crypto-lite.js';
import { sleep } from '../util/sleep.js';

/** One bot as the balancer sees it. */
export interface BalancedUnit {
  name: string;
  botId: number;
  leading: boolean;
  /** Graceful hand-over; false when it does not lead (any more). */
  handOver: (reason: string) => Promise<boolean>;
}

export interface BalancerOptions {
  leases: LeaseBackendPool;
  /** Every valid bot's config (the balanced ones are those on the first Redis/PostgreSQL lease URL). */
  configs: () => RunConfig[];
  units: () => BalancedUnit[];
  /** Registry name; default derived from the bot ids (hosts with the same bots share it). */
  fleet: string | undefined;
  logger: Logger;
}

/** What /status shows of the balance. */
export interface BalanceView {
  hosts: number;
  fairShare: number;
}

/** A hand-over that did not stick (the assigned host did not take the bot) is not retried for this long. */
const RETRY_AFTER_MS = 30_000;

export class Balancer {
  readonly fleetName: string;
  private readonly hostId = `${hostIdPrefix(os.hostname(), process.pid)}-${randomBytes(3).toString('hex')}`;
  private readonly backend: LeaseBackend;
  private readonly ttlMs: number;
  private readonly beatEveryMs: number;
  private readonly graceMs: number;
  private readonly ac = new AbortController();
  private hosts: string[] | undefined;
  /** Bot id → the host it is assigned to (computed from the last heartbeat's answer). */
  private assignment = new Map<number, string>();
  /** Host id → consecutive heartbeats it was seen in. */
  private seen = new Map<string, number>();
  private readonly cooldown = new Map<number, number>();
  /** Host id → until when nothing is handed over to it (a lease of its ran out: it is dead or frozen). */
  private readonly suspect = new Map<string, number>();
  private loop: Promise<void> | undefined;
  private wakeTick: (() => void) | undefined;
  private failing = false;

  private constructor(
    private readonly opts: BalancerOptions,
    private readonly url: string,
    stateDir: string,
  ) {
    this.backend = opts.leases.get(url, stateDir);
    const ttls = opts.configs().filter((c) => c.lease === url).map((c) => c.leaseTtlMs);
    this.ttlMs = Math.min(...ttls);
    this.beatEveryMs = Math.max(100, Math.round(this.ttlMs / 3));
    this.graceMs = Math.min(500, Math.max(50, Math.round(this.ttlMs / 6)));
    this.fleetName = opts.fleet ?? `bots-${fnv1a(this.botIds().join(','))}`;
  }

  /** A balancer when some bot leases through Redis or PostgreSQL (a file lease is this host's alone: nothing to spread). */
  static create(opts: BalancerOptions): Balancer | undefined {
    const c = opts.configs().find((x) => /^(redis|rediss|postgres|postgresql):/i.test(x.lease));
    if (!c) return undefined;
    const b = new Balancer(opts, c.lease, c.stateDir);
    b.loop = b.run();
    return b;
  }

  /**
   * How long a standby for `botId` holds back before trying to acquire: 0 when this host is the assigned one, or when
   * the lease ran out in the hands of the assigned host itself (it is dead or frozen: nobody to wait for).
   */
  acquireDelay(botId: number, lastHolder: LeaseRecord | null = null): number {
    const hosts = this.hosts;
    if (!hosts || hosts.length < 2) return 0;
    const now = Date.now();
    // A lease that ran out in another host's hands: that host is dead or frozen; nothing is handed over to it until
    // its registry entry has had the time to expire (it stays listed for up to a TTL after its last heartbeat).
    const lapsed = lastHolder && lastHolder.expiresAt <= now ? hosts.find((h) => h.startsWith(`${hostIdPrefix(lastHolder.host, lastHolder.pid)}-`)) : undefined;
    if (lapsed !== undefined && lapsed !== this.hostId) this.suspect.set(lapsed, now + this.ttlMs + this.beatEveryMs);
    const assigned = this.assignment.get(botId);
    if (assigned === undefined || assigned === this.hostId || assigned === lapsed) return 0;
    return this.graceMs;
  }

  /** Something changed (a bot won or lost its lease): look at the balance soon. */
  poke(): void {
    this.wakeTick?.();
  }

  view(): BalanceView | undefined {
    const hosts = this.hosts;
    if (!hosts) return undefined;
    return { hosts: hosts.length, fairShare: Math.ceil(this.botIds().length / Math.max(1, hosts.length)) };
  }

  /** Leave the registry (the other hosts take this host's bots without holding back) and stop. */
  async stop(): Promise<void> {
    this.ac.abort();
    this.wakeTick?.();
    await this.loop;
    this.hosts = undefined;
    await this.backend.leaveHost?.(this.fleetName, this.hostId).catch(() => undefined);
    await this.backend.close();
  }

  private botIds(): number[] {
    return this.opts
      .configs()
      .filter((c) => c.lease === this.url)
      .map((c) => c.botId)
      .sort((a, b) => a - b);
  }

  /**
   * The same on every host given the same registry answer: the i-th bot (in id order) goes to host i mod n among the n
   * hosts (in id order) that run it. With the same bots everywhere that is ⌈bots/hosts⌉ at most; a bot one host stops
   * moves alone, the others stay where they are.
   */
  private assign(live: HostBeat[]): Map<number, string> {
    const hosts = [...live].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const bots = [...new Set(hosts.flatMap((h) => h.bots))].sort((a, b) => a - b);
    const out = new Map<number, string>();
    bots.forEach((bot, i) => {
      const runs = hosts.filter((h) => h.bots.includes(bot));
      const host = runs[i % runs.length];
      if (host) out.set(bot, host.id);
    });
    return out;
  }

  private async run(): Promise<void> {
    const signal = this.ac.signal;
    const log = this.opts.logger;
    try {
      await this.backend.open(signal);
    } catch (err) {
      if (!signal.aborted) log.warn(`cannot spread bots over hosts: ${err instanceof Error ? err.message : String(err)}`);
    }
    while (!signal.aborted) {
      try {
        await this.beat();
        this.failing = false;
        await this.rebalance();
      } catch (err) {
        if (signal.aborted) break;
        // Said once per outage: the bots keep running; only the spreading waits for the registry.
        if (!this.failing) log.warn(`host registry: ${err instanceof Error ? err.message : String(err)} (bots keep running; spreading over hosts resumes when it answers)`);
        this.failing = true;
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(t);
          this.wakeTick = undefined;
          resolve();
        };
        const t = setTimeout(done, this.beatEveryMs);
        this.wakeTick = done;
      });
    }
  }

  private async beat(): Promise<void> {
    if (!this.backend.heartbeatHost) return;
    const units = this.opts.units();
    const leading = units.filter((u) => u.leading).length;
    const live: HostBeat[] = await this.backend.heartbeatHost(this.fleetName, { id: this.hostId, leading, bots: units.map((u) => u.botId) }, this.ttlMs);
    this.assignment = this.assign(live);
    const ids = live.map((h) => h.id).sort();
    const seen = new Map<string, number>();
    for (const id of ids) seen.set(id, (this.seen.get(id) ?? 0) + 1);
    const before = this.hosts?.join(' ');
    this.seen = seen;
    this.hosts = ids;
    for (const [id, until] of this.suspect) if (until <= Date.now() || !seen.has(id)) this.suspect.delete(id);
    if (before !== undefined && before !== ids.join(' ')) this.opts.logger.info(`hosts of fleet ${this.fleetName}: ${ids.length} (fair share ${Math.ceil(this.botIds().length / ids.length)} bot(s) each)`);
  }

  /** Hand over one bot at a time that is assigned to another stable host; wait until that host holds it. */
  private async rebalance(): Promise<void> {
    const hosts = this.hosts;
    if (!hosts || hosts.length < 2) return;
    const now = Date.now();
    for (const u of this.opts.units()) {
      if (this.ac.signal.aborted) return;
      if (!u.leading || (this.cooldown.get(u.botId) ?? 0) > now) continue;
      const to = this.assignment.get(u.botId);
      if (to === undefined || to === this.hostId || (this.seen.get(to) ?? 0) < 2 || (this.suspect.get(to) ?? 0) > now) continue;
      this.opts.logger.info(`handing bot "${u.name}" over to host ${to} (its share of the fleet)`);
      if (!(await u.handOver(`rebalancing: bot assigned to host ${to}`))) continue;
      const taken = await this.waitTakenElsewhere(u.botId);
      if (!taken) {
        this.cooldown.set(u.botId, Date.now() + RETRY_AFTER_MS);
        this.opts.logger.warn(`bot "${u.name}": host ${to} did not take it within ${this.ttlMs} ms; not handing it over again for ${RETRY_AFTER_MS / 1000} s`);
      }
      await this.beat(); // fresh counts before the next one
      return;
    }
  }

  private async waitTakenElsewhere(botId: number): Promise<boolean> {
    const until = Date.now() + this.ttlMs;
    while (!this.ac.signal.aborted && Date.now() < until) {
      const h = await this.backend.holder(botId).catch(() => null);
      if (h && h.pid !== process.pid) return true;
      if (h && h.pid === process.pid) return false;
      await sleep(50, this.ac.signal).catch(() => undefined);
    }
    return false;
  }
}

/** The start of a host id in the registry: the host name and the pid of its `botwarden up` (as lease records name them). */
function hostIdPrefix(host: string, pid: number): string {
  return `${host}-${pid}`;
}

/** FNV-1a, 32 bits, hex: a short stable name from the bot ids. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
