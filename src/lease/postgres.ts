// PostgreSQL lease: one row per bot, taken by a single upsert judged on the SERVER's clock; LISTEN/NOTIFY on release.
//
// Why not advisory locks (pg_try_advisory_lock): a session lock lives as long as the session. A holder that is frozen
// (SIGSTOP, VM pause) keeps its TCP connection alive — the kernel still ACKs keepalives — so the lock is held forever
// and no standby can ever take over; a partitioned holder keeps it until TCP keepalive gives up (≈ 2 h by default).
// A row with `expires_at` lets the standbys take over after the TTL no matter what the holder is doing, and the
// holder's own monotonic deadline (elector.ts) makes it stop acting before that moment.
import type PgTypes from 'pg';
import { hostname } from 'node:os';
import { silentLogger, type Logger } from '../log.js';
import { usageError } from '../errors.js';
import { leaseRefused, leaseUnreachable, messageOf } from './errors.js';
import { safeUrl, stripPassword } from './url.js';
import type { AcquireResult, HostBeat, LeaseBackend, LeaseClaim, LeaseRecord } from './types.js';
import { lazyRequire } from '../util/lazy-require.js';

// Loaded with this module (itself loaded only for a postgres:// lease), through require (util/lazy-require.ts).
const pg = lazyRequire('pg') as typeof PgTypes;

/** Options of the PostgreSQL lease. */
export interface PostgresLeaseOptions {
  /** `postgres://user[:password]@host:port/database` (or `postgresql://`). */
  url: string;
  logger?: Logger;
  /** Table name (letters, digits, `_`). Default `botwarden_leases`; a sequence `<table>_fence_seq` goes with it. */
  table?: string;
  /** Connection timeout (ms). Default 2000. */
  connectTimeoutMs?: number;
  /** Per-query timeout, enforced by the client and as the server's statement_timeout (ms). Default 2000. */
  queryTimeoutMs?: number;
  /** application_name of the connections (shown in pg_stat_activity). Default `botwarden-lease@<host>`. */
  applicationName?: string;
}

const DEFAULT_TABLE = 'botwarden_leases';

interface Row {
  bot_id: string;
  instance_id: string;
  host: string;
  pid: number;
  fence: string;
  since_ms: number;
  remaining_ms: number;
  acquired?: boolean;
}

/** PostgreSQL-backed LeaseBackend; a pool for queries (bad connections are dropped and replaced), one client for LISTEN. */
export class PostgresLeaseBackend implements LeaseBackend {
  readonly kind = 'postgres';
  readonly description: string;
  private readonly url: string;
  private readonly logger: Logger;
  private readonly table: string;
  private readonly seq: string;
  private readonly channel: string;
  private readonly connectTimeoutMs: number;
  private readonly queryTimeoutMs: number;
  private readonly applicationName: string;
  private readonly pool: PgTypes.Pool;
  private listener: PgTypes.Client | undefined;
  private listening: Promise<PgTypes.Client> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly watchers = new Map<number, Set<() => void>>();
  private lastError: string | undefined;
  private down = false;
  private closed = false;
  private hostsReady = false;

  constructor(opts: PostgresLeaseOptions) {
    this.url = opts.url;
    this.description = safeUrl(new URL(opts.url));
    this.logger = opts.logger ?? silentLogger;
    this.table = opts.table ?? DEFAULT_TABLE;
    if (!/^[a-z_][a-z0-9_]{0,40}$/.test(this.table)) {
      throw usageError('lease table', 'a lower-case SQL identifier (letters, digits, _; ≤ 41 chars)', this.table);
    }
    this.seq = `${this.table}_fence_seq`;
    this.channel = this.table === DEFAULT_TABLE ? 'botwarden_lease_released' : `${this.table}_released`;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 2000;
    this.queryTimeoutMs = opts.queryTimeoutMs ?? 2000;
    this.applicationName = (opts.applicationName ?? `botwarden-lease@${hostname()}`).slice(0, 63);
    this.pool = new pg.Pool({ ...this.clientConfig(), max: 2, idleTimeoutMillis: 30_000 });
    // An idle pooled connection that dies (server restart, pg_terminate_backend) is reported here and replaced.
    this.pool.on('error', (err) => this.noteError(err));
  }

