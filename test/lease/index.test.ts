// createLeaseBackend: --lease URL forms, usage errors naming --lease, descriptions without passwords.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLeaseBackend } from '../../src/lease/index.js';
import { BotwardenError } from '../../src/errors.js';

test('file: forms: default, file:, file:/dir, file:relative, file:// URL', async () => {
  const state = resolve('/tmp/bw-state');
  for (const url of [undefined, '', 'file', 'file:']) {
    const b = createLeaseBackend(url, { stateDir: state });
    assert.equal(b.kind, 'file');
    assert.equal(b.description, `file:${join(state, 'leases')}`);
    await b.close();
  }
  assert.equal(createLeaseBackend('file:/srv/bw', { stateDir: state }).description, `file:${join(resolve('/srv/bw'), 'leases')}`);
  assert.equal(createLeaseBackend('file:rel/dir', { stateDir: state }).description, `file:${join(resolve('rel/dir'), 'leases')}`);
  assert.equal(createLeaseBackend(pathToFileURL('/srv/x y').href, { stateDir: state }).description, `file:${join(resolve('/srv/x y'), 'leases')}`);
});

test('redis and postgres URLs: kind and a description without the password', async () => {
  const r = createLeaseBackend('redis://user:hunter2@127.0.0.1:6390/3', {});
  assert.equal(r.kind, 'redis');
  assert.equal(r.description, 'redis://user@127.0.0.1:6390/3');
  await r.close();
  const p = createLeaseBackend('postgresql://bw:hunter2@db.local:5433/leases?sslmode=disable', {});
  assert.equal(p.kind, 'postgres');
  assert.equal(p.description, 'postgresql://bw@db.local:5433/leases');
  await p.close();
  const p2 = createLeaseBackend('postgres://postgres@127.0.0.1/test', { table: 'my_leases' });
  assert.equal(p2.kind, 'postgres');
  await p2.close();
});

test('bad --lease values: usage errors that name --lease, say what is expected, never show a password', () => {
  const cases: [string, RegExp][] = [
    ['etcd://127.0.0.1:2379', /unknown lease backend "etcd"/],
    ['redis://:hunter2@127.0.0.1:6379/notanumber', /database number/],
    ['not a url', /expected/],
    ['mysql://root:hunter2@localhost/db', /unknown lease backend "mysql"/],
  ];
  for (const [url, re] of cases) {
    assert.throws(
      () => createLeaseBackend(url, {}),
      (err: unknown) => {
        assert.ok(err instanceof BotwardenError, String(err));
        assert.equal(err.code, 'USAGE');
        assert.equal(err.exitCode, 2);
        assert.match(err.message, /^--lease: expected /);
        assert.match(`${err.message} ${err.hint ?? ''}`, re);
        assert.doesNotMatch(`${err.message} ${err.hint ?? ''}`, /hunter2/);
        return true;
      },
      url,
    );
  }
  assert.throws(() => createLeaseBackend('postgres://u@h/db', { table: 'Robert"); DROP' }), /lease table/);
});
