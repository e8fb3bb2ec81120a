import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeadState, procStatFields, readProcFile, tryReadProcFile } from '../../src/util/procfs.js';

const linux = process.platform === 'linux';

test('reads a /proc file through the shared buffer: our own stat names our pid', { skip: !linux }, () => {
  const stat = readProcFile(`/proc/${process.pid}/stat`);
  assert.ok(stat.startsWith(`${process.pid} (`), stat.slice(0, 40));
});

test('a file larger than the kept buffer is read whole, and a small one after it is not polluted by it', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bw-procfs-'));
  try {
    const big = path.join(dir, 'big');
    const small = path.join(dir, 'small');
    const text = 'x'.repeat(100_000) + 'END';
    writeFileSync(big, text);
    writeFileSync(small, 'tiny');
    assert.equal(readProcFile(big), text);
    assert.equal(readProcFile(small), 'tiny');
    assert.equal(readProcFile(big, 'latin1').length, text.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing file throws ENOENT from readProcFile and gives undefined from tryReadProcFile', () => {
  assert.throws(() => readProcFile('/proc/0/does-not-exist'), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  assert.equal(tryReadProcFile('/proc/0/does-not-exist'), undefined);
});

test('procStatFields counts from the last ")" (a command name with spaces and parentheses); isDeadState: Z and X', () => {
  assert.deepEqual(procStatFields('123 (a b) (c) d) S 1 77 9\n')?.slice(0, 3), ['S', '1', '77']);
  assert.deepEqual(procStatFields('123 ()) Z 4 5')?.slice(0, 2), ['Z', '4']);
  assert.equal(procStatFields('garbage'), undefined);
  assert.ok(isDeadState('Z') && isDeadState('X'));
  assert.ok(!isDeadState('S') && !isDeadState('R') && !isDeadState(undefined));
});