  async open(): Promise<void> {
    if (this.closed) throw leaseUnreachable(this.description, 'the backend was closed');
    await this.withClient(async (client) => {
      const exists = await client.query<{ t: string | null; s: string | null }>('SELECT to_regclass($1) AS t, to_regclass($2) AS s', [this.table, this.seq]);
      if (!exists.rows[0]?.t || !exists.rows[0]?.s) {
        // CREATE … IF NOT EXISTS is not safe when run concurrently (duplicate pg_type row): serialize it with a
        // transaction-scoped advisory lock. This lock only guards the DDL, never leadership.
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`botwarden:ddl:${this.table}`]);
        await client.query(`CREATE SEQUENCE IF NOT EXISTS ${this.seq}`);
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${this.table} (
            bot_id bigint PRIMARY KEY,
            instance_id text NOT NULL,
            host text NOT NULL,
            pid int NOT NULL,
            fence bigint NOT NULL,
            since timestamptz NOT NULL,
            expires_at timestamptz NOT NULL
          )`,
        );
        await client.query('COMMIT');
      }
    });
  }

  /**
   * Run `fn` on a pooled connection; on a failure roll back whatever transaction it opened, release the connection
   * as broken, and throw the failure as a lease error.
   */
  private async withClient(fn: (client: PgTypes.PoolClient) => Promise<void>): Promise<void> {
    const client = await this.pool.connect().catch((err: unknown) => {
      throw this.dbError(err);
    });
    let failed: unknown;
    try {
      await fn(client);
    } catch (err) {
      failed = err;
      await client.query('ROLLBACK').catch(() => undefined);
      throw this.dbError(err);
    } finally {
      client.release(failed instanceof Error ? failed : undefined);
    }
  }

  async tryAcquire(claim: LeaseClaim, ttlMs: number): Promise<AcquireResult> {
    // One statement: take the row if it is absent, expired (by the server's now()) or already ours; otherwise return
    // the holder. The CTE's outer SELECT sees the snapshot before the upsert, so the second branch shows the holder.
    const res = await this.query<Row>(
      `WITH acquired AS (
         INSERT INTO ${this.table} AS l (bot_id, instance_id, host, pid, fence, since, expires_at)
         VALUES ($1, $2, $3, $4, nextval('${this.seq}'), to_timestamp($6::float8 / 1000), now() + $5::int * interval '1 millisecond')
         ON CONFLICT (bot_id) DO UPDATE SET
           instance_id = EXCLUDED.instance_id, host = EXCLUDED.host, pid = EXCLUDED.pid,
           fence = GREATEST(EXCLUDED.fence, l.fence + 1), since = EXCLUDED.since, expires_at = EXCLUDED.expires_at
         WHERE l.expires_at <= now()
            OR (l.instance_id = EXCLUDED.instance_id AND l.host = EXCLUDED.host AND l.pid = EXCLUDED.pid)
         RETURNING l.*
       )
       SELECT ${this.columns()}, true AS acquired FROM acquired
       UNION ALL
       SELECT ${this.columns()}, false AS acquired FROM ${this.table}
         WHERE bot_id = $1 AND NOT EXISTS (SELECT 1 FROM acquired)`,
      [claim.botId, claim.instanceId, claim.host, claim.pid, Math.max(1, Math.round(ttlMs)), Date.now()],
    );
    const row = res.rows[0];
    if (row?.acquired) return { acquired: true, record: toRecord(row) };
    return { acquired: false, holder: row && row.remaining_ms > 0 ? toRecord(row) : null };
  }

  async renew(record: LeaseRecord, ttlMs: number): Promise<boolean> {
    const res = await this.query(
      `UPDATE ${this.table} SET expires_at = now() + $4::int * interval '1 millisecond'
       WHERE bot_id = $1 AND instance_id = $2 AND fence = $3 AND expires_at > now()`,
      [record.botId, record.instanceId, record.fence, Math.max(1, Math.round(ttlMs))],
    );
    return res.rowCount === 1;
  }

  async release(record: LeaseRecord): Promise<void> {
    // The NOTIFY is delivered when this statement commits, i.e. right after the row is gone.
    await this.query(
      `WITH released AS (
         DELETE FROM ${this.table} WHERE bot_id = $1 AND instance_id = $2 AND fence = $3 RETURNING bot_id
       )
       SELECT pg_notify($4, bot_id::text) FROM released`,
      [record.botId, record.instanceId, record.fence, this.channel],
    );
  }

  async heartbeatHost(fleet: string, host: HostBeat, ttlMs: number): Promise<HostBeat[]> {
    const table = `${this.table}_hosts`;
    if (!this.hostsReady) {
      // Same DDL serialisation as open(): concurrent CREATE … IF NOT EXISTS can collide on pg_type.
      await this.withClient(async (client) => {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`botwarden:ddl:${table}`]);
        await client.query(`CREATE TABLE IF NOT EXISTS ${table} (fleet text NOT NULL, host_id text NOT NULL, leads int NOT NULL, expires_at timestamptz NOT NULL, bots text NOT NULL DEFAULT '', PRIMARY KEY (fleet, host_id))`);
        await client.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS bots text NOT NULL DEFAULT ''`);
        await client.query('COMMIT');
        this.hostsReady = true;
      });
    }
    // One statement, judged on the server's now(): upsert this host, drop the fleet's expired hosts, list the live ones.
    const res = await this.query<{ host_id: string; leads: number; bots: string }>(
      `WITH beat AS (
         INSERT INTO ${table} AS h (fleet, host_id, leads, expires_at, bots) VALUES ($1, $2, $3, now() + $4::int * interval '1 millisecond', $5)
         ON CONFLICT (fleet, host_id) DO UPDATE SET leads = EXCLUDED.leads, expires_at = EXCLUDED.expires_at, bots = EXCLUDED.bots
         RETURNING host_id, leads, bots
       ), gone AS (
         DELETE FROM ${table} WHERE fleet = $1 AND expires_at < now() AND host_id <> $2
       )
       SELECT host_id, leads, bots FROM beat
       UNION ALL
       SELECT host_id, leads, bots FROM ${table} WHERE fleet = $1 AND expires_at >= now() AND host_id <> $2`,
      [fleet, host.id, Math.max(0, Math.round(host.leading)), Math.max(1, Math.round(ttlMs)), host.bots.join(',')],
    );
    return res.rows.map((r) => ({ id: r.host_id, leading: Number(r.leads) || 0, bots: r.bots.split(',').filter((x) => x !== '').map(Number) }));
  }

  async leaveHost(fleet: string, hostId: string): Promise<void> {
    if (!this.hostsReady || this.closed) return;
    await this.query(`DELETE FROM ${this.table}_hosts WHERE fleet = $1 AND host_id = $2`, [fleet, hostId]);
  }

  async holder(botId: number): Promise<LeaseRecord | null> {
    const res = await this.query<Row>(`SELECT ${this.columns()} FROM ${this.table} WHERE bot_id = $1 AND expires_at > now()`, [botId]);
    const row = res.rows[0];
    return row ? toRecord(row) : null;
  }

  async watchRelease(botId: number, onRelease: () => void): Promise<() => void> {
    await this.listen();
    let set = this.watchers.get(botId);
    if (!set) {
      set = new Set();
      this.watchers.set(botId, set);
    }
    set.add(onRelease);
    return () => {
      const watchers = this.watchers.get(botId);
      watchers?.delete(onRelease);
      if (watchers?.size === 0) this.watchers.delete(botId);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watchers.clear();
    clearTimeout(this.reconnectTimer);
    const listener = this.listener;
    this.listener = undefined;
    await Promise.all([listener?.end().catch(() => undefined), this.pool.end().catch(() => undefined)]);
  }

  /** Connect the LISTEN client (once; reconnects by itself after a failure while anyone watches). */
  private listen(): Promise<PgTypes.Client> {
    if (this.closed) return Promise.reject(leaseUnreachable(this.description, 'the backend was closed'));
    if (this.listener) return Promise.resolve(this.listener);
    this.listening ??= (async () => {
      const client = new pg.Client(this.clientConfig());
      client.on('error', (err) => this.noteError(err));
      client.on('notification', (msg) => {
        if (msg.channel !== this.channel) return;
        for (const cb of [...(this.watchers.get(Number(msg.payload)) ?? [])]) cb();
      });
      client.on('end', () => {
        if (this.listener !== client) return;
        this.listener = undefined;
        this.scheduleRelisten(100);
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${this.channel}`);
      } catch (err) {
        await client.end().catch(() => undefined);
        throw this.dbError(err);
      }
      if (this.closed) {
        await client.end().catch(() => undefined);
        throw leaseUnreachable(this.description, 'the backend was closed');
      }
      this.listener = client;
      return client;
    })().finally(() => {
      this.listening = undefined;
    });
    return this.listening;
  }

  private scheduleRelisten(delayMs: number): void {
    if (this.closed || this.watchers.size === 0 || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.listen().then(
        () => {
          // Releases sent while we were away were missed: let the watchers look now.
          for (const set of this.watchers.values()) for (const cb of [...set]) cb();
        },
        () => this.scheduleRelisten(Math.min(delayMs * 2, 1000)),
      );
    }, delayMs);
    this.reconnectTimer.unref();
  }

  private async query<R extends PgTypes.QueryResultRow = PgTypes.QueryResultRow>(sql: string, params: unknown[]): Promise<PgTypes.QueryResult<R>> {
    if (this.closed) throw leaseUnreachable(this.description, 'the backend was closed');
    try {
      const res = await this.pool.query<R>(sql, params);
      if (this.down) this.logger.info('lease backend reachable again', { backend: this.description });
      this.down = false;
      return res;
    } catch (err) {
      throw this.dbError(err);
    }
  }

  private columns(): string {
    return `bot_id::text AS bot_id, instance_id, host, pid, fence::text AS fence,
      (extract(epoch FROM since) * 1000)::float8 AS since_ms,
      (extract(epoch FROM (expires_at - now())) * 1000)::float8 AS remaining_ms`;
  }

  private clientConfig(): PgTypes.ClientConfig {
    return {
      connectionString: this.url,
      connectionTimeoutMillis: this.connectTimeoutMs,
      query_timeout: this.queryTimeoutMs,
      statement_timeout: this.queryTimeoutMs,
      idle_in_transaction_session_timeout: Math.max(this.queryTimeoutMs * 2, 5000),
      keepAlive: true,
      keepAliveInitialDelayMillis: 1000,
      application_name: this.applicationName,
    };
  }

  /** SQLSTATE errors are refusals, except connection/shutdown/timeout classes; socket errors mean unreachable. */
  private dbError(err: unknown) {
    const msg = stripPassword(messageOf(err));
    const code = (err as { code?: unknown }).code;
    this.noteError(err);
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|57P0|53300|57014)/.test(code)) {
      return leaseRefused(this.description, `${msg} (SQLSTATE ${code})`, err);
    }
    return leaseUnreachable(this.description, msg, err);
  }

  private noteError(err: unknown): void {
    this.lastError = stripPassword(messageOf(err));
    if (!this.down && !this.closed) this.logger.warn('lease backend error; will retry', { backend: this.description, error: this.lastError });
    this.down = true;
  }
}

function toRecord(row: Row): LeaseRecord {
  return {
    botId: Number(row.bot_id),
    instanceId: row.instance_id,
    host: row.host,
    pid: row.pid,
    fence: Number(row.fence),
    since: Math.round(row.since_ms),
    expiresAt: Date.now() + Math.round(row.remaining_ms),
  };
}
