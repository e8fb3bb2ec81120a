// The worker store on Redis: partition streams, their fenced owners, membership, and the notices between instances.
// Two connections: commands (fail fast while disconnected; callers retry) and a subscriber for the notices.
import type { Redis as RedisClient } from 'ioredis';
import { BotwardenError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { lazyRequire } from '../util/lazy-require.js';
import { ACK, APPEND, CLAIM, LEAVE, PARTITIONS, READ, RELEASE, TICK } from './scripts.js';

/** An update ready to append: its id, ordering key, partition and JSON. */
export interface AppendItem {
  updateId: number;
  key: string;
  partition: number;
  json: string;
}

/** One entry read for delivery. */
export interface ReadEntry {
  /** Stream entry id, `<update_id>-0`. */
  id: string;
  updateId: number;
  key: string;
  json: string;
  /** How many times it was handed to a bot before (0: first delivery). */
  deliveredBefore: number;
}

/** What a heartbeat saw. */
export interface TickResult {
  members: string[];
  /** Owner token per partition (`''` = free). */
  owners: string[];
  /** Entries not yet acknowledged, per partition. */
  lags: number[];
  poller: { instance: string; lastUpdateId: number; at: number; appended: number } | null;
  /** This heartbeat added us to the members (first one, or after our membership expired). */
  joined: boolean;
}

/** Notices on the bot's channel. */
export type StoreNotice = { kind: 'appended'; partitions: number[] } | { kind: 'released' } | { kind: 'members' };

/** Options of the store. */
export interface WorkerStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  url: string;
  botId: number;
  partitions: number;
  /** Key prefix. Default `botwarden:workers:`; keys are `<prefix>{<botId>}:…` (one hash slot per bot). */
  keyPrefix?: string;
  logger?: Logger;
  /** A command without a reply after this long fails (ms). Default 2000. */
  commandTimeoutMs?: number;
}

type Raw = unknown;
interface Scripted {
  bwAppend(...args: (string | number)[]): Promise<number>;
  bwTick(...args: (string | number)[]): Promise<Raw[]>;
  bwClaim(...args: (string | number)[]): Promise<[number, string]>;
  bwRelease(...args: (string | number)[]): Promise<number>;
  bwRead(...args: (string | number)[]): Promise<Raw[]>;
  bwAck(...args: (string | number)[]): Promise<number>;
  bwLeave(...args: (string | number)[]): Promise<number>;
  bwPartitions(...args: (string | number)[]): Promise<number>;
}

/** Redis-backed store of one bot's partitions. */
export class WorkerStore {
  readonly description: string;
  readonly partitions: number;
  private readonly client: RedisClient & Scripted;
  private sub: RedisClient | undefined;
  private readonly k: string;
  private readonly logger: Logger;
  private closed = false;

