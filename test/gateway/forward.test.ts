// Gateway routing and forwarding against a tiny upstream: token check, 404s, streaming bodies, headers, aborts, 502.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { parseRoute, TokenCheck, isGetUpdates } from '../../src/gateway/auth.js';
import { appendEndToEndRaw } from '../../src/gateway/forward.js';
import { Logger, silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics/botwarden-metrics.js';
import { fakeLeader, OTHER_TOKEN, startFakeUpstream, TOKEN, until, type FakeUpstream } from './fake-upstream.js';

async function setup(t: { after(fn: () => Promise<void>): void }, opts: { logger?: Logger } = {}): Promise<{ up: FakeUpstream; gw: Gateway }> {
  const up = await startFakeUpstream();
  const gw = await startGateway({ upstreamRoot: up.url, token: TOKEN, leader: fakeLeader().view, logger: opts.logger ?? silentLogger, metrics: createMetrics({ defaultMetrics: false }) });
  t.after(async () => {
    await gw.close();
    await up.close();
  });
  return { up, gw };
}

test('parseRoute: methods, test environment, files, wrong token, odd paths', () => {
  const c = new TokenCheck(TOKEN);
  assert.deepEqual(parseRoute(`/bot${TOKEN}/sendMessage?x=1`, c), { kind: 'method', env: '', method: 'sendMessage', rawRest: 'sendMessage', search: '?x=1' });
  assert.deepEqual(parseRoute(`/bot${TOKEN.replace(':', '%3A')}/getMe`, c), { kind: 'method', env: '', method: 'getMe', rawRest: 'getMe', search: '' });
  assert.deepEqual(parseRoute(`/bot${TOKEN}/test/getUpdates`, c), { kind: 'method', env: '/test', method: 'getUpdates', rawRest: 'getUpdates', search: '' });
  assert.deepEqual(parseRoute(`/file/bot${TOKEN}/photos/file_1.jpg`, c), { kind: 'file', rawRest: 'photos/file_1.jpg', search: '' });
  assert.equal(parseRoute(`/bot${OTHER_TOKEN}/getMe`, c).kind, 'unauthorized');
  assert.equal(parseRoute(`/file/bot${OTHER_TOKEN}/x`, c).kind, 'unauthorized');
  assert.equal(parseRoute(`/bot${TOKEN}`, c).kind, 'not-found');
  assert.equal(parseRoute(`/bot${TOKEN}/../_emulator/faults`, c).kind, 'not-found');
  assert.equal(parseRoute(`/bot${TOKEN}/%2e%2e/x`, c).kind, 'not-found');
  assert.equal(parseRoute(`/file/bot${TOKEN}/`, c).kind, 'not-found');
  assert.equal(parseRoute('/_emulator/bots', c).kind, 'not-found');
  assert.equal(parseRoute('/', c).kind, 'not-found');
  assert.ok(isGetUpdates('getUpdates') && isGetUpdates('GETUPDATES') && isGetUpdates('getupdates/'));
  assert.ok(!isGetUpdates('getUpdatesX'));
});

test('appendEndToEndRaw drops hop-by-hop headers and those named by Connection', () => {
  const h = appendEndToEndRaw(['connection', 'keep-alive, x-secret-hop', 'keep-alive', 'timeout=5', 'x-secret-hop', '1', 'host', 'h', 'transfer-encoding', 'chunked', 'content-type', 'application/json', 'te', 'trailers', 'x-keep', 'y'], []);
  assert.deepEqual(h, ['content-type', 'application/json', 'x-keep', 'y']);
});

test('a wrong token gets 401 and is never forwarded; unknown paths get 404 in the Bot API envelope', async (t) => {
  const { up, gw } = await setup(t);
  const r401 = await fetch(`${gw.root}/bot${OTHER_TOKEN}/sendMessage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"chat_id":1,"text":"x"}' });
  assert.equal(r401.status, 401);
  assert.deepEqual(await r401.json(), { ok: false, error_code: 401, description: 'Unauthorized' });
  const rFile = await fetch(`${gw.root}/file/bot${OTHER_TOKEN}/photos/a.jpg`);
  assert.equal(rFile.status, 401);
  await rFile.arrayBuffer();
  for (const p of ['/', '/_emulator/bots', `/bot${TOKEN}`, '/getMe']) {
    const r = await fetch(`${gw.root}${p}`, { method: 'POST' });
    assert.equal(r.status, 404, p);
    assert.deepEqual(await r.json(), { ok: false, error_code: 404, description: 'Not Found' });
  }
  assert.equal(up.requests.length, 0, 'nothing reached the upstream');
  assert.ok(gw.snapshot().requests >= 6);
});

test('methods are forwarded with their body, content type and query; response headers kept, hop-by-hop stripped', async (t) => {
  const { up, gw } = await setup(t);
  const res = await fetch(`${gw.root}/bot${TOKEN}/sendMessage?disable_notification=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-custom': 'kept', connection: 'keep-alive' },
    body: '{"chat_id":42,"text":"héllo"}',
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-upstream'), 'yes');
  assert.equal(res.headers.get('content-type'), 'application/json');
  const body = (await res.json()) as { result: { echoed: string; bytes: number } };
  assert.equal(body.result.echoed, 'sendMessage');
  const rec = up.requests.at(-1)!;
  assert.equal(rec.token, TOKEN);
  assert.equal(rec.url, `/bot${TOKEN}/sendMessage?disable_notification=true`);
  assert.equal(rec.body.toString(), '{"chat_id":42,"text":"héllo"}');
  assert.equal(rec.headers['x-custom'], 'kept');
  assert.equal(rec.headers['content-type'], 'application/json');
  // NTBA 0.x spells setWebHook; PTB-style test environment path.
  const r2 = await fetch(`${gw.root}/bot${TOKEN}/test/setWebHook`, { method: 'POST' });
  assert.equal(r2.status, 200);
  await r2.arrayBuffer();
  assert.equal(up.requests.at(-1)!.url, `/bot${TOKEN}/test/setWebHook`);
});

test('a body the gateway read whole is forwarded decoded without its content-encoding (gzip), or as sent with it (br)', async (t) => {
  const { up, gw } = await setup(t);
  const { gzipSync } = await import('node:zlib');
  const json = '{"url":"https://example.org/hook"}';
  // setWebhook is read whole (drop_pending_updates is looked for); gzip is decoded, so the header goes with it.
  const r1 = await fetch(`${gw.root}/bot${TOKEN}/setWebhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(json) });
  assert.equal(r1.status, 200);
  await r1.arrayBuffer();
  let rec = up.requests.at(-1)!;
  assert.equal(rec.body.toString(), json);
  assert.equal(rec.headers['content-encoding'], undefined);
  assert.equal(rec.headers['content-length'], String(Buffer.byteLength(json)));
  // An encoding the gateway does not decode: the bytes and the header reach the Bot API together, to be judged there.
  const raw = Buffer.from([0x1b, 0x22, 0x00, 0xf8, 0x25, 0x0f]);
  const r2 = await fetch(`${gw.root}/bot${TOKEN}/setWebhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'br' }, body: raw });
  assert.equal(r2.status, 200);
  await r2.arrayBuffer();
  rec = up.requests.at(-1)!;
  assert.deepEqual(rec.body, raw);
  assert.equal(rec.headers['content-encoding'], 'br');
});

