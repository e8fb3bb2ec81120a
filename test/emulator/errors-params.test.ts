// Emulator protocol: error envelope and texts, token/path handling, parameter forms (query, urlencoded, JSON, multipart).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { fixture, toRaw } from './helpers.js';

test('error envelope: 404 for malformed token/path, 401 for unknown or revoked token, 404 for an unknown method; status = error_code', async (t) => {
  const f = await fixture(t);
  const get = async (path: string) => toRaw(await fetch(`${f.url}${path}`));
  for (const path of ['/bot123/getMe', '/botTOKEN/getMe', '/botbot123:abc/getMe', '/getMe', '/bot']) {
    const r = await get(path);
    assert.equal(r.status, 404, path);
    assert.equal(r.text, '{"ok":false,"error_code":404,"description":"Not Found"}', path);
  }
  const unknown = await get(`/bot123456:${'A'.repeat(35)}/getMe`);
  assert.equal(unknown.status, 401);
  assert.equal(unknown.text, '{"ok":false,"error_code":401,"description":"Unauthorized"}');
  assert.equal(unknown.headers.get('content-type'), 'application/json');
  const noMethod = await f.call('fooBar');
  assert.deepEqual([noMethod.status, noMethod.body.description], [404, 'Not Found']);
  // An unknown method with a bad token is 401 (the token is checked first).
  assert.equal((await f.call('fooBar', {}, { token: `123456:${'B'.repeat(35)}` })).status, 401);
  await f.control('POST', `/_emulator/bots/${f.bot.id}/revoke`);
  const revoked = await f.call('getMe');
  assert.deepEqual([revoked.status, revoked.body], [401, { ok: false, error_code: 401, description: 'Unauthorized' }]);
});

test('open-source error style: 401 invalid token specified, 421, "Not Found: method not found"', async (t) => {
  const f = await fixture(t, { errorStyle: 'opensource' });
  const r1 = await toRaw(await fetch(`${f.url}/botTOKEN/getMe`));
  assert.deepEqual([r1.status, r1.body.description], [401, 'Unauthorized: invalid token specified']);
  const r2 = await toRaw(await fetch(`${f.url}/botabc:def/getMe`));
  assert.deepEqual([r2.status, r2.body.description], [421, 'Misdirected Request: unallowed token specified']);
  const r3 = await f.call('fooBar');
  assert.deepEqual([r3.status, r3.body.description], [404, 'Not Found: method not found']);
});

test('only GET and POST: other verbs get a bare 501 with no body', async (t) => {
  const f = await fixture(t);
  const res = await fetch(`${f.url}/bot${f.bot.token}/getMe`, { method: 'PUT' });
  assert.equal(res.status, 501);
  assert.equal(await res.text(), '');
});

test('getMe: full bot User in the real field order, id = the token number', async (t) => {
  const f = await fixture(t);
  const r = await toRaw(await fetch(`${f.url}/bot${f.bot.token}/getMe`));
  assert.equal(r.status, 200);
  const me = r.body.result as Record<string, unknown>;
  assert.equal(me.id, Number(f.bot.token.split(':')[0]));
  assert.deepEqual(Object.keys(me).slice(0, 5), ['id', 'is_bot', 'first_name', 'username', 'can_join_groups']);
  assert.equal(me.is_bot, true);
  assert.equal(me.username, 'fixture_bot');
  assert.ok(r.text.startsWith('{"ok":true,"result":{"id":'));
});

