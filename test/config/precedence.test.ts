// Every `run` key's precedence, table-driven: flag > environment > .env > config file > default (README "Config file").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveRunConfig, type RunCliOptions, type RunConfig } from '../../src/config/index.js';
import { configFileSchema } from '../../src/config/schema.js';

const TOKEN = (n: number): string => `${100000 + n}:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQr${n}`;

/** One key: how each layer sets it, and what the resolved config then reads. Values per layer are distinct. */
interface Row {
  key: string;
  /** The flag's value as commander hands it over (`true` for a switch). */
  flag: (dir: string) => RunCliOptions;
  /** The environment variable (also read from .env), when the key has one. */
  env?: { name: string; value: string; dotenv: string };
  file: unknown;
  read: (c: RunConfig) => unknown;
  /** What `read` gives for the flag, env, .env, file and default. */
  expect: { flag: unknown; env?: unknown; dotenv?: unknown; file: unknown; default: unknown };
}

const ROWS: Row[] = [
  {
    key: 'tokenFile',
    flag: (dir) => ({ tokenFile: path.join(dir, 'flag.token') }),
    env: { name: 'BOT_TOKEN', value: TOKEN(2), dotenv: TOKEN(3) },
    file: 'file.token',
    read: (c) => c.token,
    expect: { flag: TOKEN(1), env: TOKEN(2), dotenv: TOKEN(3), file: TOKEN(4), default: TOKEN(5) },
  },
  {
    key: 'apiRoot',
    flag: () => ({ apiRoot: 'http://flag.example' }),
    env: { name: 'BOTWARDEN_API_ROOT', value: 'http://env.example', dotenv: 'http://dotenv.example' },
    file: 'http://file.example',
    read: (c) => c.apiRoot,
    expect: { flag: 'http://flag.example', env: 'http://env.example', dotenv: 'http://dotenv.example', file: 'http://file.example', default: 'https://api.telegram.org' },
  },
  {
    key: 'stateDir',
    flag: () => ({ stateDir: '/tmp/bw-flag' }),
    env: { name: 'BOTWARDEN_STATE_DIR', value: '/tmp/bw-env', dotenv: '/tmp/bw-dotenv' },
    file: '/tmp/bw-file',
    read: (c) => c.stateDir,
    expect: { flag: '/tmp/bw-flag', env: '/tmp/bw-env', dotenv: '/tmp/bw-dotenv', file: '/tmp/bw-file', default: 'DEFAULT' },
  },
  {
    key: 'lease',
    flag: () => ({ lease: 'redis://flag:6379' }),
    env: { name: 'BOTWARDEN_LEASE', value: 'redis://env:6379', dotenv: 'redis://dotenv:6379' },
    file: 'redis://file:6379',
    read: (c) => c.lease,
    expect: { flag: 'redis://flag:6379', env: 'redis://env:6379', dotenv: 'redis://dotenv:6379', file: 'redis://file:6379', default: 'file:' },
  },
  {
    key: 'logLevel',
    flag: () => ({ logLevel: 'error' }),
    env: { name: 'BOTWARDEN_LOG_LEVEL', value: 'warn', dotenv: 'debug' },
    file: 'info',
    read: (c) => c.logLevel,
    expect: { flag: 'error', env: 'warn', dotenv: 'debug', file: 'info', default: 'info' },
  },
  {
    key: 'workers',
    flag: () => ({ workers: 'redis://flag:6379' }),
    env: { name: 'BOTWARDEN_WORKERS', value: 'redis://env:6379', dotenv: 'redis://dotenv:6379' },
    file: 'redis://file:6379',
    read: (c) => c.workers,
    expect: { flag: 'redis://flag:6379', env: 'redis://env:6379', dotenv: 'redis://dotenv:6379', file: 'redis://file:6379', default: undefined },
  },
  { key: 'partitions', flag: () => ({ partitions: '32' }), file: 8, read: (c) => c.partitions, expect: { flag: 32, file: 8, default: 16 } },
  { key: 'leaseTtl', flag: () => ({ leaseTtl: '2000' }), file: '7s', read: (c) => c.leaseTtlMs, expect: { flag: 2000, file: 7000, default: 10_000 } },
  { key: 'healthPort', flag: () => ({ healthPort: '9101' }), file: 9102, read: (c) => c.healthPort, expect: { flag: 9101, file: 9102, default: 0 } },
  { key: 'healthHost', flag: () => ({ healthHost: '127.0.0.2' }), file: '127.0.0.3', read: (c) => c.healthHost, expect: { flag: '127.0.0.2', file: '127.0.0.3', default: '127.0.0.1' } },
  { key: 'healthAllowActions', flag: () => ({ healthAllowActions: true }), file: false, read: (c) => c.healthAllowActions, expect: { flag: true, file: false, default: false } },
  { key: 'restart', flag: () => ({ restart: 'never' }), file: 'on-failure', read: (c) => c.restart, expect: { flag: 'never', file: 'on-failure', default: 'always' } },
  { key: 'stopTimeout', flag: () => ({ stopTimeout: '1500' }), file: '3s', read: (c) => c.stopTimeoutMs, expect: { flag: 1500, file: 3000, default: 10_000 } },
  { key: 'maxMemory', flag: () => ({ maxMemory: '1G' }), file: '256M', read: (c) => c.maxMemoryBytes, expect: { flag: 1 << 30, file: 256 << 20, default: undefined } },
  { key: 'logFile', flag: () => ({ logFile: '/tmp/flag.log' }), file: '/tmp/file.log', read: (c) => c.logFile, expect: { flag: '/tmp/flag.log', file: '/tmp/file.log', default: undefined } },
  { key: 'json', flag: () => ({ json: true }), file: false, read: (c) => c.json, expect: { flag: true, file: false, default: false } },
  { key: 'takeover', flag: () => ({ takeover: true }), file: false, read: (c) => c.takeover, expect: { flag: true, file: false, default: false } },
  { key: 'fallback', flag: () => ({ fallback: 'node flag.js' }), file: 'node file.js', read: (c) => c.fallback, expect: { flag: ['node', 'flag.js'], file: ['node', 'file.js'], default: undefined } },
  { key: 'startupTimeout', flag: () => ({ startupTimeout: '1000' }), file: '2s', read: (c) => c.startupTimeoutMs, expect: { flag: 1000, file: 2000, default: 60_000 } },
  { key: 'drainQuiet', flag: () => ({ drainQuiet: '100' }), file: '2s', read: (c) => c.drainQuietMs, expect: { flag: 100, file: 2000, default: 500 } },
  { key: 'standby', flag: () => ({ standby: 'hot' }), file: 'cold', read: (c) => c.standby, expect: { flag: 'hot', file: 'cold', default: 'cold' } },
  { key: 'allowDropPending', flag: () => ({ allowDropPending: true }), file: false, read: (c) => c.allowDropPending, expect: { flag: true, file: false, default: false } },
];

