// PostgreSQL lease: the contract against the real server, concurrent table creation, refused vs unreachable, recovery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createLeaseBackend } from '../../src/lease/index.js';
import { PostgresLeaseBackend } from '../../src/lease/postgres.js';
import { BotwardenError } from '../../src/errors.js';
import { contractTests } from './contract.js';
import { acquireWhileReconnecting, claimFor, dropTable, serviceFor, uniqueBotId, uniqueTable, waitUntil } from './helpers.js';
import { uniqueSuffix } from '../helpers/random.js';

const postgres = await serviceFor('postgres');
const PG_URL = postgres.url;
contractTests('postgres', 100, postgres.skip);

test('postgres: concurrent open() on a fresh table: all succeed, one table', { skip: postgres.skip }, async () => {
  const table = uniqueTable('open');
  const backends = Array.from({ length: 5 }, () => createLeaseBackend(PG_URL, { table }));
  try {
    await Promise.all(backends.map((b) => b.open()));
    const botId = uniqueBotId();
    const results = await Promise.all(backends.map((b, i) => b.tryAcquire(claimFor(botId, `P${i}`), 5000)));
    assert.equal(results.filter((r) => r.acquired).length, 1);
  } finally {
    await Promise.all(backends.map((b) => b.close()));
    await dropTable(table);
  }
});

test('postgres: unreachable → LEASE_UNREACHABLE fast; a missing database → LEASE_REFUSED; no password shown', { skip: postgres.skip }, async () => {
  const down = createLeaseBackend('postgres://postgres:s3cretpw@127.0.0.1:1/test', {});
  assert.equal(down.description, 'postgres://postgres@127.0.0.1:1/test');
  const t0 = performance.now();
  await assert.rejects(down.open(), (err: unknown) => {
    assert.ok(err instanceof BotwardenError);
    assert.equal(err.code, 'LEASE_UNREACHABLE');
    assert.equal(err.exitCode, 6);
    assert.match(err.message, /postgres:\/\/postgres@127\.0\.0\.1:1\/test/);
    assert.match(err.message, /ECONNREFUSED/);
    assert.doesNotMatch(err.message, /s3cretpw/);
    return true;
  });
  // A bound that catches a retrying client (a connection refused on 127.0.0.1 is answered at once), not a speed goal.
  assert.ok(performance.now() - t0 < 10_000, 'fails without retrying');
  await down.close();
  await down.close();

  const noDb = new URL(PG_URL);
  noDb.password = 's3cretpw';
  noDb.pathname = '/no_such_db_botwarden';
  const refused = createLeaseBackend(noDb.href, {});
  await assert.rejects(refused.open(), (err: unknown) => {
    assert.ok(err instanceof BotwardenError);
    assert.equal(err.code, 'LEASE_REFUSED');
    assert.equal(err.exitCode, 6);
    assert.match(err.message, /no_such_db_botwarden/);
    assert.doesNotMatch(err.message, /s3cretpw/);
    return true;
  });
  await refused.close();
});

test('postgres: connections killed by pg_terminate_backend: queries and LISTEN recover', { skip: postgres.skip }, async () => {
  const table = uniqueTable('term');
  const app = `bwtest-${uniqueSuffix()}`;
  const botId = uniqueBotId();
  const b = new PostgresLeaseBackend({ url: PG_URL, table, applicationName: app });
  const other = createLeaseBackend(PG_URL, { table });
  const admin = new pg.Client({ connectionString: PG_URL });
  try {
    await b.open();
    await other.open();
    await admin.connect();
    let notices = 0;
    const unwatch = await b.watchRelease(botId, () => notices++);
    assert.equal(await b.holder(botId), null);
    const killed = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [app]);
    assert.ok(killed.rowCount! >= 2, `killed ${killed.rowCount} connections (pool + listener)`);
    const rec = await acquireWhileReconnecting(b, claimFor(botId, 'A'), 3000, 'acquire after pg_terminate_backend');
    // The LISTEN connection is re-established (it also pokes watchers once when it comes back).
    await waitUntil(async () => {
      const r = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'", [app]);
      return (r.rows[0] as { n: number }).n === 1;
    }, 15_000, 'LISTEN again');
    const before = notices;
    await other.release(rec);
    await waitUntil(() => notices > before, 10_000, 'release notice after reconnect');
    await unwatch();
  } finally {
    await b.close();
    await other.close();
    await admin.end();
    await dropTable(table);
  }
});