test('parameters: query, urlencoded, JSON, multipart, PTB-style strings, POST without body, case-insensitive methods, gzip', async (t) => {
  const f = await fixture(t);
  await f.send('hi');
  const chat = 1_000_000_042;
  const base = `${f.url}/bot${f.bot.token}`;
  const texts: string[] = [];
  const check = async (what: string, res: Response): Promise<void> => {
    const r = await toRaw<{ text: string }>(res);
    assert.equal(r.status, 200, `${what}: ${r.text}`);
    texts.push(r.body.result?.text ?? '');
  };
  await check('GET query', await fetch(`${base}/sendMessage?chat_id=${chat}&text=q%20one`));
  await check('urlencoded', await fetch(`${base}/SENDMESSAGE`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `chat_id=${chat}&text=u+two` }));
  await check('JSON charset', await fetch(`${base}/sendmessage`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ chat_id: chat, text: 'j three' }) }));
  await check('PTB strings', await fetch(`${base}/sendMessage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chat_id: String(chat), text: 's four', disable_notification: 'True' }) }));
  const form = new FormData();
  form.set('chat_id', String(chat));
  form.set('text', 'm five');
  await check('multipart', await fetch(`${base}/sendMessage`, { method: 'POST', body: form }));
  await check('query beats body', await fetch(`${base}/sendMessage?text=query%20wins`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chat_id: chat, text: 'body loses' }) }));
  await check('method from parameter', await fetch(`${base}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'sendMessage', chat_id: chat, text: 'm param' }) }));
  await check('gzip body', await fetch(`${base}/sendMessage`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(JSON.stringify({ chat_id: chat, text: 'gz' })) }));
  assert.deepEqual(texts, ['q one', 'u two', 'j three', 's four', 'm five', 'query wins', 'm param', 'gz']);

  // POST with no body and no content type (NTBA 0.x's setWebHook): deletes a webhook that is not set.
  const empty = await toRaw(await fetch(`${base}/setWebHook`, { method: 'POST' }));
  assert.equal(empty.text, '{"ok":true,"result":true,"description":"Webhook is already deleted"}');
  // A broken JSON body is not an HTTP error: the call goes on without parameters.
  const broken = await toRaw(await fetch(`${base}/sendMessage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"chat_id": 1, "te' }));
  assert.deepEqual([broken.status, broken.body.description], [400, 'Bad Request: message text is empty']);
  // Lists as JSON-encoded strings (PTB): allowed_updates is applied.
  const au = await toRaw(await fetch(`${base}/getUpdates`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ timeout: '0', offset: '-1', allowed_updates: '["callback_query"]' }) }));
  assert.equal(au.status, 200);
  const info = await toRaw<{ allowed_updates?: string[] }>(await fetch(`${base}/getWebhookInfo`));
  assert.deepEqual(info.body.result?.allowed_updates, ['callback_query']);
});

test('chunked request body and keep-alive requests on one connection', async (t) => {
  const f = await fixture(t);
  const u = new URL(`${f.url}/bot${f.bot.token}/getMe`);
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.write('{');
    req.end('}');
  });
  assert.equal(status, 200);
});

test('sendMessage checks in the real order: text, then chat_id, then chat; 403 when blocked', async (t) => {
  const f = await fixture(t);
  const d = async (p: Record<string, unknown>) => (await f.call('sendMessage', p)).body.description;
  assert.equal(await d({}), 'Bad Request: message text is empty');
  assert.equal(await d({ text: 'x' }), 'Bad Request: chat_id is empty');
  assert.equal(await d({ text: 'x', chat_id: 555 }), 'Bad Request: chat not found');
  await f.send('hello', { user_id: 555 });
  assert.equal((await f.call('sendMessage', { text: 'x', chat_id: 555 })).status, 200);
  await f.control('POST', `/_emulator/bots/${f.bot.id}/block`, { user_id: 555 });
  const blocked = await f.call('sendMessage', { text: 'x', chat_id: 555 });
  assert.deepEqual([blocked.status, blocked.body.description], [403, 'Forbidden: bot was blocked by the user']);
  assert.equal(await d({ text: 'y'.repeat(4097), chat_id: 555 }), 'Forbidden: bot was blocked by the user');
  await f.control('POST', `/_emulator/bots/${f.bot.id}/unblock`, { user_id: 555 });
  assert.equal(await d({ text: 'y'.repeat(4097), chat_id: 555 }), 'Bad Request: message is too long');
});
