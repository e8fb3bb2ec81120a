// findTokenHolders: processes holding the exact token in env or argv are found with the right pid, managed ones
// name their instance, near-misses and our own children are not reported, commands are redacted.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { findTokenHolders, holdsToken } from '../../src/process/conflicts.js';
import { spawnChild } from '../../src/process/spawn.js';
import { Reaper, collect, fakeToken, fixture, nodeFixture, until } from './helpers.js';

const reaper = new Reaper();
after(() => reaper.killAll());

/** Start `node idle.mjs <args>` as an orphan (not our descendant), with `env` added; resolves its pid. */
async function orphan(env: NodeJS.ProcessEnv, ...args: string[]): Promise<number> {
  const launcher = spawn(process.execPath, [fixture('launch-orphan.mjs'), fixture('idle.mjs'), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const m = await collect(launcher.stdout).waitFor(/orphan (\d+)/);
  const pid = Number(m[1]);
  reaper.pid(pid);
  return pid;
}

test('holdsToken: exact token only, bounded on both sides', () => {
  const t = '123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
  assert.equal(holdsToken(`BOT_TOKEN=${t}`, t), true);
  assert.equal(holdsToken(`https://api.telegram.org/bot${t}/getMe`, t), true);
  assert.equal(holdsToken(t, t), true);
  assert.equal(holdsToken(`9${t}`, t), false);
  assert.equal(holdsToken(`x${t}`, t), true, 'a letter before is not part of the id');
  assert.equal(holdsToken(`${t}B`, t), false);
  assert.equal(holdsToken(`${t}-`, t), false);
  assert.equal(holdsToken('python bot.py', t), false);
});

test('env and argv holders found with correct pid; BOTWARDEN_INSTANCE → managedBy; near-misses, own children and excluded pids not', { skip: process.platform !== 'linux' && 'environment scan is Linux-only' }, async () => {
  const token = fakeToken();
  const [id, secret] = token.split(':') as [string, string];
  const otherSameId = `${id}:${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
  const [inEnv, inArgv, managed, excluded, nearMiss] = await Promise.all([
    orphan({ BOT_TOKEN: token }),
    orphan({}, '', `--token=${token}`),
    orphan({ BOT_TOKEN: token, BOTWARDEN_INSTANCE: 'inst-test-42' }),
    orphan({ TELEGRAM_BOT_TOKEN: token }),
    orphan({ BOT_TOKEN: otherSameId, OTHER: `${token}X` }, '', `7${token}`),
  ]);
  const own = await spawnChild({ command: nodeFixture('idle.mjs'), env: { ...process.env, BOT_TOKEN: token } });
  reaper.pid(own.pid);
  await collect(own.stdout).waitFor(/ready/);

  const holders = await until(
    'all four holders to be visible',
    async () => {
      const h = await findTokenHolders(token, { excludePids: [excluded] });
      return [inEnv, inArgv, managed].every((p) => h.some((x) => x.pid === p)) ? h : undefined;
    },
    5_000,
  );
  const byPid = new Map(holders.map((h) => [h.pid, h]));
  assert.equal(byPid.get(inEnv)?.via, 'env');
  assert.equal(byPid.get(inEnv)?.managedBy, undefined);
  assert.equal(byPid.get(inArgv)?.via, 'cmdline');
  assert.equal(byPid.get(managed)?.managedBy, 'inst-test-42');
  assert.ok(!byPid.has(excluded), 'excludePids honoured');
  assert.ok(!byPid.has(nearMiss), 'a different secret, a longer token or a prefixed one is not this token');
  assert.ok(!byPid.has(own.pid as number), 'our own child is not a conflict');
  assert.ok(!byPid.has(process.pid));
  assert.deepEqual([...byPid.keys()].sort(), [inEnv, inArgv, managed].sort(), 'nothing unrelated matched');

  const cmd = byPid.get(inArgv)?.command ?? '';
  assert.ok(!cmd.includes(secret), `command not redacted: ${cmd}`);
  assert.match(cmd, new RegExp(`idle\\.mjs\\s+--token=${id}:<redacted>`));
  for (const h of holders) assert.ok(h.command.length <= 200);
});

test('a token shorter than 8 characters matches nothing (never a broad match)', async () => {
  assert.deepEqual(await findTokenHolders('node'), []);
});
