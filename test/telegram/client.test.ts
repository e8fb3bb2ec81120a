// BotApiClient against the emulator and a scripted upstream: results, "they refused" vs "could not reach", redaction, metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { EmulatorClient, startEmulator, type CreatedBot } from '../../src/emulator/index.js';
import { BotwardenError, ExitCode } from '../../src/errors.js';
import { createMetrics } from '../../src/metrics/botwarden-metrics.js';
import { closeServer, listenLoopback } from '../../src/server.js';
import { BotApiClient } from '../../src/telegram/client.js';
import { ApiUnreachableError, TelegramApiError, isRetryable } from '../../src/telegram/errors.js';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1';
const SECRET = TOKEN.split(':')[1]!;

async function emulator(t: { after(fn: () => Promise<void>): void }): Promise<{ url: string; client: EmulatorClient; bot: CreatedBot }> {
  const emu = await startEmulator({ port: 0 });
  t.after(() => emu.close());
  const client = new EmulatorClient(emu.url);
  return { url: emu.url, client, bot: await client.createBot('client_test_bot') };
}

/** An upstream that answers every request with `status`, `body` and headers, after `delayMs` (never with `Infinity`). */
async function scripted(t: { after(fn: () => Promise<void>): void }, status: number, body: string, delayMs = 0): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    if (delayMs === Infinity) return; // holds the request until the client gives up (closeServer ends it)
    setTimeout(() => res.writeHead(status, { 'content-type': body.startsWith('{') ? 'application/json' : 'text/html' }).end(body), delayMs);
  });
  const addr = await listenLoopback(server, { port: 0 });
  t.after(() => closeServer(server));
  return addr.url;
}

test('getMe, getWebhookInfo and deleteWebhook against the emulator', async (t) => {
  const { url, bot } = await emulator(t);
  const metrics = createMetrics({ defaultMetrics: false });
  const c = new BotApiClient({ apiRoot: `${url}/`, token: bot.token, metrics });
  const me = await c.getMe();
  assert.equal(me.id, bot.id);
  assert.equal(me.is_bot, true);
  assert.equal(me.username, 'client_test_bot');
  const info = await c.getWebhookInfo();
  assert.equal(info.url, '');
  assert.equal(await c.deleteWebhook(), true);
  assert.equal(c.apiRoot, url);
  const m = await metrics.registry.metrics();
  assert.match(m, /botwarden_api_requests_total\{method="getMe",code="200"\} 1/);
  assert.match(m, /botwarden_api_requests_total\{method="deleteWebhook",code="200"\} 1/);
  assert.ok(!m.includes(bot.token.split(':')[1]!));
});

test('a revoked token is a TelegramApiError 401 with a hint; no secret in the message', async (t) => {
  const { url, client, bot } = await emulator(t);
  await client.revoke(bot.id);
  const c = new BotApiClient({ apiRoot: url, token: bot.token });
  const err = await c.getMe().then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof TelegramApiError);
  assert.ok(err instanceof BotwardenError);
  assert.equal(err.errorCode, 401);
  assert.equal(err.status, 401);
  assert.equal(err.method, 'getMe');
  assert.equal(err.exitCode, ExitCode.badToken);
  assert.match(err.hint ?? '', /@BotFather/);
  assert.ok(!isRetryable(err));
  assert.ok(!`${err.message} ${err.stack ?? ''}`.includes(bot.token.split(':')[1]!));
});

test('429 carries retryAfter; 400 migrate carries migrateToChatId; a description holding the token is redacted', async (t) => {
  const u429 = await scripted(t, 429, '{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}');
  const e429 = (await new BotApiClient({ apiRoot: u429, token: TOKEN }).call('sendMessage').catch((e: unknown) => e)) as TelegramApiError;
  assert.ok(e429 instanceof TelegramApiError);
  assert.equal(e429.retryAfter, 7);
  assert.ok(isRetryable(e429));
  const uMig = await scripted(t, 400, '{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001234}}');
  const eMig = (await new BotApiClient({ apiRoot: uMig, token: TOKEN }).call('sendMessage').catch((e: unknown) => e)) as TelegramApiError;
  assert.equal(eMig.migrateToChatId, -1001234);
  assert.ok(!isRetryable(eMig));
  const uLeak = await scripted(t, 400, JSON.stringify({ ok: false, error_code: 400, description: `Bad Request: weird ${TOKEN} echo` }));
  const eLeak = (await new BotApiClient({ apiRoot: uLeak, token: TOKEN }).call('x').catch((e: unknown) => e)) as TelegramApiError;
  assert.ok(!eLeak.message.includes(SECRET) && !eLeak.description.includes(SECRET));
  const u409 = await scripted(t, 409, '{"ok":false,"error_code":409,"description":"Conflict: can\'t use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}');
  const e409 = (await new BotApiClient({ apiRoot: u409, token: TOKEN }).call('getUpdates').catch((e: unknown) => e)) as TelegramApiError;
  assert.match(e409.hint ?? '', /webhook/);
});

