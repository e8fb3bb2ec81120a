// Emulator protocol: webhook delivery (secret header, body format, retry with backoff, errors in getWebhookInfo).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { retryDelayMs } from '../../src/emulator/webhook.js';
import type { SentMessage } from '../../src/emulator/index.js';
import { fixture, until } from './helpers.js';

interface Hit {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A local receiver answering `statuses` in turn (then 200), recording every POST. */
async function receiver(t: { after(fn: () => Promise<void> | void): void }, statuses: number[], reply?: { type: string; body: string }): Promise<{ url: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      hits.push({ headers: req.headers, body, at: Date.now() });
      const status = statuses.shift() ?? 200;
      if (status === 200 && reply) {
        res.writeHead(200, { 'content-type': reply.type });
        res.end(reply.body);
      } else {
        res.writeHead(status);
        res.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?x=1`, hits };
}

test('webhook: each update POSTed with the secret header and the real body format; success removes it', async (t) => {
  const f = await fixture(t);
  const rx = await receiver(t, []);
  const set = await f.call('setWebhook', { url: rx.url, secret_token: 'S3cret_-' });
  assert.equal(set.body.description, 'Webhook was set');
  const again = await f.call('setWebhook', { url: rx.url, secret_token: 'S3cret_-' });
  assert.equal(again.status, 429, 'a second setWebhook within 1 s is rate limited');
  const id = await f.send('to the hook');
  await until('delivered', () => rx.hits.length >= 1);
  const hit = rx.hits[0]!;
  assert.equal(hit.headers['x-telegram-bot-api-secret-token'], 'S3cret_-');
  assert.equal(hit.headers['content-type'], 'application/json');
  assert.ok(hit.body.startsWith(`{"update_id":${id},\n"message":{`), hit.body);
  await until('confirmed', async () => (await f.stats()).pending === 0);
  const s = await f.stats();
  assert.equal(s.delivered[String(id)], 1);
  assert.equal(s.webhook.url, rx.url);
  const info = await f.call<Record<string, unknown>>('getWebhookInfo');
  assert.deepEqual(Object.keys(info.body.result ?? {}), ['url', 'has_custom_certificate', 'pending_update_count', 'max_connections', 'ip_address']);
  assert.equal(info.body.result?.max_connections, 40);
});

test('webhook retry: failures retried with (scaled) backoff in order; last_error_* reported', async (t) => {
  const f = await fixture(t, { webhookRetryScale: 0.05 });
  const rx = await receiver(t, [500, 502, 503]);
  await f.call('setWebhook', { url: rx.url });
  const a = await f.send('a');
  const b = await f.send('b');
  // Read the records only once both deliveries are complete: the emulator confirmed both (queue empty) and the
  // receiver recorded five whole POSTs (a record is made when a body has fully arrived).
  await until('both delivered and confirmed', async () => rx.hits.length >= 5 && (await f.stats()).pending === 0, 30_000);
  const ids = rx.hits.map((h) => Number(/"update_id":(\d+)/.exec(h.body)?.[1]));
  assert.deepEqual(ids, [a, a, a, a, b], `the failing update blocks the next one until it succeeds; bodies: ${JSON.stringify(rx.hits.map((h) => h.body.slice(0, 40)))}`);
  // The schedule itself (0, 2, 4 s …) is the pure retryDelayMs table below; here: the delivery waits for it. Only
  // lower bounds — a busy machine can make any wait longer, never shorter (timers may fire ~1 ms early).
  const gaps = rx.hits.slice(1, 4).map((h, i) => h.at - rx.hits[i]!.at);
  t.diagnostic(`retry gaps: ${gaps.join(', ')} ms`);
  assert.ok(gaps[1]! >= 2000 * 0.05 - 5, `2nd retry not before 2 s × 0.05 (${gaps[1]} ms)`);
  assert.ok(gaps[2]! >= 4000 * 0.05 - 5, `3rd retry not before 4 s × 0.05 (${gaps[2]} ms)`);
  const info = await f.call<{ last_error_date?: number; last_error_message?: string }>('getWebhookInfo');
  assert.equal(info.body.result?.last_error_message, 'Wrong response from the webhook: 503 Service Unavailable');
  assert.ok((info.body.result?.last_error_date ?? 0) > 1_600_000_000);
  assert.equal((await f.stats()).delivered[String(a)], 4);
});

test('webhook to a closed port: connection error recorded, update kept pending; deleteWebhook drop_pending_updates clears it', async (t) => {
  const f = await fixture(t, { webhookRetryScale: 0.01 });
  await f.call('setWebhook', { url: 'http://127.0.0.1:9/closed' });
  await f.send('nobody listens');
  await until('error recorded', async () => (await f.call<{ last_error_message?: string }>('getWebhookInfo')).body.result?.last_error_message === 'Connection refused');
  assert.equal((await f.stats()).pending, 1);
  const del = await f.call('deleteWebhook', { drop_pending_updates: true });
  assert.equal(del.text, '{"ok":true,"result":true,"description":"Webhook was deleted"}');
  assert.equal((await f.stats()).pending, 0);
  assert.equal((await f.call('deleteWebhook')).body.description, 'Webhook is already deleted');
});

test('webhook reply with a method: the emulator runs it (sendMessage) and ignores get* methods', async (t) => {
  const f = await fixture(t);
  const rx = await receiver(t, [], { type: 'application/json', body: JSON.stringify({ method: 'sendMessage', chat_id: 1_000_000_042, text: 'from the reply' }) });
  await f.call('setWebhook', { url: rx.url });
  await f.send('ping');
  const sent = await until('reply method run', async () => {
    const s = await f.control<{ messages: SentMessage[] }>('GET', `/_emulator/bots/${f.bot.id}/sent`);
    return s.messages.length > 0 ? s.messages : undefined;
  });
  assert.deepEqual(sent.map((m) => [m.method, m.text]), [['sendMessage', 'from the reply']]);
});

test('setWebhook validation: secret token rules, invalid URL, production HTTPS switch, "already set"', async (t) => {
  const f = await fixture(t, { setWebhookMinIntervalMs: 0 });
  const d = async (p: Record<string, unknown>) => (await f.call('setWebhook', p)).body.description;
  assert.equal(await d({ url: 'https://example.com/x', secret_token: 'bad token!' }), 'Bad Request: secret token contains unallowed characters');
  assert.equal(await d({ url: 'https://example.com/x', secret_token: 'a'.repeat(257) }), 'Bad Request: secret token is too long');
  assert.equal(await d({ url: 'ftp://example.com/x' }), 'Bad Request: invalid webhook URL specified');
  assert.equal(await d({ url: 'http://127.0.0.1:9/x' }), 'Webhook was set');
  assert.equal(await d({ url: 'http://127.0.0.1:9/x' }), 'Webhook is already set');
  await f.control('POST', '/_emulator/config', { webhookRequireHttps: true });
  assert.equal(await d({ url: 'http://127.0.0.1:9/y' }), 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
  assert.equal(await d({ url: 'https://example.com:9/y' }), 'Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443');
  assert.equal(await d({ url: '' }), 'Webhook was deleted');
});

test('retry schedule: immediately, 2, 4, 8, 16, 32 s, then capped at 60–120 s; Retry-After clamped to [0, 3600] s', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, undefined, 1)), [0, 2000, 4000, 8000, 16000, 32000]);
  for (const n of [7, 8, 20]) {
    const ms = retryDelayMs(n, undefined, 1);
    assert.ok(ms >= 60_000 && ms <= 120_000, `failure ${n}: ${ms}`);
  }
  assert.equal(retryDelayMs(2, 7, 1), 7000);
  assert.equal(retryDelayMs(2, 99_999, 1), 3_600_000);
  assert.equal(retryDelayMs(3, undefined, 0.5), 2000);
});
