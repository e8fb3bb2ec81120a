// Redis lease: one key per bot set by Lua scripts (acquire if absent, compare-and-renew, compare-and-delete + PUBLISH).
import { createHash } from 'node:crypto';
import type { Redis as RedisClient } from 'ioredis';
import { silentLogger, type Logger } from '../log.js';
import { leaseRefused, leaseUnreachable, messageOf } from './errors.js';
import { safeUrl, stripPassword } from './url.js';
import type { AcquireResult, HostBeat, LeaseBackend, LeaseClaim, LeaseRecord } from './types.js';
import { lazyRequire } from '../util/lazy-require.js';

// Loaded with this module (itself loaded only for a redis:// lease), through require (util/lazy-require.ts).
const { Redis } = lazyRequire('ioredis') as typeof import('ioredis');

// Host registry of a fleet (`botwarden up` on several hosts): one hash per fleet, field = host id, value =
// "<expires at, Redis clock ms>|<leading>|<bot ids, comma-separated>"; expired fields are dropped as they are read. Answers the live hosts.
const HOST_BEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], (now + tonumber(ARGV[3])) .. '|' .. ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 10)
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #all, 2 do
  local v = all[i + 1]
  local sep = string.find(v, '|', 1, true)
  local exp = sep and tonumber(string.sub(v, 1, sep - 1)) or 0
  if exp < now then
    redis.call('HDEL', KEYS[1], all[i])
  else
    table.insert(out, all[i])
    table.insert(out, string.sub(v, sep + 1))
  end
end
return out
`;

/** Options of the Redis lease. */
export interface RedisLeaseOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
  url: string;
  logger?: Logger;
  /** Key prefix; keys are `<prefix><botId>`, `<prefix><botId>:fence`, channel `<prefix><botId>:released`. Default `botwarden:lease:`. */
  keyPrefix?: string;
  /** TCP connect timeout (ms). Default 2000. */
  connectTimeoutMs?: number;
  /** A command without a reply after this long fails with LEASE_UNREACHABLE (ms). Default 2000. */
  commandTimeoutMs?: number;
  /** CLIENT SETNAME of the command connection; the watch connection adds `-watch`. Default `botwarden-lease`. */
  connectionName?: string;
}

// Take the lease if the key is absent (Redis expired it) or we already hold it (same instance, host and pid):
// a new holder always gets a new fence from the INCR counter, which is never deleted (and, if Redis lost it in a
// restart without persistence, is re-seeded from the server's clock in ms, so fences still only grow).
const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, rec = pcall(cjson.decode, cur)
  if not (ok and type(rec) == 'table' and rec.instanceId == ARGV[1] and rec.host == ARGV[2] and tonumber(rec.pid) == tonumber(ARGV[3])) then
    return {0, cur, redis.call('PTTL', KEYS[1])}
  end
end
if redis.call('EXISTS', KEYS[2]) == 0 then
  -- No counter (first use, or a Redis restarted without persistence): start from the server clock in ms, so a
  -- new holder's fence is still larger than any fence handed out before the restart.
  local t = redis.call('TIME')
  redis.call('SET', KEYS[2], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
end
local fence = redis.call('INCR', KEYS[2])
local rec = cjson.encode({botId = tonumber(ARGV[5]), instanceId = ARGV[1], host = ARGV[2], pid = tonumber(ARGV[3]), fence = fence, since = tonumber(ARGV[6])})
redis.call('SET', KEYS[1], rec, 'PX', ARGV[4])
return {1, rec, tonumber(ARGV[4])}
`;

// Extend only our own term: same instance and same fence, and only while the key still exists.
const RENEW = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local ok, rec = pcall(cjson.decode, cur)
if not (ok and type(rec) == 'table' and rec.instanceId == ARGV[1] and tonumber(rec.fence) == tonumber(ARGV[2])) then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

