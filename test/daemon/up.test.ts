// `botwarden up` on one host: every valid bot runs in one process, invalid ones are named with their reason, one
// bot's failure never touches another, each child sees only its own token; ls, logs, restart/stop/start, reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EXAMPLES, RAW_ECHO, tempStateDir, emulatorForFile } from '../helpers/fleet.js';
import { eventually } from '../helpers/wait.js';
import { cli, startUp, writeConfig } from '../helpers/botwarden-up.js';

const GRAMMY = path.join(EXAMPLES, 'grammy.mjs');
const emu = emulatorForFile();

async function replied(botId: number, text: string): Promise<boolean> {
  return (await emu.sent(botId)).some((m) => m.text === `echo: ${text}`);
}

test('up: valid bots run side by side, invalid ones are named, failures stay isolated; ls, logs, restart, stop, start, reload, SIGTERM', async () => {
  const [alpha, beta, delta, envBot, eps] = await Promise.all(['up_alpha_bot', 'up_beta_bot', 'up_delta_bot', 'up_env_bot', 'up_eps_bot'].map((u) => emu.createBot(u)));
  await emu.revoke(delta!.id);
  const state = tempStateDir();
  const envOut = path.join(state.dir, 'env.json');
  writeFileSync(path.join(state.dir, 'alpha.token'), `${alpha!.token}\n`);
  const envDump = `require('fs').writeFileSync(${JSON.stringify(envOut)}, JSON.stringify(Object.entries(process.env).filter(([,v]) => /\\d+:[\\w-]{30,}/.test(v)).map(([k, v]) => [k, v])));setInterval(() => {}, 1e6)`;
  const bots = [
    { name: 'alpha', command: [process.execPath, RAW_ECHO], tokenFile: 'alpha.token' },
    { name: 'beta', command: [process.execPath, GRAMMY], tokenEnv: 'UP_BETA_TOKEN', env: { POLL_TIMEOUT_S: '1' } },
    { name: 'gamma', command: 'node x.js', tokenEnv: 'UP_NOT_SET_TOKEN' },
    { name: 'delta', command: [process.execPath, RAW_ECHO], tokenEnv: 'UP_DELTA_TOKEN' },
    { name: 'envcheck', command: [process.execPath, '-e', envDump], tokenEnv: 'UP_ENV_TOKEN' },
  ];
  const base = { apiRoot: emu.url, leaseTtl: '3s', stopTimeout: '3s' };
  const config = writeConfig(state.dir, { ...base, bots });
  const env = { UP_BETA_TOKEN: beta!.token, UP_DELTA_TOKEN: delta!.token, UP_ENV_TOKEN: envBot!.token, UP_EPS_TOKEN: eps!.token };
  const up = await startUp({ config, stateDir: state.dir, env });
  try {
    const s = await eventually(
      'alpha, beta and envcheck lead; delta failed',
      async () => {
        const st = await up.status();
        const by = new Map(st.bots.map((b) => [b.name, b]));
        return by.get('alpha')?.role === 'leader' && by.get('beta')?.role === 'leader' && by.get('envcheck')?.role === 'leader' && by.get('delta')?.state === 'failed' ? st : undefined;
      },
      30_000,
    );
    // ★ shape
    assert.deepEqual(s.bots.map((b) => b.name), ['alpha', 'beta', 'gamma', 'delta', 'envcheck'], 'one entry per bot of the file');
    for (const b of s.bots) {
      assert.equal(typeof b.name, 'string');
      assert.ok('pid' in b.child && 'restarts' in b.child);
      assert.equal(typeof b.conflicts, 'number');
    }
    const alphaEntry = s.bots.find((b) => b.name === 'alpha')!;
    assert.equal(alphaEntry.bot.id, alpha!.id);
    assert.equal(alphaEntry.bot.username, 'up_alpha_bot');
    assert.equal(alphaEntry.lease.holder?.pid, up.child.pid);
    assert.equal(s.bots.find((b) => b.name === 'delta')!.exitCode, 3, 'a rejected token is exit code 3 for that bot');
    assert.deepEqual(s.invalid.map((i) => i.name), ['gamma']);
    assert.match(s.invalid[0]!.reason, /UP_NOT_SET_TOKEN/);
    assert.match(up.stderr(), /gamma.*UP_NOT_SET_TOKEN/);
    assert.match(up.stderr(), /\[delta\].*(rejected|401|Unauthorized)/i);

    // Both polling bots answer; nothing of any token in botwarden's output.
    await emu.sendText(alpha!.id, 'a1');
    await emu.sendText(beta!.id, 'b1');
    await eventually('alpha and beta answer', async () => (await replied(alpha!.id, 'a1')) && (await replied(beta!.id, 'b1')), 20_000);

    // A child sees its own token only (as BOT_TOKEN), none of the other bots'.
    const seen = await eventually('env dump', () => {
      try {
        return JSON.parse(readFileSync(envOut, 'utf8')) as Array<[string, string]>;
      } catch {
        return undefined;
      }
    });
    assert.deepEqual(seen.map(([k]) => k), ['BOT_TOKEN']);
    assert.equal(seen[0]![1], envBot!.token);

    // ls --json: the same array
    const ls = await cli(['ls', '--state-dir', state.dir, '--json']);
    assert.equal(ls.code, 0, ls.stderr);
    const rows = JSON.parse(ls.stdout) as Array<{ name: string; role: string }>;
    assert.deepEqual(rows.map((r) => r.name).sort(), ['alpha', 'beta', 'delta', 'envcheck', 'gamma']);
    assert.equal(rows.find((r) => r.name === 'gamma')!.role, 'stopped');
    const table = await cli(['ls', '--state-dir', state.dir]);
    assert.match(table.stdout, /^BOT\s+ROLE\s+LEADER/m);
    assert.match(table.stdout, /alpha \(@up_alpha_bot\)\s+leader/);

    // metrics carry a bot label
    const metrics = await (await fetch(`${up.healthUrl}/metrics`)).text();
    assert.match(metrics, /botwarden_leader\{bot="alpha"\} 1/);
    assert.match(metrics, /botwarden_leader\{bot="beta"\} 1/);

    // logs: the bot's output, redacted, by name
    const logs = await cli(['logs', 'alpha', '--state-dir', state.dir, '--lines', '20']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /ready pid \d+/);
    assert.ok(!logs.stdout.includes(alpha!.token.split(':')[1]!));

    // restart alpha: a new process; beta untouched
    const betaPid = (await up.status()).bots.find((b) => b.name === 'beta')!.child.pid;
    const alphaPid = alphaEntry.child.pid;
    const r = await cli(['restart', 'alpha', '--state-dir', state.dir]);
    assert.equal(r.code, 0, r.stderr);
    await eventually('alpha restarted', async () => {
      const a = (await up.status()).bots.find((b) => b.name === 'alpha')!;
      return a.child.pid !== null && a.child.pid !== alphaPid;
    });
    // stop alpha: released; beta still answers; start alpha: answers again
    const st = await cli(['stop', 'alpha', '--state-dir', state.dir]);
    assert.equal(st.code, 0, st.stderr);
    const afterStop = (await up.status()).bots;
    assert.equal(afterStop.find((b) => b.name === 'alpha')!.role, 'stopped');
    assert.equal(afterStop.find((b) => b.name === 'beta')!.child.pid, betaPid);
    await emu.sendText(beta!.id, 'b2');
    await eventually('beta answers while alpha is stopped', () => replied(beta!.id, 'b2'), 20_000);
    const a2 = await emu.sendText(alpha!.id, 'a2');
    const go = await cli(['start', 'alpha', '--state-dir', state.dir]);
    assert.equal(go.code, 0, go.stderr);
    await eventually('alpha answers the update sent while it was stopped', () => replied(alpha!.id, 'a2'), 20_000);
    assert.ok(a2 > 0);
    const unknown = await cli(['restart', 'nope', '--state-dir', state.dir]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no bot named "nope"/);

    // reload: beta removed, eps added, alpha changed, envcheck untouched
    const envPid = (await up.status()).bots.find((b) => b.name === 'envcheck')!.child.pid;
    const alphaPid2 = (await up.status()).bots.find((b) => b.name === 'alpha')!.child.pid;
    writeConfig(state.dir, {
      ...base,
      bots: [
        { ...bots[0], restart: 'on-failure' },
        bots[4],
        { name: 'eps', command: [process.execPath, RAW_ECHO], tokenEnv: 'UP_EPS_TOKEN' },
      ],
    });
    const rl = await cli(['reload', '--state-dir', state.dir]);
    assert.equal(rl.code, 0, rl.stderr);
    assert.match(rl.stdout, /started:\s+eps/);
    assert.match(rl.stdout, /restarted:\s+alpha/);
    assert.match(rl.stdout, /stopped:\s+beta, gamma, delta/);
    assert.match(rl.stdout, /unchanged:\s+envcheck/);
    const afterReload = await eventually('eps leads', async () => {
      const x = await up.status();
      return x.bots.find((b) => b.name === 'eps')?.role === 'leader' ? x : undefined;
    }, 20_000);
    assert.deepEqual(afterReload.bots.map((b) => b.name).sort(), ['alpha', 'envcheck', 'eps']);
    assert.equal(afterReload.bots.find((b) => b.name === 'envcheck')!.child.pid, envPid, 'an unchanged bot is left alone');
    assert.notEqual(afterReload.bots.find((b) => b.name === 'alpha')!.child.pid, alphaPid2, 'a changed bot restarts');
    await emu.sendText(eps!.id, 'e1');
    await eventually('eps answers', () => replied(eps!.id, 'e1'), 20_000);

    // SIGTERM: everything stops, exit 0; no 409 anywhere; no token in the output
    up.child.kill('SIGTERM');
    assert.equal(await up.exited(), 0, up.stderr());
    for (const b of [alpha!, beta!, envBot!, eps!]) assert.equal((await emu.stats(b.id)).conflicts, 0);
    for (const b of [alpha!, beta!, delta!, envBot!, eps!]) {
      const secret = b.token.split(':')[1]!;
      assert.ok(!up.stdout().includes(secret) && !up.stderr().includes(secret), 'no token in the output');
    }
  } finally {
    await up.stop();
    state.remove();
  }
});

test('up: no valid bot → exit 2, each named', async () => {
  const state = tempStateDir();
  try {
    const config = writeConfig(state.dir, { bots: [{ name: 'one', command: 'node a.js', tokenEnv: 'UP_NONE_1' }, { name: 'Bad Name', command: 'x' }] });
    const r = await cli(['up', '--config', config, '--state-dir', state.dir]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /one.*UP_NONE_1/);
    assert.match(r.stderr, /Bad Name/);
  } finally {
    state.remove();
  }
});
