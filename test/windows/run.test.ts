// botwarden on Windows: the real node.exe under Wine runs botwarden and a node.exe echo bot against the
// emulator (on Linux). Skipped unless scripts/windows-under-wine.sh runs it (see test/windows/wine.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SKIP, botwardenOnce, runEchoBot, winPath, sendAndAwaitEchoes, withSetup } from './wine.js';

const opts = { skip: SKIP, timeout: 240_000 };
// The handover under test is the graceful one (the lease is released at once); a long TTL keeps a leader whose
// renewals a loaded machine delays under Wine from losing the lease to the standby mid-test.
const LONG_TTL = ['--lease-ttl', '60000'];

test('windows: leader answers; Ctrl-C (to botwarden and its bot, as in a console) hands over to the standby; nothing lost, no 409', opts, async () => {
  await withSetup(async (emu, s, started) => {
    const bot = await emu.createBot();
    const a = runEchoBot(s, { token: bot.token, apiRoot: emu.url, name: 'a', args: LONG_TTL });
    started.push(a);
    await a.waitFor(/ready pid \d+/);
    const b = runEchoBot(s, { token: bot.token, apiRoot: emu.url, name: 'b', args: LONG_TTL });
    started.push(b);
    await b.waitFor(/standby/);
    await sendAndAwaitEchoes(emu, bot.id, ['one', 'two']);

    // Ctrl-C in a console reaches every process attached to it: botwarden and its bot at once.
    const leaderBots = s.botProcesses();
    assert.equal(leaderBots.length, 1, 'one bot runs (the standby is cold)');
    await emu.sendText(bot.id, 'as the leader exits');
    a.interrupt();
    for (const pid of leaderBots) process.kill(pid, 'SIGINT');
    await emu.sendText(bot.id, 'during handover');
    assert.equal(await a.exited(), 0, a.output());
    await b.waitFor(/ready pid \d+/);
    await sendAndAwaitEchoes(emu, bot.id, ['as the leader exits', 'during handover', 'three']);
    assert.match(a.output(), /lease released/);

    const stats = await emu.stats(bot.id);
    assert.equal(stats.conflicts, 0, 'the emulator answered no 409');
    b.interrupt();
    assert.equal(await b.exited(), 0, b.output());
    assert.deepEqual(s.processes(), [], 'no bot process left');
  });
});

test('windows: a crashed bot is restarted and the next update is answered', opts, async () => {
  await withSetup(async (emu, s, started) => {
    const bot = await emu.createBot();
    const a = runEchoBot(s, { token: bot.token, apiRoot: emu.url, name: 'a' });
    started.push(a);
    await a.waitFor(/ready pid \d+/);
    await sendAndAwaitEchoes(emu, bot.id, ['crash']);
    await a.waitFor(/bot started \(pid \d+\)[\s\S]*bot started \(pid \d+\)/);
    await sendAndAwaitEchoes(emu, bot.id, ['after the crash']);
    a.interrupt();
    assert.equal(await a.exited(), 0, a.output());
    assert.deepEqual(s.processes(), [], 'no bot process left');
  });
});

test('windows: status and stop through the control endpoint', opts, async () => {
  await withSetup(async (emu, s, started) => {
    const bot = await emu.createBot();
    const a = runEchoBot(s, { token: bot.token, apiRoot: emu.url, name: 'a' });
    started.push(a);
    await a.waitFor(/ready pid \d+/);
    const status = await botwardenOnce(['status', '--state-dir', winPath(s.stateDir)], { dir: s.dir, name: 'status' });
    assert.equal(status.code, 0, status.output);
    assert.match(status.output, /role: leader/);
    assert.ok(!status.output.includes(bot.token.split(':')[1] ?? '?'), 'no token in status output');
    const stop = await botwardenOnce(['stop', '--state-dir', winPath(s.stateDir)], { dir: s.dir, name: 'stop' });
    assert.equal(stop.code, 0, stop.output);
    assert.match(stop.output, /stopped 1 instance/);
    assert.equal(await a.exited(), 0, a.output());
    assert.deepEqual(s.processes(), [], 'no bot process left');
  });
});

test('windows: service install --dry-run writes a .cmd task wrapper with %, " and & quoted, and pins the state dir', opts, async () => {
  await withSetup(async (emu, s) => {
    const bot = await emu.createBot();
    const r = await botwardenOnce(
      ['service', 'install', '--dry-run', '--', 'C:\\Bots\\my bot.exe', '50% & "more"'],
      { dir: s.dir, name: 'service', env: { BOT_TOKEN: bot.token } },
    );
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /"C:\\Bots\\my bot\.exe" "50%% & ""more"""/);
    // The task runs as SYSTEM: it gets the installing user's state dir (%LOCALAPPDATA%\botwarden), and the
    // printed hint names the same folder, so `botwarden status`/`stop` from the user's shell find it.
    const pinned = /"--state-dir" "([^"]+\\AppData\\Local\\botwarden)"/.exec(r.output);
    assert.ok(pinned?.[1], r.output);
    assert.ok(r.output.includes(`botwarden status --state-dir "${pinned[1]}"`), r.output);
    assert.match(r.output, /schtasks \/Create/);
    assert.ok(!r.output.includes(bot.token.split(':')[1] ?? '?'), 'no token in the output');
  });
});
