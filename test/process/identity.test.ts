// process/identity and process/liveness: start times that tell a pid's current process from an earlier one, liveness, /proc parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSameProcess, parseProcStatStartTime, processStartTime } from '../../src/process/identity.js';
import { isProcessAlive } from '../../src/process/liveness.js';
import { eventually } from '../helpers/wait.js';

test('parseProcStatStartTime counts fields from the last ")" (comm with spaces and parens)', () => {
  const tail = 'S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 424242 19 20 21';
  assert.equal(parseProcStatStartTime(`123 (node) ${tail}`), '424242');
  assert.equal(parseProcStatStartTime(`123 (a b) (c) d) ${tail}`), '424242');
  assert.equal(parseProcStatStartTime(`123 ()) ${tail}`), '424242');
  assert.equal(parseProcStatStartTime('garbage'), null);
  assert.equal(parseProcStatStartTime('1 (x) S 1 2'), null);
});

test('our own start time is known and stable; we are alive and the same process', async () => {
  const a = await processStartTime(process.pid);
  assert.ok(a, 'start time of the current process');
  assert.equal(await processStartTime(process.pid), a);
  assert.equal(isProcessAlive(process.pid), true);
  assert.equal(await isSameProcess(process.pid, a), true);
  assert.equal(await isSameProcess(process.pid, null), true);
  // Same pid, different start time: a reused pid is NOT the same process.
  assert.equal(await isSameProcess(process.pid, `${a}1`), false);
});

test('a process that exited: no start time, not alive, not the same', async () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], { stdio: 'ignore' });
  const pid = child.pid!;
  const start = await processStartTime(pid);
  assert.ok(start);
  assert.notEqual(start, await processStartTime(process.pid));
  assert.equal(await isSameProcess(pid, start), true);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  assert.equal(isProcessAlive(pid), false);
  assert.equal(await processStartTime(pid), null);
  assert.equal(await isSameProcess(pid, start), false);
  assert.equal(isProcessAlive(0), false);
  assert.equal(isProcessAlive(-5), false);
  assert.equal(await processStartTime(-1), null);
});

test('a process whose name holds spaces and parentheses (Linux)', { skip: process.platform !== 'linux' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bw-comm-'));
  try {
    const weird = join(dir, 'x) (y z');
    await symlink('/bin/sleep', weird);
    const child = spawn(weird, ['10'], { stdio: 'ignore' });
    try {
      // Until the exec, /proc shows node's name for the child: wait for the command's own.
      await eventually('the child to exec `x) (y z` (its /proc stat names it)', async () => (await readFile(`/proc/${child.pid!}/stat`, 'utf8')).includes('(x) (y z)'));
      const start = await processStartTime(child.pid!);
      assert.match(start ?? '', /^\d+$/);
      assert.equal(await isSameProcess(child.pid!, start), true);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an unreaped zombie counts as gone: a dead holder whose parent never reaps it does not block a takeover', { skip: process.platform !== 'linux' && 'zombie state is read from /proc' }, async () => {
  // `sleep 5` (exec-ed by sh) is the parent of the background `sleep 0.05` and never reaps it: a zombie.
  const parent = spawn('sh', ['-c', 'sleep 0.05 & exec sleep 5'], { stdio: 'ignore' });
  try {
    let zombie: number | undefined;
    let start: string | null = null;
    for (let i = 0; i < 500 && zombie === undefined; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const kids = (await readFile(`/proc/${parent.pid!}/task/${parent.pid!}/children`, 'utf8').catch(() => '')).trim();
      for (const k of kids.split(' ').filter(Boolean)) {
        const stat = await readFile(`/proc/${k}/stat`, 'utf8').catch(() => '');
        if (/\) Z /.test(stat)) {
          zombie = Number(k);
          start = parseProcStatStartTime(stat);
        }
      }
    }
    assert.ok(zombie !== undefined, 'a zombie appeared');
    assert.doesNotThrow(() => process.kill(zombie as number, 0), 'the pid still exists (a zombie, not gone)');
    assert.equal(isProcessAlive(zombie), false);
    assert.equal(await isSameProcess(zombie, start), false);
  } finally {
    const exited = new Promise((r) => parent.once('exit', r));
    parent.kill('SIGKILL');
    await exited;
  }
});
