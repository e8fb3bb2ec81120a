// Local conflicts: an unmanaged process holding the token stops preflight (exit 7) unless --takeover; a bot orphaned
// by a botwarden killed with -9 is found through the state file and stopped without asking; doctor and run call the
// same processes conflicts.
import { execFileSync, spawn } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnCli, spawnProcess } from '../helpers/cli.js';
import { RAW_ECHO, isProcessAlive, startInstance, tempStateDir, emulatorForFile } from '../helpers/fleet.js';
import { eventually } from '../helpers/wait.js';

const emu = emulatorForFile();

test('an unmanaged process with the token: exit 7 naming its pid; --takeover stops it', async () => {
  const bot = await emu.createBot();
  const state = tempStateDir();
  const stray = spawnProcess(process.execPath, ['-e', 'console.log("stray up"); setInterval(() => {}, 1000)'], { env: { BOT_TOKEN: bot.token } });
  try {
    await stray.waitFor(/stray up/, 20_000);
    const refused = await startInstance({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: [process.execPath, RAW_ECHO], waitForHealth: false });
    assert.equal(await refused.exited(), 7, refused.stderr());
    assert.match(refused.stderr(), new RegExp(`pid ${stray.child.pid}`));
    assert.match(refused.stderr(), /--takeover/);
    assert.ok(isProcessAlive(stray.child.pid as number), 'must not stop anything without --takeover');

    const bw = await startInstance({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: [process.execPath, RAW_ECHO], args: ['--takeover', '--stop-timeout', '1000'] });
    try {
      await bw.waitFor(/ready pid/, 15_000);
      assert.notEqual(await stray.exited(), 'unknown');
      assert.ok(!isProcessAlive(stray.child.pid as number));
    } finally {
      await bw.stop();
    }
  } finally {
    await stray.stop();
    state.remove();
  }
});

test('after kill -9 of botwarden, the next start stops the orphaned bot and takes the lock at once', async () => {
  const bot = await emu.createBot();
  const state = tempStateDir();
  // A 60 s lease: "at once" is then anything well under it, however slow the machine.
  const first = await startInstance({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, ttlMs: 60_000, command: [process.execPath, RAW_ECHO] });
  let orphan = 0;
  try {
    await first.waitFor(/ready pid/, 15_000);
    orphan = (await first.status()).child.pid as number;
    first.child.kill('SIGKILL');
    await first.exited();
    assert.ok(isProcessAlive(orphan), 'the bot survives its botwarden (own process group)');
    const t0 = Date.now();
    const second = await startInstance({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, ttlMs: 60_000, command: [process.execPath, RAW_ECHO] });
    try {
      await second.waitFor(/ready pid/, 15_000);
      assert.match(second.stderr(), new RegExp(`orphaned bot process \\(pid ${orphan}\\)`));
      assert.ok(!isProcessAlive(orphan), 'orphan stopped');
      assert.equal((await second.status()).role, 'leader');
      assert.ok(Date.now() - t0 < 30_000, "the dead holder did not block the lock (its 60 s lease was not waited out)");
      await emu.sendText(bot.id, 'after orphan');
      await eventually('reply', async () => (await emu.sent(bot.id)).find((m) => m.text === 'echo: after orphan'));
    } finally {
      await second.stop();
    }
  } finally {
    if (orphan && isProcessAlive(orphan)) process.kill(orphan, 'SIGKILL');
    state.remove();
  }
});

test('doctor and run judge local processes by one definition: a shell, a tmux and a botwarden with its bot are not conflicts; a stray bot is, for both', { skip: process.platform !== 'linux' && 'environments are read from /proc' }, async (t) => {
  const bot = await emu.createBot();
  const state = tempStateDir();
  t.after(() => state.remove());
  const env = { ...process.env, BOT_TOKEN: bot.token };
  // A shell that got the token exported to it, waiting at a prompt (no child of its own).
  const shell = spawn('sh', ['-c', 'read line'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
  t.after(() => shell.kill('SIGKILL'));
  // A tmux server started from that shell: it keeps the environment for new windows (its pane is a shell too).
  const socket = `bw-test-${process.pid}-${bot.id}`;
  const tmux = hasTmux();
  if (tmux) {
    execFileSync('tmux', ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'bw', 'read line'], { env, stdio: 'ignore' });
    t.after(() => {
      try {
        execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    });
  } else {
    t.diagnostic('tmux is not installed: the tmux case is covered by test/process/conflicts.test.ts only');
  }
  const first = await startInstance({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: [process.execPath, RAW_ECHO] });
  t.after(() => first.stop());
  await first.waitFor(/ready pid/, 15_000);
  const firstBot = (await first.status()).child.pid as number;

  const doctor = async (): Promise<{ code: number | string; findings: Array<{ id: string; ok: boolean; pid?: number }> }> => {
    const d = spawnCli(['doctor', '--api-root', emu.url, '--state-dir', state.dir, '--probe', 'off', '--json'], { env: { BOT_TOKEN: bot.token } });
    const code = await d.exited();
    return { code, findings: JSON.parse(d.stdout()) as Array<{ id: string; ok: boolean; pid?: number }> };
  };
  const idsOf = (findings: Array<{ id: string; pid?: number }>): Map<number, string> => new Map(findings.filter((f) => f.pid !== undefined).map((f) => [f.pid as number, f.id]));

  const calm = await doctor();
  assert.equal(calm.code, 0, JSON.stringify(calm.findings));
  const calmIds = idsOf(calm.findings);
  assert.equal(calmIds.get(shell.pid as number), 'local-process-pass-through');
  assert.equal(calmIds.get(first.child.pid as number), 'local-process-managed');
  assert.equal(calmIds.get(firstBot), 'local-process-managed');
  if (tmux) {
    const server = tmuxServerPid(socket);
    assert.equal(calmIds.get(server), 'local-process-pass-through', `tmux server pid ${server}: ${JSON.stringify(calm.findings)}`);
  }
  assert.ok(!calm.findings.some((f) => f.id === 'local-process'), JSON.stringify(calm.findings));
  // run agrees: a second instance starts (as standby) instead of exiting 7.
  const second = await startInstance({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: [process.execPath, RAW_ECHO] });
  try {
    await second.waitFor(/standby/, 15_000);
    assert.doesNotMatch(second.stderr(), /outside botwarden/);
  } finally {
    await second.stop();
  }

  // A stray copy of the bot: a conflict for both, and the only one.
  const stray = spawnProcess(process.execPath, ['-e', 'console.log("stray up"); setInterval(() => {}, 1000)'], { env: { BOT_TOKEN: bot.token } });
  t.after(() => stray.stop());
  await stray.waitFor(/stray up/, 20_000);
  const alarmed = await doctor();
  assert.equal(alarmed.code, 1);
  const doctorConflicts = alarmed.findings.filter((f) => f.id === 'local-process').map((f) => f.pid);
  assert.deepEqual(doctorConflicts, [stray.child.pid]);
  const refused = await startInstance({ token: bot.token, apiRoot: emu.url, stateDir: state.dir, command: [process.execPath, RAW_ECHO], waitForHealth: false });
  assert.equal(await refused.exited(), 7, refused.stderr());
  const runConflicts = [...refused.stderr().matchAll(/pid (\d+): /g)].map((m) => Number(m[1]));
  assert.deepEqual([...new Set(runConflicts)], [stray.child.pid]);
});

function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The pid of the tmux server on `socket` (its command line names the socket). */
function tmuxServerPid(socket: string): number {
  return Number(execFileSync('tmux', ['-L', socket, 'display-message', '-p', '#{pid}'], { encoding: 'utf8' }).trim());
}
