// run's configuration: precedence (flags > env > .env > config file > defaults) and messages that name the bad key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveRunConfig, splitCommandLine, parseDurationMs, parseSizeBytes } from '../../src/config/index.js';
import { BotwardenError, ExitCode } from '../../src/errors.js';

const TOKEN = '123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQr';

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'bw-config-'));
}

function fails(fn: () => unknown, exit: number, re: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof BotwardenError, String(err));
    assert.equal(err.exitCode, exit);
    assert.match(err.message + ' ' + (err.hint ?? ''), re);
    assert.ok(!err.message.includes(TOKEN.slice(10)), 'token secret in message');
    return true;
  });
}

test('defaults and the token from BOT_TOKEN', () => {
  const dir = tmp();
  try {
    const c = resolveRunConfig({}, ['python', 'bot.py'], { env: { BOT_TOKEN: TOKEN, HOME: dir }, cwd: dir });
    assert.equal(c.botId, 123456789);
    assert.equal(c.apiRoot, 'https://api.telegram.org');
    assert.equal(c.lease, 'file:');
    assert.equal(c.leaseTtlMs, 10_000);
    assert.equal(c.restart, 'always');
    assert.deepEqual(c.command, ['python', 'bot.py']);
    assert.ok(Object.isFrozen(c));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('flags beat environment, environment beats .env and the config file', () => {
  const dir = tmp();
  try {
    writeFileSync(path.join(dir, 'botwarden.config.yaml'), 'leaseTtl: 5s\nrestart: on-failure\napiRoot: http://file.example\ncommand: node "my bot.js" --x\nmaxMemory: 256M\n');
    writeFileSync(path.join(dir, '.env'), `BOT_TOKEN=${TOKEN}\nBOTWARDEN_API_ROOT=http://dotenv.example\n`);
    const c = resolveRunConfig({ leaseTtl: '3000' }, [], { env: { BOTWARDEN_API_ROOT: 'http://env.example/' }, cwd: dir });
    assert.equal(c.leaseTtlMs, 3000);
    assert.equal(c.restart, 'on-failure');
    assert.equal(c.apiRoot, 'http://env.example');
    assert.equal(c.token, TOKEN);
    assert.deepEqual(c.command, ['node', 'my bot.js', '--x']);
    assert.equal(c.maxMemoryBytes, 256 * 1024 * 1024);
    const d = resolveRunConfig({}, ['x'], { env: {}, cwd: dir });
    assert.equal(d.apiRoot, 'http://dotenv.example');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input names the thing and what to do', () => {
  const dir = tmp();
  try {
    fails(() => resolveRunConfig({}, ['x'], { env: {}, cwd: dir }), ExitCode.usage, /BOT_TOKEN/);
    fails(() => resolveRunConfig({}, ['x'], { env: { BOT_TOKEN: 'nope' }, cwd: dir }), ExitCode.badToken, /malformed.*BotFather/s);
    fails(() => resolveRunConfig({}, [], { env: { BOT_TOKEN: TOKEN }, cwd: dir }), ExitCode.usage, /no bot command.*--/s);
    fails(() => resolveRunConfig({ restart: 'sometimes' }, ['x'], { env: { BOT_TOKEN: TOKEN }, cwd: dir }), ExitCode.usage, /--restart: expected always, on-failure or never, got "sometimes"/);
    fails(() => resolveRunConfig({ leaseTtl: 'soon' }, ['x'], { env: { BOT_TOKEN: TOKEN }, cwd: dir }), ExitCode.usage, /--lease-ttl/);
    fails(() => resolveRunConfig({ maxMemory: 'lots' }, ['x'], { env: { BOT_TOKEN: TOKEN }, cwd: dir }), ExitCode.usage, /--max-memory.*512M/);
    fails(() => resolveRunConfig({ tokenFile: path.join(dir, 'missing') }, ['x'], { env: {}, cwd: dir }), ExitCode.usage, /--token-file.*ENOENT/);
    writeFileSync(path.join(dir, 'botwarden.config.json'), JSON.stringify({ leaseTTL: 5 }));
    fails(() => resolveRunConfig({}, ['x'], { env: { BOT_TOKEN: TOKEN }, cwd: dir }), ExitCode.usage, /unknown key "leaseTTL".*leaseTtl/);
    writeFileSync(path.join(dir, 'botwarden.config.json'), JSON.stringify({ restart: 'maybe', healthPort: 'x' }));
    fails(() => resolveRunConfig({}, ['x'], { env: { BOT_TOKEN: TOKEN }, cwd: dir }), ExitCode.usage, /(?=.*key "restart": .*always)(?=.*key "healthPort": .*number)/s);
    writeFileSync(path.join(dir, 'botwarden.config.json'), JSON.stringify({ token: TOKEN }));
    fails(() => resolveRunConfig({}, ['x'], { env: { BOT_TOKEN: TOKEN }, cwd: dir }), ExitCode.usage, /"token" is not allowed/);
    writeFileSync(path.join(dir, 'botwarden.config.json'), '{ broken');
    fails(() => resolveRunConfig({}, ['x'], { env: { BOT_TOKEN: TOKEN }, cwd: dir }), ExitCode.usage, /not valid JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('token file and units', () => {
  const dir = tmp();
  try {
    writeFileSync(path.join(dir, 'tok'), `${TOKEN}\n`);
    const c = resolveRunConfig({ tokenFile: path.join(dir, 'tok'), stopTimeout: '2s' }, ['x'], { env: {}, cwd: dir });
    assert.equal(c.token, TOKEN);
    assert.equal(c.stopTimeoutMs, 2000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(parseDurationMs('1.5s'), 1500);
  assert.equal(parseDurationMs('2m'), 120_000);
  assert.equal(parseDurationMs('x'), undefined);
  assert.equal(parseSizeBytes('1G'), 1024 ** 3);
  assert.equal(parseSizeBytes('0'), undefined);
  assert.deepEqual(splitCommandLine(`python "my bot.py" --name='a b' x\\ y`), ['python', 'my bot.py', '--name=a b', 'x y']);
  assert.equal(splitCommandLine('python "unclosed'), undefined);
});

test('worker mode: --workers must be a Redis URL, --partitions 1–1024, and the lease defaults to the workers URL', () => {
  const dir = tmp();
  try {
    const env = { BOT_TOKEN: TOKEN };
    const c = resolveRunConfig({ workers: 'redis://127.0.0.1:6379/2' }, ['x'], { env, cwd: dir });
    assert.equal(c.workers, 'redis://127.0.0.1:6379/2');
    assert.equal(c.lease, 'redis://127.0.0.1:6379/2', 'the lease follows --workers');
    assert.equal(c.partitions, 16);
    assert.equal(resolveRunConfig({ workers: 'redis://a:1', lease: 'postgres://db/x' }, ['x'], { env, cwd: dir }).lease, 'postgres://db/x');
    assert.equal(resolveRunConfig({}, ['x'], { env, cwd: dir }).workers, undefined);
    fails(() => resolveRunConfig({ workers: 'nats://127.0.0.1:4222' }, ['x'], { env, cwd: dir }), ExitCode.usage, /--workers: expected a Redis URL/);
    fails(() => resolveRunConfig({ workers: 'redis://u:secretpw@h:1', partitions: '0' }, ['x'], { env, cwd: dir }), ExitCode.usage, /--partitions: expected a whole number 1–1024/);
    fails(() => resolveRunConfig({ workers: 'http://u:secretpw@h:1' }, ['x'], { env, cwd: dir }), ExitCode.usage, /^(?!.*secretpw)/s);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