  constructor(opts: WorkerStoreOptions) {
    const { Redis } = lazyRequire('ioredis') as typeof import('ioredis');
    const u = new URL(opts.url);
    if (u.password) u.password = '***';
    this.description = u.toString();
    this.partitions = opts.partitions;
    this.logger = opts.logger ?? silentLogger;
    this.k = `${opts.keyPrefix ?? 'botwarden:workers:'}{${opts.botId}}:`;
    this.client = new Redis(opts.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: opts.commandTimeoutMs ?? 2000,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1000),
      keepAlive: 1000,
      connectionName: 'botwarden-workers',
    }) as RedisClient & Scripted;
    this.client.on('error', () => undefined); // reported by the failing commands
    const define = (name: string, lua: string): void => this.client.defineCommand(name, { lua });
    define('bwAppend', APPEND);
    define('bwTick', TICK);
    define('bwClaim', CLAIM);
    define('bwRelease', RELEASE);
    define('bwRead', READ);
    define('bwAck', ACK);
    define('bwLeave', LEAVE);
    define('bwPartitions', PARTITIONS);
  }

  /** `<prefix>{<botId>}:<name>` */
  key(name: string): string {
    return this.k + name;
  }
  private owner(p: number): string {
    return this.key(`o:${p}`);
  }
  private stream(p: number): string {
    return this.key(`s:${p}`);
  }
  private delivered(p: number): string {
    return this.key(`d:${p}`);
  }
  private get channel(): string {
    return this.key('events');
  }

  /** Connect, check the partition count against the one recorded for this bot, subscribe to notices. */
  async open(onNotice: (n: StoreNotice) => void): Promise<void> {
    try {
      await this.client.connect();
    } catch (err) {
      throw unreachable(this.description, err);
    }
    const recorded = Number(await this.client.bwPartitions(1, this.key('meta'), this.partitions));
    if (recorded !== this.partitions) {
      throw new BotwardenError('WORKERS_PARTITIONS', `--partitions ${this.partitions} differs from the ${recorded} partitions this bot's workers already use in ${this.description}`, {
        exit: 'usage',
        hint: `start every worker of this bot with --partitions ${recorded} (the count is fixed: changing it would move chats between partitions and break their order)`,
      });
    }
    const sub = (this.sub = this.client.duplicate({ connectionName: 'botwarden-workers-sub', enableOfflineQueue: true, commandTimeout: undefined }));
    sub.on('error', () => undefined);
    sub.on('message', (_ch: string, msg: string) => {
      const n = this.parseNotice(msg);
      if (n) onNotice(n);
    });
    // After a reconnect ioredis subscribes again by itself; the heartbeat covers notices missed meanwhile.
    await sub.subscribe(this.channel);
  }

  private parseNotice(msg: string): StoreNotice | undefined {
    if (msg === 'r') return { kind: 'released' };
    if (msg === 'm') return { kind: 'members' };
    if (msg.startsWith('a ')) {
      const partitions: number[] = [];
      for (const key of msg.slice(2).split(' ')) {
        const m = /:s:(\d+)$/.exec(key);
        if (m) partitions.push(Number(m[1]));
      }
      return { kind: 'appended', partitions };
    }
    return undefined;
  }

  /** Append updates (each stored once whatever happens); resolves with how many were new once Redis has them. */
  async append(items: readonly AppendItem[], instance: string): Promise<number> {
    if (items.length === 0) return 0;
    const keys = items.map((it) => this.stream(it.partition));
    const args: (string | number)[] = [this.channel, this.key('poller'), instance];
    for (const it of items) args.push(it.updateId, it.key, it.json);
    return Number(await this.client.bwAppend(keys.length, ...keys, ...args));
  }

  /** Heartbeat: renew membership (when `join`) and our partitions (`tokens[p]`, `''` for none); read the rest. */
  async tick(instance: string, ttlMs: number, join: boolean, tokens: readonly string[]): Promise<TickResult> {
    const keys = [this.key('members'), this.key('poller')];
    for (let p = 0; p < this.partitions; p++) keys.push(this.owner(p), this.stream(p));
    const raw = await this.client.bwTick(keys.length, ...keys, instance, ttlMs, join ? 1 : 0, ...tokens.map((t) => t || ''));
    const [members, owners, lags, pollerFields, joined] = raw as [string[], string[], number[], string[], number];
    const h: Record<string, string> = {};
    for (let i = 0; i + 1 < pollerFields.length; i += 2) h[pollerFields[i]!] = pollerFields[i + 1]!;
    return {
      members,
      owners,
      lags: lags.map(Number),
      poller: h['instance'] ? { instance: h['instance'], lastUpdateId: Number(h['lastUpdateId'] ?? 0), at: Number(h['at'] ?? 0), appended: Number(h['appended'] ?? 0) } : null,
      joined: Number(joined) === 1,
    };
  }

  /** Take partition `p` if free: its token, or undefined when someone holds it. */
  async claim(p: number, instance: string, ttlMs: number): Promise<string | undefined> {
    const [ok, token] = await this.client.bwClaim(2, this.owner(p), this.key('fence'), instance, ttlMs);
    return Number(ok) === 1 ? token : undefined;
  }

  /** Give partition `p` back (only if `token` still holds it); tells the others. */
  async release(p: number, token: string): Promise<boolean> {
    return Number(await this.client.bwRelease(1, this.owner(p), token, this.channel)) === 1;
  }

  /**
   * Next entries of the given partitions (first entry per ordering key, `limit` in all, fenced by each token).
   * Per partition: the entries, or `'lost'` when the token no longer holds it.
   */
  async read(parts: ReadonlyArray<{ partition: number; token: string }>, limit: number, scan = 100): Promise<Array<ReadEntry[] | 'lost'>> {
    const keys: string[] = [];
    for (const { partition } of parts) keys.push(this.owner(partition), this.stream(partition), this.delivered(partition));
    const raw = (await this.client.bwRead(keys.length, ...keys, limit, scan, ...parts.map((x) => x.token))) as Array<[number, Array<[string, string, string, number]>?]>;
    return raw.map((r) => {
      if (Number(r[0]) !== 1) return 'lost';
      return (r[1] ?? []).map(([id, key, json, before]) => ({ id, updateId: Number(id.slice(0, id.indexOf('-'))), key, json, deliveredBefore: Number(before) }));
    });
  }

  /** Delete acknowledged entries of partition `p`: the count deleted, or -1 when `token` no longer holds it. */
  async ack(p: number, token: string, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return Number(await this.client.bwAck(3, this.owner(p), this.stream(p), this.delivered(p), token, ...ids));
  }

  /** Leave the members at once (a graceful stop), so the others rebalance without waiting for the TTL. */
  async leave(instance: string): Promise<void> {
    await this.client.bwLeave(1, this.key('members'), instance, this.channel);
  }

  /** Close both connections. Safe twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const quit = async (c: RedisClient | undefined): Promise<void> => {
      if (!c) return;
      try {
        await c.quit();
      } catch {
        c.disconnect();
      }
    };
    await Promise.all([quit(this.sub), quit(this.client)]);
    this.logger.debug('worker store closed', { url: this.description });
  }
}

/** The worker store could not be reached. */
export function unreachable(description: string, err: unknown): BotwardenError {
  return new BotwardenError('WORKERS_UNREACHABLE', `cannot reach the workers' Redis ${description}: ${err instanceof Error ? err.message : String(err)}`, {
    exit: 'leaseUnreachable',
    hint: 'check that Redis runs and that the --workers URL (host, port, database) is right',
    cause: err,
  });
}