/** Keys not set by a flag: the command is positional, `cwd` and `env` exist only in the file; `bots` and `fleet` are `up`'s. */
const FILE_ONLY = new Set(['command', 'cwd', 'env', 'bots', 'fleet']);

test('the table covers every config-file key', () => {
  const keys = Object.keys(configFileSchema().shape).filter((k) => !FILE_ONLY.has(k));
  assert.deepEqual(ROWS.map((r) => r.key).sort(), keys.sort());
});

for (const row of ROWS) {
  test(`precedence of ${row.key}: flag > environment > .env > config file > default`, () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bw-prec-'));
    try {
      writeFileSync(path.join(dir, 'flag.token'), TOKEN(1));
      writeFileSync(path.join(dir, 'file.token'), TOKEN(4));
      // The token every case needs, from the lowest source that does not compete with the row under test.
      const baseEnv: NodeJS.ProcessEnv = row.key === 'tokenFile' ? { HOME: dir } : { HOME: dir, BOT_TOKEN: TOKEN(5) };
      const resolve = (layers: { flag?: boolean; env?: boolean; dotenv?: boolean; file?: boolean }): unknown => {
        const file: Record<string, unknown> = layers.file ? { [row.key]: row.file } : {};
        writeFileSync(path.join(dir, 'botwarden.config.json'), JSON.stringify(file));
        writeFileSync(path.join(dir, '.env'), layers.dotenv && row.env ? `${row.env.name}=${row.env.dotenv}\n` : '');
        const env = { ...baseEnv, ...(layers.env && row.env ? { [row.env.name]: row.env.value } : {}) };
        if (row.key === 'tokenFile' && !layers.flag && !layers.env && !layers.dotenv && !layers.file) env['BOT_TOKEN'] = TOKEN(5);
        return row.read(resolveRunConfig(layers.flag ? row.flag(dir) : {}, ['bot'], { env, cwd: dir }));
      };
      assert.deepEqual(resolve({ flag: true, env: true, dotenv: true, file: true }), row.expect.flag, 'the flag beats everything');
      if (row.env) {
        assert.deepEqual(resolve({ env: true, dotenv: true, file: true }), row.expect.env, 'the environment beats .env and the file');
        assert.deepEqual(resolve({ dotenv: true, file: true }), row.expect.dotenv, '.env beats the file');
      }
      assert.deepEqual(resolve({ file: true }), row.expect.file, 'the file beats the default');
      const dflt = resolve({});
      if (row.expect.default === 'DEFAULT') assert.ok(typeof dflt === 'string' && /botwarden$/.test(dflt), String(dflt));
      else assert.deepEqual(dflt, row.expect.default, 'the default');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
