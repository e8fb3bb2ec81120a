// Emulator control API (docs/contract.md §9.1: the ★ routes and the extensions), fault injection, and the non-polling methods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControlHealth, ControlStats, CreatedBot, EmulatorSwitches, InjectedCallback, InjectedMessage, RequestRecord, SentMessage } from '../../src/emulator/index.js';
import type { FaultRule } from '../../src/emulator/faults.js';
import { fixture, toRaw, until } from './helpers.js';

const USER = 1_000_000_042;

test('control: bots (id/token/username, custom token), updates, sent, stats, revoke, health, config, reset', async (t) => {
  const f = await fixture(t);
  assert.match(f.bot.token, new RegExp(`^${f.bot.id}:[A-Za-z0-9_-]{35}$`));
  assert.equal(f.bot.username, 'fixture_bot');
  const custom = await f.control<CreatedBot>('POST', '/_emulator/bots', { token: `123456789:${'x'.repeat(35)}`, first_name: 'Custom' });
  assert.equal(custom.id, 123456789);
  const me = await f.call<{ first_name: string }>('getMe', {}, { token: custom.token });
  assert.equal(me.body.result?.first_name, 'Custom');
  await assert.rejects(f.control('POST', '/_emulator/bots', { token: custom.token }), /409/);

  const up = await f.control<InjectedMessage>('POST', `/_emulator/bots/${f.bot.id}/updates`, { text: 'hello', chat_id: 77, user_id: 77 });
  assert.deepEqual([up.update_id, up.chat_id], [1000, 77]);
  await f.call('sendMessage', { chat_id: 77, text: 'one' });
  await f.call('sendMessage', { chat_id: 77, text: 'two' });
  const sent = await f.control<{ messages: SentMessage[] }>('GET', `/_emulator/bots/${f.bot.id}/sent`);
  assert.deepEqual(sent.messages.map((m) => [m.method, m.chat_id, m.text]), [['sendMessage', 77, 'one'], ['sendMessage', 77, 'two']]);
  assert.ok(sent.messages.every((m) => Math.abs(m.at - Date.now()) < 10_000), 'at is epoch ms');
  const stats = await f.stats();
  assert.deepEqual(Object.keys(stats).slice(0, 6), ['getUpdatesCalls', 'conflicts', 'delivered', 'confirmedUpTo', 'pending', 'webhook']);
  assert.equal(stats.pending, 1);
  assert.deepEqual(stats.webhook, { url: '' });

  const reqs = await f.control<{ requests: RequestRecord[] }>('GET', `/_emulator/bots/${f.bot.id}/requests`);
  assert.deepEqual(reqs.requests.map((r) => r.method), ['sendMessage', 'sendMessage']);

  assert.deepEqual(await f.control('POST', `/_emulator/bots/${f.bot.id}/revoke`), {});
  assert.equal((await f.call('getMe')).status, 401);
  await f.control('POST', `/_emulator/bots/${f.bot.id}/restore`);
  assert.equal((await f.call('getMe')).status, 200);

  const health = await f.control<ControlHealth>('GET', '/_emulator/health');
  assert.deepEqual([health.ok, health.bots], [true, 2]);
  const cfg = await f.control<EmulatorSwitches>('POST', '/_emulator/config', { latencyMs: 30 });
  assert.equal(cfg.latencyMs, 30);
  const t0 = Date.now();
  await f.call('getMe');
  assert.ok(Date.now() - t0 >= 28, 'latency applied');
  await assert.rejects(f.control('POST', '/_emulator/config', { nope: 1 }), /unknown switch .*nope/);
  await assert.rejects(f.control('POST', '/_emulator/config', { conflictMode: 'x' }), /expected one of source, newer_loses/);
  await assert.rejects(f.control('GET', '/_emulator/bots/1/stats'), /404/);
  await f.control('POST', '/_emulator/reset');
  assert.equal((await f.control<ControlHealth>('GET', '/_emulator/health')).bots, 0);
  assert.equal((await f.control<EmulatorSwitches>('GET', '/_emulator/config')).latencyMs, 0);
  assert.equal((await f.call('getMe')).status, 401);
});