test('multipart uploads and file downloads stream through unchanged', async (t) => {
  const { up, gw } = await setup(t);
  const form = new FormData();
  form.set('chat_id', '42');
  const payload = Buffer.alloc(300_000, 7);
  form.set('document', new Blob([payload]), 'big.bin');
  const res = await fetch(`${gw.root}/bot${TOKEN}/sendDocument`, { method: 'POST', body: form });
  assert.equal(res.status, 200);
  const j = (await res.json()) as { result: { bytes: number; contentType: string } };
  const rec = up.requests.at(-1)!;
  assert.equal(j.result.bytes, rec.body.length);
  assert.ok(rec.body.length > 300_000);
  assert.match(String(rec.headers['content-type']), /^multipart\/form-data; boundary=/);
  assert.ok(rec.body.includes(payload), 'the file bytes arrived intact');
  const f = await fetch(`${gw.root}/file/bot${TOKEN}/documents/file_9.bin`);
  assert.equal(f.status, 200);
  assert.equal(await f.text(), 'file-bytes!');
  assert.equal(up.requests.at(-1)!.url, `/file/bot${TOKEN}/documents/file_9.bin`);
});

test("the bot's abort reaches the upstream request", async (t) => {
  const { up, gw } = await setup(t);
  up.hooks.push((r) => r.name === 'slowMethod'); // never answers
  const ac = new AbortController();
  const p = fetch(`${gw.root}/bot${TOKEN}/slowMethod`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' }, signal: ac.signal });
  await until(() => up.requests.some((r) => r.name === 'slowMethod'), 10_000, 'the upstream to see the call');
  ac.abort();
  await assert.rejects(p);
  await until(() => up.requests.find((r) => r.name === 'slowMethod')!.aborted, 10_000, 'the upstream connection to close');
});

test('upstream unreachable → 502 Bot API envelope, token not in the description or the log', async (t) => {
  const lines: string[] = [];
  const logger = new Logger({ level: 'debug', sink: { write: (l: string) => lines.push(l) } });
  const gw = await startGateway({ upstreamRoot: 'http://127.0.0.1:9', token: TOKEN, leader: fakeLeader().view, logger });
  t.after(() => gw.close());
  const res = await fetch(`${gw.root}/bot${TOKEN}/sendMessage`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
  assert.equal(res.status, 502);
  const body = (await res.json()) as { ok: boolean; error_code: number; description: string };
  assert.equal(body.ok, false);
  assert.equal(body.error_code, 502);
  assert.match(body.description, /^Bad Gateway/);
  assert.ok(!JSON.stringify(body).includes(TOKEN.split(':')[1]!));
  assert.ok(lines.length > 0 && !lines.join('').includes(TOKEN.split(':')[1]!));
  assert.equal(gw.snapshot().upstreamReachable, false);
});

test('close() is safe twice and ends held connections', async (t) => {
  const { gw } = await setup(t);
  // A raw keep-alive connection that stays open.
  await new Promise<void>((resolve, reject) => {
    const req = httpRequest(`${gw.root}/bot${TOKEN}/getMe`, { method: 'POST', agent: false, headers: { connection: 'keep-alive' } }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
  await Promise.all([gw.close(), gw.close()]);
  await gw.close();
  await assert.rejects(fetch(`${gw.root}/bot${TOKEN}/getMe`));
});

test('a chunked upload without content-length is streamed upstream intact', async (t) => {
  const { up, gw } = await setup(t);
  const part = Buffer.alloc(64 * 1024, 'a');
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(`${gw.root}/bot${TOKEN}/sendDocument`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    let i = 0;
    const next = (): void => {
      if (i++ === 10) return void req.end();
      req.write(part, next);
    };
    next();
  });
  assert.equal(answer.status, 200);
  assert.equal((JSON.parse(answer.body) as { result: { bytes: number } }).result.bytes, 10 * part.length);
  const rec = up.requests.at(-1)!;
  assert.equal(rec.body.length, 10 * part.length);
  assert.equal(rec.headers['transfer-encoding'], 'chunked');
});

test('a bot leaving in the middle of a download aborts the upstream; an upstream cut short cuts the bot off', async (t) => {
  const { up, gw } = await setup(t);
  up.hooks.push((r, _req, res) => {
    if (r.name === 'file:videos/endless.mp4') {
      res.writeHead(200, { 'content-type': 'video/mp4' });
      res.write(Buffer.alloc(1024, 1)); // never ends
      return true;
    }
    if (r.name === 'file:videos/cut.mp4') {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '100000' });
      res.write(Buffer.alloc(1024, 1));
      setTimeout(() => res.destroy(), 30);
      return true;
    }
    return false;
  });
  const ac = new AbortController();
  const res = await fetch(`${gw.root}/file/bot${TOKEN}/videos/endless.mp4`, { signal: ac.signal });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  assert.ok(((await reader.read()).value?.length ?? 0) > 0);
  ac.abort();
  await until(() => up.requests.find((r) => r.name === 'file:videos/endless.mp4')?.aborted === true, 10_000, 'the upstream download to be aborted');

  const cut = await fetch(`${gw.root}/file/bot${TOKEN}/videos/cut.mp4`);
  assert.equal(cut.status, 200);
  await assert.rejects(cut.arrayBuffer(), 'the bot must not take a cut answer for a whole one');
  assert.equal(gw.snapshot().upstreamReachable, false);
});

test('appendEndToEndRaw keeps duplicates and spelling, drops hop-by-hop and Connection-named headers wherever they are', () => {
  const raw = ['X-Hop', '1', 'Content-Type', 'text/plain', 'Connection', 'keep-alive, X-Hop, close', 'Set-Cookie', 'a=1', 'Keep-Alive', 'timeout=5', 'Set-Cookie', 'b=2', 'Transfer-Encoding', 'chunked', 'Content-Length', '5'];
  assert.deepEqual(appendEndToEndRaw(raw, ['Host', 'h'], new Set(['content-length'])), ['Host', 'h', 'Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
  assert.deepEqual(appendEndToEndRaw(['CONNECTION', 'Keep-Alive', 'content-length', '5', 'TE', 'trailers', 'Upgrade', 'h2c'], []), ['content-length', '5']);
});