test('could not reach: connection refused, timeout, an HTML 502 page — all ApiUnreachableError, retryable, redacted', async (t) => {
  const refused = (await new BotApiClient({ apiRoot: 'http://127.0.0.1:9', token: TOKEN }).getMe().catch((e: unknown) => e)) as ApiUnreachableError;
  assert.ok(refused instanceof ApiUnreachableError);
  assert.equal(refused.exitCode, ExitCode.apiUnreachable);
  assert.match(refused.reason, /ECONNREFUSED/);
  assert.ok(isRetryable(refused));
  assert.ok(!`${refused.message} ${refused.stack ?? ''}`.includes(SECRET));

  // An upstream that never answers: the call can only end by the client's own timeout.
  const silent = await scripted(t, 200, '{"ok":true,"result":true}', Infinity);
  const timedOut = (await new BotApiClient({ apiRoot: silent, token: TOKEN, timeoutMs: 150 }).getMe().catch((e: unknown) => e)) as ApiUnreachableError;
  assert.ok(timedOut instanceof ApiUnreachableError);
  assert.match(timedOut.message, /no answer within 150 ms/);

  const html = await scripted(t, 502, '<html><body>502 Bad Gateway</body></html>');
  const bad = (await new BotApiClient({ apiRoot: html, token: TOKEN }).getMe().catch((e: unknown) => e)) as ApiUnreachableError;
  assert.ok(bad instanceof ApiUnreachableError);
  assert.equal(bad.status, 502);

  const json5xx = await scripted(t, 500, '{"ok":false,"error_code":500,"description":"Internal Server Error: restart"}');
  const e500 = (await new BotApiClient({ apiRoot: json5xx, token: TOKEN }).getMe().catch((e: unknown) => e)) as TelegramApiError;
  assert.ok(e500 instanceof TelegramApiError);
  assert.ok(isRetryable(e500));
});

test("the caller's abort rejects with its reason, not an API error", async (t) => {
  // The upstream never answers: the call can only end by the abort, whenever the timer fires.
  const silent = await scripted(t, 200, '{"ok":true,"result":true}', Infinity);
  const ac = new AbortController();
  const p = new BotApiClient({ apiRoot: silent, token: TOKEN }).getMe({ signal: ac.signal });
  setTimeout(() => ac.abort(new Error('shutting down')), 50);
  await assert.rejects(p, /shutting down/);
});

test('options are validated once, with the option named', () => {
  assert.throws(() => new BotApiClient({ apiRoot: 'not a url', token: TOKEN }), /apiRoot: expected/);
  assert.throws(() => new BotApiClient({ apiRoot: 'ftp://x', token: TOKEN }), /apiRoot: expected an http/);
  assert.throws(() => new BotApiClient({ apiRoot: 'http://x', token: '' }), /token: expected/);
  assert.throws(() => new BotApiClient({ apiRoot: 'http://x', token: TOKEN, timeoutMs: 0 }), /timeoutMs/);
  try {
    new BotApiClient({ apiRoot: 'http://x', token: 'a/b' });
  } catch (err) {
    assert.ok(!String(err).includes('a/b'));
  }
});

test('answer(): how a call ended, never thrown; redacted like call()', async (t) => {
  const { url, bot } = await emulator(t);
  const c = new BotApiClient({ apiRoot: url, token: bot.token });
  const me = await c.answer<{ id: number }>('getMe');
  assert.equal(me.kind, 'ok');
  assert.equal(me.kind === 'ok' && me.result.id, bot.id);
  const uLeak = await scripted(t, 400, JSON.stringify({ ok: false, error_code: 400, description: `Bad Request: weird ${TOKEN} echo` }));
  const leak = await new BotApiClient({ apiRoot: uLeak, token: TOKEN }).answer('x');
  assert.equal(leak.kind, 'refused');
  assert.ok(leak.kind === 'refused' && leak.errorCode === 400 && !leak.description.includes(SECRET));
  const down = await new BotApiClient({ apiRoot: 'http://127.0.0.1:9', token: TOKEN }).answer('getMe');
  assert.equal(down.kind, 'unreachable');
  assert.match(down.kind === 'unreachable' ? down.reason : '', /ECONNREFUSED/);
});

test('the gateway checks its upstream root with the same rule, naming its own option', async () => {
  const { startGateway } = await import('../../src/gateway/index.js');
  const leader = { isLeader: () => false, msLeft: () => 0, fence: () => undefined };
  await assert.rejects(startGateway({ upstreamRoot: 'ftp://x', token: TOKEN, leader } as never), /upstreamRoot: expected an http/);
  await assert.rejects(startGateway({ upstreamRoot: 'http://x', token: 'a/b', leader } as never), (err: unknown) => /token: expected/.test(String(err)) && !String(err).includes('a/b'));
});
