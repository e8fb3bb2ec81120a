// The gateway between a real grammY bot (`bot.start`, apiRoot = gateway.root) and the emulator: echo, standby hold,
// 409s from a second direct poller absorbed, wrong token refused, uploads and downloads, confirmOffset, late answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bot, InputFile } from 'grammy';
import { EmulatorClient, startEmulator, type ControlStats, type Emulator, type SentMessage } from '../../src/emulator/index.js';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { Logger } from '../../src/log.js';
import { fakeLeader, until } from './fake-upstream.js';

interface World {
  emu: Emulator;
  gw: Gateway;
  leader: ReturnType<typeof fakeLeader>;
  bot: { id: number; token: string };
  lines: string[];
  client: EmulatorClient;
  sendText(text: string): Promise<number>;
  sent(): Promise<SentMessage[]>;
  stats(): Promise<ControlStats>;
  /** Resolves once the bot has sent `n` messages (the emulator's `sent?min=N`; bounded). */
  replied(n: number): Promise<void>;
  direct(method: string, params: Record<string, unknown>, token?: string): Promise<{ ok: boolean; result?: unknown; error_code?: number }>;
}

async function world(t: { after(fn: () => Promise<void>): void }, o: { leader?: boolean } = {}): Promise<World> {
  const emu = await startEmulator({ host: '127.0.0.1', port: 0, conflictDelayMs: 0, autoCreateChats: true });
  const client = new EmulatorClient(emu.url);
  const bot = await client.createBot('gateway_test_bot');
  const leader = fakeLeader({ leader: o.leader ?? true });
  const lines: string[] = [];
  const logger = new Logger({ level: 'debug', sink: { write: (l: string) => lines.push(l) } });
  const gw = await startGateway({
    upstreamRoot: emu.url,
    token: bot.token,
    leader: leader.view,
    logger,
    conflictDelayMs: 100,
    shortPollHoldMs: 200,
    leaderCheckMs: 10,
  });
  t.after(async () => {
    await gw.close();
    await emu.close();
  });
  return {
    emu,
    gw,
    leader,
    bot,
    lines,
    client,
    sendText: (text) => client.sendText(bot.id, text),
    sent: () => client.sent(bot.id),
    stats: () => client.stats(bot.id),
    replied: async (n) => {
      await client.waitForSent(bot.id, n, 15_000, `${n} replies`);
    },
    direct: async (method, params, token = bot.token) => {
      const res = await fetch(`${emu.url}/bot${token}/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) });
      return (await res.json()) as { ok: boolean; result?: unknown; error_code?: number };
    },
  };
}

/** A grammY echo bot through the gateway; `failure()` is set if `bot.start()` rejected (e.g. on a 409). */
function echoBot(w: World, t: { after(fn: () => Promise<void>): void }, handler?: (text: string) => Promise<void>): { bot: Bot; failure(): unknown; stop(): Promise<void> } {
  const bot = new Bot(w.bot.token, { client: { apiRoot: w.gw.root } });
  bot.on('message:text', async (ctx) => {
    await handler?.(ctx.message.text);
    await ctx.reply(`echo: ${ctx.message.text}`);
  });
  let failure: unknown;
  let stopped: Promise<void> | undefined;
  const running = bot.start({ timeout: 10 }).catch((err: unknown) => {
    failure = err;
  });
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      if (bot.isRunning()) await bot.stop().catch(() => undefined);
      await running;
    })());
  t.after(stop);
  return { bot, failure: () => failure, stop };
}

async function replies(w: World): Promise<string[]> {
  return (await w.sent()).filter((m) => m.method === 'sendMessage').map((m) => m.text ?? '');
}

test('grammY through the gateway: echo works', async (t) => {
  const w = await world(t);
  const b = echoBot(w, t);
  await w.sendText('hello');
  await until(() => w.gw.snapshot().updatesForwarded >= 1, 10_000, 'the update to be forwarded');
  await w.replied(1);
  assert.deepEqual(await replies(w), ['echo: hello']);
  assert.equal(b.failure(), undefined);
  assert.ok(!w.lines.join('').includes(w.bot.token.split(':')[1]!), 'the secret never appears in the log');
});

test('standby: getUpdates is held (nothing upstream); leadership arrives → the update is delivered', async (t) => {
  const w = await world(t, { leader: false });
  const b = echoBot(w, t);
  await w.sendText('wait for me');
  await until(() => w.gw.snapshot().lastGetUpdatesAt !== null, 10_000, 'the bot to poll');
  // A window in which a wrongly forwarded poll would reach the emulator (nothing to wait for: the check is that nothing happens).
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await w.stats()).getUpdatesCalls, 0, 'no getUpdates reached the emulator');
  assert.deepEqual(await replies(w), []);
  w.leader.set({ leader: true });
  await until(() => w.gw.snapshot().updatesForwarded === 1, 10_000, 'the held poll to be forwarded');
  await w.replied(1);
  assert.deepEqual(await replies(w), ['echo: wait for me']);
  assert.equal(b.failure(), undefined);
});

test('a 409 made by a second direct poller never reaches grammY; grammY keeps running and still answers', async (t) => {
  const w = await world(t);
  const b = echoBot(w, t);
  await until(() => w.gw.snapshot().lastGetUpdatesAt !== null, 10_000, 'the bot to poll');
  await until(async () => (await w.stats()).longPollWaiting, 10_000, "the gateway's long poll to be waiting at the emulator");
  // An unmanaged copy polls the same token directly (as a forgotten process would).
  for (let i = 0; i < 2; i++) await w.direct('getUpdates', { timeout: 1 });
  await until(() => w.gw.snapshot().conflictsAbsorbed.total >= 1, 10_000, 'a conflict to be absorbed');
  assert.ok((await w.stats()).conflicts >= 1, 'the emulator answered a 409');
  assert.equal(w.gw.snapshot().conflictsAbsorbed.byCause['other-poller'], w.gw.snapshot().conflictsAbsorbed.total);
  assert.ok(w.lines.some((l) => l.includes('409 Conflict') && l.includes('another process polls this token')));
  await w.sendText('still there?');
  await w.replied(1);
  assert.deepEqual(await replies(w), ['echo: still there?']);
  assert.equal(b.failure(), undefined, 'grammY did not see a 409');
  assert.ok(b.bot.isRunning(), 'grammY still runs');
});

test('another bot token is refused with 401 and never forwarded', async (t) => {
  const w = await world(t);
  const other = await w.client.createBot('other_bot');
  for (const m of ['getMe', 'sendMessage', 'getUpdates']) {
    const res = await fetch(`${w.gw.root}/bot${other.token}/${m}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"chat_id":1,"text":"x"}' });
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { ok: false, error_code: 401, description: 'Unauthorized' });
  }
  const s = await w.client.stats(other.id);
  assert.equal(s.getUpdatesCalls, 0);
  assert.deepEqual(await w.client.sent(other.id), []);
});