test('faults: status/count/retry_after, bot and method filters, delay_ms, drop, HTML 502; a 409 fault is counted', async (t) => {
  const f = await fixture(t);
  const other = await f.control<CreatedBot>('POST', '/_emulator/bots', {});
  await f.control('POST', '/_emulator/faults', { bot: f.bot.id, method: 'getMe', status: 429, count: 2, retry_after: 7 });
  const r1 = await f.call('getMe');
  assert.equal(r1.status, 429);
  assert.equal(r1.text, '{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}');
  assert.equal(r1.headers.get('retry-after'), '7');
  assert.equal((await f.call('getMe', {}, { token: other.token })).status, 200, 'other bot unaffected');
  assert.equal((await f.call('getWebhookInfo')).status, 200, 'other method unaffected');
  assert.equal((await f.call('GETME')).status, 429, 'method filter is case-insensitive');
  assert.equal((await f.call('getMe')).status, 200, 'count used up');

  await f.control('POST', '/_emulator/faults', { status: 502, count: 1 });
  const bad = await f.call('getMe');
  assert.equal(bad.text, '{"ok":false,"error_code":502,"description":"Bad Gateway"}');
  await f.control('POST', '/_emulator/faults', { status: 502, count: 1, html: true });
  const html = await f.call('getMe');
  assert.equal(html.status, 502);
  assert.match(html.headers.get('content-type') ?? '', /text\/html/);
  assert.match(html.text, /<center><h1>502 Bad Gateway<\/h1><\/center>/);

  await f.control('POST', '/_emulator/faults', { method: 'getMe', status: 200, count: 1, delay_ms: 150 });
  const t0 = Date.now();
  assert.equal((await f.call('getMe')).status, 200);
  assert.ok(Date.now() - t0 >= 140, 'delayed, then answered normally');
  await f.control('POST', '/_emulator/faults', { method: 'getMe', status: 500, count: 1, delay_ms: 100 });
  assert.deepEqual((await f.call('getMe')).body, { ok: false, error_code: 500, description: 'Internal Server Error' });

  await f.control('POST', '/_emulator/faults', { method: 'getMe', drop: true, count: 1 });
  await assert.rejects(f.call('getMe'), /fetch failed/);
  assert.equal((await f.call('getMe')).status, 200);

  await f.control('POST', '/_emulator/faults', { bot: f.bot.id, method: 'getUpdates', status: 409, count: 1 });
  const c = await f.call('getUpdates');
  assert.deepEqual([c.status, c.body.description], [409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running']);
  const s = await f.stats();
  assert.equal(s.conflicts, 1);
  assert.equal(s.getUpdatesCalls, 1);
  await assert.rejects(f.control('POST', '/_emulator/faults', { count: 1 }), /status: required/);
  await f.control('POST', '/_emulator/faults', { status: 503, count: 5 });
  assert.equal((await f.control<{ faults: FaultRule[] }>('GET', '/_emulator/faults')).faults.length, 1);
  await f.control('DELETE', '/_emulator/faults');
  assert.equal((await f.call('getMe')).status, 200);
});

test('group chats and callback queries: chat types, negative ids, answerCallbackQuery', async (t) => {
  const f = await fixture(t);
  await f.send('in group', { chat_id: -4242, user_id: 5, chat_title: 'Team' });
  await f.send('in supergroup', { chat_id: -1001234567890, user_id: 5 });
  const ups = (await f.call<Array<{ message: { chat: Record<string, unknown>; from: { id: number } } }>>('getUpdates')).body.result ?? [];
  assert.deepEqual(ups[0]?.message.chat, { id: -4242, title: 'Team', type: 'group', all_members_are_administrators: true });
  assert.equal(ups[0]?.message.from.id, 5);
  assert.equal(ups[1]?.message.chat.type, 'supergroup');
  const sentMsg = await f.call<{ message_id: number }>('sendMessage', { chat_id: -4242, text: 'choose', reply_markup: JSON.stringify({ inline_keyboard: [[{ text: 'A', callback_data: 'a' }]] }) });
  assert.equal(sentMsg.status, 200);
  const cq = await f.control<InjectedCallback>('POST', `/_emulator/bots/${f.bot.id}/callback_query`, { chat_id: -4242, user_id: 5, data: 'a' });
  const got = (await f.call<Array<{ callback_query: { id: string; data: string; message: { message_id: number; reply_markup: unknown } } }>>('getUpdates', { offset: cq.update_id })).body.result ?? [];
  assert.equal(got[0]?.callback_query.id, cq.callback_query_id);
  assert.equal(got[0]?.callback_query.data, 'a');
  assert.equal(got[0]?.callback_query.message.message_id, sentMsg.body.result?.message_id);
  assert.equal((await f.call('answerCallbackQuery', { callback_query_id: cq.callback_query_id, text: 'ok' })).status, 200);
  const again = await f.call('answerCallbackQuery', { callback_query_id: cq.callback_query_id });
  assert.equal(again.body.description, 'Bad Request: query is too old and response timeout expired or query ID is invalid');
  await assert.rejects(f.control('POST', `/_emulator/bots/${f.bot.id}/callback_query`, { chat_id: 99 }), /no message/);
});

test('methods: edit, delete, forward, copy, chat action, commands, getChat, sendDocument + getFile + download, logOut, close', async (t) => {
  const f = await fixture(t, { logOutMs: 2000 }); // long enough that the next getMe surely falls inside it
  await f.send('hi');
  const m = await f.call<{ message_id: number; text: string }>('sendMessage', { chat_id: USER, text: 'v1' });
  const mid = m.body.result!.message_id;
  const e1 = await f.call<{ text: string; edit_date?: number }>('editMessageText', { chat_id: USER, message_id: mid, text: 'v2' });
  assert.equal(e1.body.result?.text, 'v2');
  assert.ok(e1.body.result?.edit_date);
  const same = await f.call('editMessageText', { chat_id: USER, message_id: mid, text: 'v2' });
  assert.match(same.body.description ?? '', /^Bad Request: message is not modified: specified new message content and reply markup are exactly the same/);
  assert.equal((await f.call('editMessageText', { chat_id: USER, message_id: 999, text: 'x' })).body.description, 'Bad Request: message to edit not found');
  assert.equal((await f.call('editMessageText', { chat_id: USER, message_id: 1, text: 'x' })).body.description, "Bad Request: message can't be edited");
  const fw = await f.call<{ forward_origin: unknown; text: string }>('forwardMessage', { chat_id: USER, from_chat_id: USER, message_id: 1 });
  assert.equal(fw.body.result?.text, 'hi');
  assert.ok(fw.body.result?.forward_origin);
  const cp = await f.call<{ message_id: number }>('copyMessage', { chat_id: USER, from_chat_id: USER, message_id: mid });
  assert.deepEqual(Object.keys(cp.body.result ?? {}), ['message_id']);
  assert.equal((await f.call('copyMessage', { chat_id: USER, from_chat_id: USER, message_id: 999 })).body.description, 'Bad Request: message to copy not found');
  assert.equal((await f.call('deleteMessage', { chat_id: USER, message_id: mid })).body.result, true);
  assert.equal((await f.call('deleteMessage', { chat_id: USER, message_id: mid })).body.description, 'Bad Request: message to delete not found');
  assert.equal((await f.call('sendChatAction', { chat_id: USER, action: 'typing' })).body.result, true);
  assert.equal((await f.call('sendChatAction', { chat_id: USER, action: 'dance' })).body.description, 'Bad Request: wrong parameter action in request');

  const cmds = [{ command: 'start', description: 'Start' }];
  assert.equal((await f.call('setMyCommands', { commands: cmds })).body.result, true);
  assert.deepEqual((await f.call('getMyCommands')).body.result, cmds);
  assert.deepEqual((await f.call('getMyCommands', { language_code: 'de' })).body.result, []);
  await f.call('deleteMyCommands');
  assert.deepEqual((await f.call('getMyCommands')).body.result, []);
  const chat = await f.call<{ id: number; type: string }>('getChat', { chat_id: USER });
  assert.deepEqual([chat.body.result?.id, chat.body.result?.type], [USER, 'private']);

  const form = new FormData();
  form.set('chat_id', String(USER));
  form.set('caption', 'a file');
  form.set('document', new Blob([Buffer.from('file body 123')]), 'notes.txt');
  const doc = await toRaw<{ document: { file_id: string; file_name: string; file_size: number }; caption: string }>(await fetch(`${f.url}/bot${f.bot.token}/sendDocument`, { method: 'POST', body: form }));
  assert.equal(doc.status, 200, doc.text);
  assert.equal(doc.body.result?.document.file_name, 'notes.txt');
  assert.equal(doc.body.result?.document.file_size, 13);
  const file = await f.call<{ file_path: string }>('getFile', { file_id: doc.body.result?.document.file_id });
  const dl = await fetch(`${f.url}/file/bot${f.bot.token}/${file.body.result?.file_path}`);
  assert.equal(await dl.text(), 'file body 123');
  assert.equal((await f.call('getFile', { file_id: 'nope' })).body.description, 'Bad Request: invalid file_id');
  const again = await f.call<{ document: { file_id: string } }>('sendDocument', { chat_id: USER, document: doc.body.result?.document.file_id });
  assert.equal(again.body.result?.document.file_id, doc.body.result?.document.file_id, 'resend by file_id');
  assert.equal((await f.call('sendPhoto', { chat_id: USER })).body.description, 'Bad Request: there is no photo in the request');

  assert.equal((await f.call('close')).body.result, true);
  assert.equal((await f.call('close')).body.description, 'Bad Request: the bot has already been closed');
  assert.equal((await f.call('getMe')).status, 200, 'the next request loads the bot again');
  await f.send('lost by logOut');
  assert.equal((await f.call('logOut')).body.result, true);
  const lo = await f.call('getMe');
  assert.equal(lo.text, '{"ok":false,"error_code":400,"description":"Logged out"}');
  await until('getMe to work again after logOutMs', async () => (await f.call('getMe')).status === 200);
  assert.equal((await f.stats()).pending, 0, 'logOut cleared the queue');
});

test('test environment: /bot<token>/test/<method> is a separate queue', async (t) => {
  const f = await fixture(t);
  await f.control('POST', `/_emulator/bots/${f.bot.id}/updates?env=test`, { text: 'test env' });
  const prod = await f.call<unknown[]>('getUpdates');
  assert.deepEqual(prod.body.result, []);
  const testEnv = await toRaw<Array<{ message: { text: string } }>>(await fetch(`${f.url}/bot${f.bot.token}/test/getUpdates`));
  assert.equal(testEnv.body.result?.[0]?.message.text, 'test env');
});

test('rival poller: a built-in second instance gives the two-poller 409 ping-pong and consumes updates; sent?min waits', async (t) => {
  const f = await fixture(t, { conflictDelayMs: 0 });
  await f.control('POST', `/_emulator/bots/${f.bot.id}/rival-poller`, { timeout: 20, retry_ms: 100 });
  const rival = async () => (await f.control<ControlStats>('GET', `/_emulator/bots/${f.bot.id}/stats`)).rivalPoller;
  await until('rival polling', async () => (await f.stats()).longPollWaiting);
  const mine = await f.call('getUpdates', { timeout: 30 });
  // our long poll aborted the rival's; the rival came back after 100 ms and aborted ours
  assert.equal(mine.status, 409);
  await until('rival saw a 409', async () => ((await rival())?.conflicts ?? 0) >= 1);
  await f.send('stolen');
  await until('rival consumed it', async () => ((await rival())?.received ?? 0) === 1);
  await until('rival confirmed it', async () => (await f.stats()).pending === 0);
  await f.control('DELETE', `/_emulator/bots/${f.bot.id}/rival-poller`);
  assert.equal(await rival(), undefined);

  const waiting = f.control<{ messages: SentMessage[] }>('GET', `/_emulator/bots/${f.bot.id}/sent?min=1&timeout_ms=5000`);
  // Lets the waiting read reach the emulator first (were it later, it would find the message at once: same result).
  await new Promise((r) => setTimeout(r, 100));
  await f.call('sendMessage', { chat_id: USER, text: 'late' });
  assert.equal((await waiting).messages.length, 1);
});
