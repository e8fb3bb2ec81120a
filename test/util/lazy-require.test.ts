// transientRequire: a package loaded for a moment leaves nothing in the require cache once released.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { transientRequire } from '../../src/util/lazy-require.js';

test('transientRequire: release() drops every module of the package from the require cache; the next load is a fresh one', () => {
  const cache = createRequire(import.meta.url).cache;
  const inCache = (): string[] => Object.keys(cache).filter((k) => /[\\/]node_modules[\\/]zod[\\/]/.test(k));
  const before = inCache().length;
  const first = transientRequire('zod');
  assert.equal(typeof (first.exports as { z?: { object?: unknown } }).z?.object, 'function', 'zod loaded');
  assert.ok(inCache().length > before, 'its modules are in the cache while in use');
  first.release();
  assert.deepEqual(inCache(), [], 'none left after release()');
  const second = transientRequire('zod');
  assert.notEqual(second.exports, first.exports, 'a fresh load, not the released one');
  second.release();
  first.release(); // twice: nothing happens
  assert.deepEqual(inCache(), []);
});
