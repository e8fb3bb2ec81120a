import { test } from 'node:test';
import assert from 'node:assert/strict';
import { botIdOf, containsToken, redact, redactKnown } from '../../src/util/redact.js';

const TOKEN = '123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0';

test('redact hides the secret part, keeps the id', () => {
  assert.equal(redact(`token=${TOKEN} end`), 'token=123456789:<redacted> end');
  assert.equal(redact(`https://x/bot${TOKEN}/getMe`), 'https://x/bot123456789:<redacted>/getMe');
  assert.equal(redact(`bot123456789%3AAAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0`), 'bot123456789%3A<redacted>');
});

test('redact leaves non-tokens alone', () => {
  assert.equal(redact('12:30 and 1234:short'), '12:30 and 1234:short');
});

test('containsToken and botIdOf', () => {
  assert.equal(containsToken(`x ${TOKEN}`), true);
  assert.equal(containsToken('nothing here'), false);
  assert.equal(botIdOf(TOKEN), 123456789);
  assert.equal(botIdOf('nope'), undefined);
});

test('redactKnown hides a token of unusual shape', () => {
  assert.equal(redactKnown('a 42:shortsecretvalue b', ['42:shortsecretvalue']), 'a 42:<redacted> b');
});
