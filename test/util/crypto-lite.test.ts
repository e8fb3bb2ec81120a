import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constantTimeEqual, randomBytes, randomUUID } from '../../src/util/crypto-lite.js';

test('randomBytes gives the length asked for, and two draws differ', () => {
  const a = randomBytes(24);
  const b = randomBytes(24);
  assert.equal(a.length, 24);
  assert.notDeepEqual(a, b);
  assert.equal(randomBytes(0).length, 0);
});

test('randomUUID is a version 4 UUID and unique', () => {
  const ids = new Set(Array.from({ length: 200 }, () => randomUUID()));
  assert.equal(ids.size, 200);
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('constantTimeEqual: equal bytes only; a prefix, a longer value or one changed byte are unequal', () => {
  const s = Buffer.from('123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0');
  assert.equal(constantTimeEqual(s, Buffer.from(s)), true);
  assert.equal(constantTimeEqual(s, s.subarray(0, 10)), false);
  assert.equal(constantTimeEqual(s.subarray(0, 10), s), false);
  const changed = Buffer.from(s);
  changed.writeUInt8(changed.readUInt8(0) ^ 1, 0);
  assert.equal(constantTimeEqual(s, changed), false);
  assert.equal(constantTimeEqual(Buffer.alloc(0), Buffer.alloc(0)), true);
});
