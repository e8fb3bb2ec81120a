// The status page's actions secret: a generated 0600 file in a 0700 directory, removed again, compared in constant time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { actionsSecretPath, newActionsSecret, removeActionsSecretFile, writeActionsSecretFile } from '../../src/health/page/index.js';
import { secretMatches } from '../../src/health/page/actions.js';
import { inTempDir } from '../helpers/fleet.js';

test('a generated secret: 0600 file in a 0700 directory, removed again; compared in constant time', () => {
  inTempDir((dir) => {
    const secret = newActionsSecret();
    assert.ok(secret.length >= 32);
    assert.notEqual(newActionsSecret(), secret);
    const file = writeActionsSecretFile(actionsSecretPath(dir, 42, 'host/odd name'), secret);
    assert.equal(path.dirname(file), path.join(dir, 'instances'));
    assert.match(path.basename(file), /^42\.host_odd_name\.actions-secret$/);
    assert.equal(readFileSync(file, 'utf8').trim(), secret);
    if (process.platform !== 'win32') {
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
    }
    removeActionsSecretFile(file);
    removeActionsSecretFile(file);
    assert.throws(() => statSync(file));
    assert.equal(secretMatches(secret, secret), true);
    assert.equal(secretMatches(secret.slice(0, -1), secret), false);
    assert.equal(secretMatches('', secret), false);
  });
});
