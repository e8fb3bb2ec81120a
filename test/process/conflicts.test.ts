// findTokenHolders: processes holding the exact token in env or argv are found with the right pid, managed ones
// name their instance, near-misses and our own children are not reported, commands are redacted; each holder's role
// (the one definition of a conflict that run and doctor share) from real and from given process tables.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { conflictsAmong, findTokenHolders, holdsToken } from '../../src/process/conflicts.js';
import type { ProcessEntry } from '../../src/process/table.js';
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

/** A process table as macOS or Windows give it: command lines, no environments. */
function entry(pid: number, ppid: number, command: string): ProcessEntry {
  return { pid, ppid, args: command.split(' ') };
}

test('roles from a table without environments (macOS, Windows): instance records, their trees, shells, tmux, a stray bot', async () => {
  const token = '4242:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
  const table = [
    entry(1, 0, 'init'),
    entry(100, 1, 'node C:\\bw\\dist\\bin\\botwarden.js run -- node bot.js'), // an instance: the token is in its environment only
    entry(101, 100, `node bot.js --token=${token}`), // its bot, told the token on its command line
    entry(102, 101, `helper --token ${token}`), // a helper the bot started
    entry(200, 1, `node other-botwarden.js run --token-file x`), // not a holder, not recorded
    entry(300, 1, `C:\\Windows\\System32\\cmd.exe /c set BOT_TOKEN=${token}`),
    entry(301, 1, `-bash --token=${token}`),
    entry(302, 1, `tmux new -e BOT_TOKEN=${token}`),
    entry(400, 1, `python3 bot.py ${token}`), // a stray copy
    entry(500, 1, `python3 bot.py ${token}X`), // a longer secret: not this token
  ];
  const holders = await findTokenHolders(token, { table, instances: [{ pid: 100, instanceId: 'inst-a' }] });
  const role = new Map(holders.map((h) => [h.pid, [h.role, h.managedBy, h.via].join(' ')]));
  assert.deepEqual(Object.fromEntries(role), {
    100: 'botwarden inst-a instance-record',
    101: 'managed inst-a cmdline',
    102: 'managed inst-a cmdline',
    300: 'pass-through  cmdline',
    301: 'pass-through  cmdline',
    302: 'pass-through  cmdline',
    400: 'conflict  cmdline',
  });
  assert.deepEqual(conflictsAmong(holders).map((h) => h.pid), [400]);
  for (const h of holders) assert.ok(!h.command.includes('BBBBBBBBBBBBBBBBBBB'), `not redacted: ${h.command}`);
  // Without the record, the instance (token only in its environment) is invisible here, and so is what makes its bot managed.
  const blind = await findTokenHolders(token, { table });
  assert.equal(blind.find((h) => h.pid === 101)?.role, 'conflict');
  assert.equal(blind.find((h) => h.pid === 100), undefined);
});

test('roles with environments (Linux): BOTWARDEN_INSTANCE, a `botwarden run` command line and its descendants are managed', async () => {
  const token = '4243:CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC';
  const env = (...kv: string[]): string => [...kv, 'PATH=/usr/bin'].join('\0');
  const table: ProcessEntry[] = [
    { pid: 10, ppid: 1, args: ['node', '/usr/lib/node_modules/botwarden/dist/bin/botwarden.js', 'run', '--', 'python', 'bot.py'], environ: env(`BOT_TOKEN=${token}`) },
    { pid: 11, ppid: 10, args: ['esbuild', '--service'], environ: env(`BOT_TOKEN=${token}`) }, // a helper without BOTWARDEN_INSTANCE
    { pid: 12, ppid: 1, args: ['python', 'bot.py'], environ: env(`BOT_TOKEN=${token}`, 'BOTWARDEN_INSTANCE=inst-b') }, // reparented orphan
    { pid: 13, ppid: 1, args: ['tmux'], environ: env(`BOT_TOKEN=${token}`) },
    { pid: 14, ppid: 13, args: ['bash'], environ: env(`BOT_TOKEN=${token}`) },
    { pid: 15, ppid: 14, args: ['python', 'bot.py'], environ: env(`BOT_TOKEN=${token}`) }, // started by hand in that tmux
  ];
  const holders = await findTokenHolders(token, { table });
  assert.deepEqual(
    holders.map((h) => `${h.pid} ${h.role} ${h.via}`),
    ['10 botwarden env', '11 managed env', '12 managed env', '13 pass-through env', '14 pass-through env', '15 conflict env'],
  );
  assert.equal(holders.find((h) => h.pid === 12)?.managedBy, 'inst-b');
});