// Delete only our own term, then tell the standbys.
const RELEASE = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local ok, rec = pcall(cjson.decode, cur)
if not (ok and type(rec) == 'table' and rec.instanceId == ARGV[1] and tonumber(rec.fence) == tonumber(ARGV[2])) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[3], KEYS[1])
return 1
`;

const HOLDER = `return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}`;

interface Script {
  source: string;
  sha: string;
}
const script = (source: string): Script => ({ source, sha: createHash('sha1').update(source).digest('hex') });
const SCRIPTS = { acquire: script(ACQUIRE), renew: script(RENEW), release: script(RELEASE), holder: script(HOLDER), hostBeat: script(HOST_BEAT) };

/** Redis-backed LeaseBackend. Commands fail fast while disconnected; the client reconnects by itself. */
export class RedisLeaseBackend implements LeaseBackend {
  readonly kind = 'redis';
  readonly description: string;
  private readonly client: RedisClient;
  private sub: RedisClient | undefined;
  private readonly logger: Logger;
  private readonly prefix: string;
  private readonly connectionName: string;
  private readonly watchers = new Map<string, Set<() => void>>();
  private lastError: string | undefined;
  private down = false;
  private closed = false;

  constructor(opts: RedisLeaseOptions) {
    const url = new URL(opts.url);
    this.description = safeUrl(url);
    this.logger = opts.logger ?? silentLogger;
    this.prefix = opts.keyPrefix ?? 'botwarden:lease:';
    this.connectionName = opts.connectionName ?? 'botwarden-lease';
    this.client = new Redis(opts.url, {
      lazyConnect: true,
      // Fail fast instead of queueing commands while disconnected: a lease decision must never wait for a reconnect.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: opts.connectTimeoutMs ?? 2000,
      commandTimeout: opts.commandTimeoutMs ?? 2000,
      // Keep reconnecting (50 ms doubling up to 1 s) so the lease works again as soon as Redis is back.
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1000),
      keepAlive: 1000,
      connectionName: this.connectionName,
    });
    this.client.on('error', (err: Error) => this.noteError(err));
    this.client.on('ready', () => {
      if (this.down) this.logger.info('lease backend reachable again', { backend: this.description });
      this.down = false;
    });
  }

  async open(signal?: AbortSignal): Promise<void> {
    if (this.closed) throw leaseUnreachable(this.description, 'the backend was closed');
    if (this.client.status === 'ready') return;
    // 'reconnecting' too: after a refused connect, disconnect() below cancels ioredis's retry and leaves that status.
    if (this.client.status !== 'wait' && this.client.status !== 'end' && this.client.status !== 'reconnecting') {
      throw leaseUnreachable(this.description, `not connected (${this.lastError ?? this.client.status})`);
    }
    const onAbort = (): void => this.client.disconnect();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.client.connect();
    } catch (err) {
      this.client.disconnect();
      throw leaseUnreachable(this.description, this.lastError ?? messageOf(err), err);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async tryAcquire(claim: LeaseClaim, ttlMs: number): Promise<AcquireResult> {
    const reply = await this.eval(SCRIPTS.acquire, [this.key(claim.botId), this.key(claim.botId) + ':fence'], [
      claim.instanceId,
      claim.host,
      claim.pid,
      Math.max(1, Math.round(ttlMs)),
      claim.botId,
      Date.now(),
    ]);
    const [acquired, raw, pttl] = reply as [number, string, number];
    const record = this.toRecord(raw, pttl);
    if (acquired === 1 && record) return { acquired: true, record };
    return { acquired: false, holder: record };
  }

  async renew(record: LeaseRecord, ttlMs: number): Promise<boolean> {
    const ok = await this.eval(SCRIPTS.renew, [this.key(record.botId)], [record.instanceId, record.fence, Math.max(1, Math.round(ttlMs))]);
    return ok === 1;
  }

  async release(record: LeaseRecord): Promise<void> {
    await this.eval(SCRIPTS.release, [this.key(record.botId)], [record.instanceId, record.fence, this.channel(record.botId)]);
  }

  async holder(botId: number): Promise<LeaseRecord | null> {
    const [raw, pttl] = (await this.eval(SCRIPTS.holder, [this.key(botId)], [])) as [string | null, number];
    return raw === null ? null : this.toRecord(raw, pttl);
  }

  async heartbeatHost(fleet: string, host: HostBeat, ttlMs: number): Promise<HostBeat[]> {
    const flat = (await this.eval(SCRIPTS.hostBeat, [this.hostsKey(fleet)], [host.id, `${Math.max(0, Math.round(host.leading))}|${host.bots.join(',')}`, Math.max(1, Math.round(ttlMs))])) as string[];
    const out: HostBeat[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const [leading, bots] = String(flat[i + 1]).split('|');
      out.push({ id: String(flat[i]), leading: Number(leading) || 0, bots: (bots ?? '').split(',').filter((x) => x !== '').map(Number) });
    }
    return out;
  }

  async leaveHost(fleet: string, hostId: string): Promise<void> {
    if (this.closed) return;
    try {
      await this.client.hdel(this.hostsKey(fleet), hostId);
    } catch (err) {
      throw leaseUnreachable(this.description, messageOf(err));
    }
  }

  async watchRelease(botId: number, onRelease: () => void): Promise<() => Promise<void>> {
    const channel = this.channel(botId);
    const sub = await this.subscriber();
    let set = this.watchers.get(channel);
    if (!set) {
      set = new Set();
      this.watchers.set(channel, set);
      try {
        await sub.subscribe(channel);
      } catch (err) {
        this.watchers.delete(channel);
        throw this.commandError(err);
      }
    }
    set.add(onRelease);
    return async () => {
      const watchers = this.watchers.get(channel);
      if (!watchers?.delete(onRelease) || watchers.size > 0) return;
      this.watchers.delete(channel);
      if (sub.status === 'ready') await sub.unsubscribe(channel).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watchers.clear();
    this.sub?.disconnect();
    this.client.disconnect();
  }

  /** A separate connection for pub/sub (a subscribed connection cannot run other commands). */
  private async subscriber(): Promise<RedisClient> {
    if (this.closed) throw leaseUnreachable(this.description, 'the backend was closed');
    if (!this.sub) {
      this.sub = this.client.duplicate({ connectionName: `${this.connectionName}-watch`, autoResubscribe: true });
      this.sub.on('error', (err: Error) => this.noteError(err));
      this.sub.on('message', (channel: string) => {
        for (const cb of [...(this.watchers.get(channel) ?? [])]) cb();
      });
    }
    const sub = this.sub;
    if (sub.status === 'wait' || sub.status === 'end') {
      try {
        await sub.connect();
      } catch (err) {
        throw leaseUnreachable(this.description, this.lastError ?? messageOf(err), err);
      }
    } else if (sub.status !== 'ready') {
      throw leaseUnreachable(this.description, `watch connection not ready (${this.lastError ?? sub.status})`);
    }
    return sub;
  }

  /** EVALSHA, loading the script on NOSCRIPT (e.g. after a Redis restart). */
  private async eval(s: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    if (this.closed) throw leaseUnreachable(this.description, 'the backend was closed');
    try {
      try {
        return await this.client.evalsha(s.sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!messageOf(err).startsWith('NOSCRIPT')) throw err;
        return await this.client.eval(s.source, keys.length, ...keys, ...args);
      }
    } catch (err) {
      throw this.commandError(err);
    }
  }

  /** A Redis error reply is a refusal; anything else (closed, not writeable, timed out) means we could not reach it. */
  private commandError(err: unknown) {
    const msg = stripPassword(messageOf(err));
    if (err instanceof Error && err.name === 'ReplyError' && !/^(LOADING|BUSY|TRYAGAIN|MASTERDOWN)/.test(msg)) {
      return leaseRefused(this.description, msg, err);
    }
    return leaseUnreachable(this.description, this.client.status === 'ready' ? msg : `${msg} (${this.lastError ?? this.client.status})`, err);
  }

  private noteError(err: Error): void {
    this.lastError = stripPassword(err.message);
    if (!this.down && !this.closed) this.logger.warn('lease backend connection error; reconnecting', { backend: this.description, error: this.lastError });
    this.down = true;
  }

  private toRecord(raw: string, pttl: number): LeaseRecord | null {
    try {
      const r = JSON.parse(raw) as Partial<LeaseRecord>;
      if (typeof r.instanceId !== 'string' || typeof r.host !== 'string') return null;
      // -1: a key without expiry (set by hand): it never runs out on its own.
      const expiresAt = pttl >= 0 ? Date.now() + pttl : Number.MAX_SAFE_INTEGER;
      return {
        botId: Number(r.botId),
        instanceId: r.instanceId,
        host: r.host,
        pid: Number(r.pid),
        fence: Number(r.fence),
        since: Number(r.since),
        expiresAt,
      };
    } catch {
      return null;
    }
  }

  /** The fleet's host registry: beside the leases, `<prefix without "lease:">hosts:<fleet>`. */
  private hostsKey(fleet: string): string {
    return `${this.prefix.replace(/lease:$/, '')}hosts:${fleet}`;
  }
  private key(botId: number): string {
    return `${this.prefix}${botId}`;
  }
  private channel(botId: number): string {
    return `${this.prefix}${botId}:released`;
  }
}