test('multipart sendDocument and the file download pass through', async (t) => {
  const w = await world(t);
  const bot = new Bot(w.bot.token, { client: { apiRoot: w.gw.root } });
  const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
  const msg = await bot.api.sendDocument(1_000_000_042, new InputFile(bytes, 'data.bin'), { caption: 'a file' });
  assert.ok(msg.document?.file_id);
  const file = await bot.api.getFile(msg.document.file_id);
  assert.ok(file.file_path);
  const res = await fetch(`${w.gw.root}/file/bot${w.bot.token}/${file.file_path}`);
  assert.equal(res.status, 200);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
  assert.ok((await w.sent()).some((m) => m.method === 'sendDocument'));
});

test('confirmOffset: what the bot acknowledged after polling stopped is confirmed upstream (confirmedUpTo advances)', async (t) => {
  const w = await world(t);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let received = false;
  const b = echoBot(w, t, async () => {
    received = true;
    await gate;
  });
  const id = await w.sendText('ack me');
  await until(() => received, 10_000, 'the bot to receive the update');
  await w.gw.stopPolling();
  release();
  await until(() => w.gw.snapshot().ackedOffset === id + 1, 10_000, 'the bot to acknowledge the update');
  assert.ok((await w.stats()).confirmedUpTo < id, 'not yet confirmed upstream');
  const r = await w.gw.confirmOffset();
  assert.deepEqual(r, { sent: true, offset: id + 1 });
  assert.equal((await w.stats()).confirmedUpTo, id);
  assert.deepEqual(await w.gw.confirmOffset(), { sent: false });
  await b.stop();
  assert.equal(b.failure(), undefined);
});

test('an answer that arrives after the lease is lost is discarded; the update is delivered again to the next leader', async (t) => {
  const w = await world(t);
  const b = echoBot(w, t);
  await until(() => w.gw.snapshot().lastGetUpdatesAt !== null, 10_000, 'the bot to poll');
  await until(async () => (await w.stats()).longPollWaiting, 10_000, "the gateway's long poll to be waiting at the emulator");
  w.leader.set({ leader: false });
  const id = await w.sendText('late');
  await until(() => w.gw.snapshot().lateDiscarded === 1, 10_000, 'the late answer to be discarded');
  // A window in which a wrongly delivered late answer would be echoed (the check is that nothing happens).
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await replies(w), []);
  assert.equal((await w.stats()).delivered[String(id)], 1);
  w.leader.set({ leader: true });
  await w.replied(1);
  assert.deepEqual(await replies(w), ['echo: late']);
  assert.equal((await w.stats()).delivered[String(id)], 2);
  assert.equal(b.failure(), undefined);
});
