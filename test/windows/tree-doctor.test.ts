// botwarden on Windows: the real node.exe under Wine runs botwarden and a node.exe echo bot against the
// emulator (on Linux). Skipped unless scripts/windows-under-wine.sh runs it (see test/windows/wine.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { eventually } from '../helpers/wait.js';
import { SKIP, WINE_NODE, botwardenOnce, runEchoBot, winPath, sendAndAwaitEchoes, withSetup } from './wine.js';

const opts = { skip: SKIP, timeout: 240_000 };

test('windows: a .cmd launcher bot restarted after a crash leaves no old node.exe behind', opts, async () => {
  await withSetup(async (emu, s, started) => {
    const bot = await emu.createBot();
    const cmd = path.join(s.dir, 'bot.cmd');
    writeFileSync(cmd, `@echo off\r\n"${winPath(WINE_NODE ?? '')}" "${winPath(s.bot)}"\r\n`);
    const a = runEchoBot(s, { token: bot.token, apiRoot: emu.url, name: 'a', command: [winPath(cmd)] });
    started.push(a);
    await a.waitFor(/ready pid \d+/);
    await sendAndAwaitEchoes(emu, bot.id, ['crash']);
    await a.waitFor(/ready pid \d+[\s\S]*ready pid \d+/);
    await emu.sendText(bot.id, 'once');
    await eventually('one echo of "once"', async () => (await emu.sent(bot.id)).some((m) => m.text === 'echo: once'), 60_000);
    a.interrupt();
    assert.equal(await a.exited(), 0, a.output());
    const echoes = (await emu.sent(bot.id)).filter((m) => m.text === 'echo: once');
    assert.equal(echoes.length, 1, 'exactly one bot answered');
    assert.deepEqual(s.processes(), [], 'no bot process left');
  });
});

test('windows: doctor beside a running instance reports it as managed, exits 0, and causes no 409', opts, async () => {
  await withSetup(async (emu, s, started) => {
    const bot = await emu.createBot();
    const a = runEchoBot(s, { token: bot.token, apiRoot: emu.url, name: 'a' });
    started.push(a);
    await a.waitFor(/ready pid \d+/);
    await sendAndAwaitEchoes(emu, bot.id, ['before doctor']);
    const doctor = await botwardenOnce(['doctor', '--api-root', emu.url, '--state-dir', winPath(s.stateDir)], {
      dir: s.dir,
      name: 'doctor',
      env: { BOT_TOKEN: bot.token },
    });
    assert.equal(doctor.code, 0, doctor.output);
    // The scan sees command lines only here; the instance's state file names it (so the probe stays safe).
    assert.match(doctor.output, /pid \d+ is a botwarden instance for this bot/, doctor.output);
    assert.ok(!doctor.output.includes(bot.token.split(':')[1] ?? '?'), 'no token in doctor output');
    await sendAndAwaitEchoes(emu, bot.id, ['after doctor']);
    assert.equal((await emu.stats(bot.id)).conflicts, 0, 'doctor made the emulator answer no 409');
    assert.doesNotMatch(a.output(), /\b409\b/, "the leader saw no 409");
    a.interrupt();
    assert.equal(await a.exited(), 0, a.output());
  });
});
