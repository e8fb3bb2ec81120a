// util/atomic-write: the final mode from the first byte, the old file replaced whole, no temp file left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic, writeFileAtomicSync } from '../../src/util/atomic-write.js';
import { tempDirFor } from '../helpers/fleet.js';

const posix = process.platform !== 'win32';

const modeOf = (file: string): number => statSync(file).mode & 0o777;

test('async: 0600 by default, replaces the old content, leaves no temp file', async (t) => {
  const dir = tempDirFor(t);
  const file = path.join(dir, 'secret');
  writeFileSync(file, 'old content that is longer', { mode: 0o644 });
  await writeFileAtomic(file, 'new');
  assert.equal(readFileSync(file, 'utf8'), 'new');
  if (posix) assert.equal(modeOf(file), 0o600);
  assert.deepEqual(readdirSync(dir), ['secret']);
});

test('sync: creates missing folders with dirMode; an explicit mode is applied despite the umask', { skip: !posix }, (t) => {
  const dir = tempDirFor(t);
  const file = path.join(dir, 'a', 'b', 'unit.service');
  const old = process.umask(0o077);
  try {
    writeFileAtomicSync(file, 'x', { mode: 0o644, dirMode: 0o700 });
  } finally {
    process.umask(old);
  }
  assert.equal(readFileSync(file, 'utf8'), 'x');
  assert.equal(modeOf(file), 0o644);
  assert.equal(modeOf(path.join(dir, 'a', 'b')), 0o700);
});

test("mode 'umask' leaves the process umask in charge (files a shared state folder's readers need)", { skip: !posix }, async (t) => {
  const dir = tempDirFor(t);
  const file = path.join(dir, 'lease.json');
  const old = process.umask(0o022);
  try {
    await writeFileAtomic(file, '{}', { mode: 'umask' });
  } finally {
    process.umask(old);
  }
  assert.equal(modeOf(file), 0o644);
});

test('a failed write throws and removes its temp file', async (t) => {
  const dir = tempDirFor(t);
  const target = path.join(dir, 'is-a-dir');
  await writeFileAtomic(path.join(target, 'x'), 'x', { dirMode: 0o700 });
  // Renaming a file over a non-empty directory fails on every platform.
  await assert.rejects(writeFileAtomic(target, 'y'));
  assert.throws(() => writeFileAtomicSync(target, 'y'));
  assert.deepEqual(readdirSync(dir), ['is-a-dir']);
  // Without dirMode a missing parent is an error, not a silent mkdir.
  await assert.rejects(writeFileAtomic(path.join(dir, 'missing', 'f'), 'z'), /ENOENT/);
});
