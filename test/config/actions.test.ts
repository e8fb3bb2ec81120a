// `--health-allow-actions` and BOTWARDEN_ACTIONS_SECRET in run's configuration: off by default, never the token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolveRunConfig } from '../../src/config/index.js';
import { BotwardenError } from '../../src/errors.js';
import { inTempDir } from '../helpers/fleet.js';

const TOKEN = '123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQr';

test('actions are off by default; on by flag or config key', () => {
  inTempDir((dir) => {
    const env = { BOT_TOKEN: TOKEN, HOME: dir };
    const off = resolveRunConfig({}, ['bot'], { env, cwd: dir });
    assert.equal(off.healthAllowActions, false);
    assert.equal(off.actionsSecret, undefined);
    assert.equal(resolveRunConfig({ healthAllowActions: true }, ['bot'], { env, cwd: dir }).healthAllowActions, true);
    writeFileSync(path.join(dir, 'botwarden.config.json'), JSON.stringify({ healthAllowActions: true }));
    assert.equal(resolveRunConfig({}, ['bot'], { env, cwd: dir }).healthAllowActions, true);
    writeFileSync(path.join(dir, 'botwarden.config.json'), JSON.stringify({ healthAllowActions: 'yes' }));
    assert.throws(() => resolveRunConfig({}, ['bot'], { env, cwd: dir }), /healthAllowActions/);
  });
});

test('BOTWARDEN_ACTIONS_SECRET is taken, and kept out of the bot environment', () => {
  inTempDir((dir) => {
    const c = resolveRunConfig({ healthAllowActions: true }, ['bot'], { env: { BOT_TOKEN: TOKEN, HOME: dir, BOTWARDEN_ACTIONS_SECRET: ' a-long-enough-secret-1234 ' }, cwd: dir });
    assert.equal(c.actionsSecret, 'a-long-enough-secret-1234');
    assert.equal(c.baseEnv['BOTWARDEN_ACTIONS_SECRET'], undefined);
    assert.equal(c.baseEnv['BOT_TOKEN'], TOKEN, 'the rest of the environment is still inherited');
  });
});

test('a secret that is (part of) the token, or too short, is refused without echoing it', () => {
  inTempDir((dir) => {
    const secretPart = TOKEN.split(':')[1]!;
    for (const bad of [TOKEN, secretPart, secretPart.slice(3, 25), `x${TOKEN}x`, 'short', 'has spaces in it, sixteen+']) {
      assert.throws(
        () => resolveRunConfig({ healthAllowActions: true }, ['bot'], { env: { BOT_TOKEN: TOKEN, HOME: dir, BOTWARDEN_ACTIONS_SECRET: bad }, cwd: dir }),
        (err: unknown) => {
          assert.ok(err instanceof BotwardenError && err.code === 'ACTIONS_SECRET', String(err));
          assert.ok(!`${err.message} ${err.hint ?? ''}`.includes(bad), `the value is echoed: ${err.message}`);
          return true;
        },
        bad,
      );
    }
  });
});
