// The six real client libraries against the emulator, as echo bots (examples/bots/): echo, 429, 409 (two pollers, webhook),
// 401 — each library's reaction as docs/clients.md records it. Libraries run concurrently; every child is stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnProcess, type Spawned } from '../helpers/cli.js';
import { EmulatorClient, startEmulator, type CreatedBot, type Emulator } from '../../src/emulator/index.js';
import { ptb13Missing } from '../helpers/fleet.js';
import { CONFLICT_WEBHOOK_ACTIVE } from '../../src/emulator/errors.js';
import { delay, until } from './helpers.js';

interface Lib {
  name: string;
  cmd: string;
  args: string[];
  /** What a 409 or 401 during polling does (docs/clients.md §5). */
  onFatal: 'exit 1' | 'keeps polling';
  /** Whether the next getUpdates waits retry_after after a 429. */
  honours429: boolean;
  /** The least gap expected after a 429 with retry_after 1 (PTB adds 0.5 s), ms. */
  min429GapMs?: number;
  /** What it does when a webhook is set at start. */
  onWebhook: 'deletes it at start' | 'exit 1 on the 409' | 'deletes it after the 409';
}

const NODE = process.execPath;
const LIBS: Lib[] = [
  { name: 'grammy', cmd: NODE, args: ['examples/bots/grammy.mjs'], onFatal: 'exit 1', honours429: true, onWebhook: 'deletes it at start' },
  { name: 'grammy-runner', cmd: NODE, args: ['examples/bots/grammy-runner.mjs'], onFatal: 'exit 1', honours429: true, onWebhook: 'exit 1 on the 409' },
  { name: 'telegraf', cmd: NODE, args: ['examples/bots/telegraf.mjs'], onFatal: 'exit 1', honours429: true, onWebhook: 'deletes it at start' },
  { name: 'ntba-2', cmd: NODE, args: ['examples/bots/ntba.mjs'], onFatal: 'exit 1', honours429: true, onWebhook: 'exit 1 on the 409' },
  { name: 'ntba-0.67', cmd: NODE, args: ['examples/bots/ntba-classic.cjs'], onFatal: 'keeps polling', honours429: false, onWebhook: 'deletes it after the 409' },
  { name: 'ptb13', cmd: '/usr/bin/python3', args: ['examples/bots/ptb13.py'], onFatal: 'keeps polling', honours429: true, min429GapMs: 1400, onWebhook: 'deletes it at start' },
];

/** An emulator for one test, its control client, and a bot process per library. */
async function harness(t: { after(fn: () => Promise<void> | void): void }): Promise<{
  emu: Emulator;
  client: EmulatorClient;
  newBot(name: string): Promise<CreatedBot>;
  spawn(lib: Lib, token: string): Spawned;
  echoes(id: number): Promise<string[]>;
}> {
  const emu = await startEmulator({ port: 0 });
  const client = new EmulatorClient(emu.url);
  const children: Spawned[] = [];
  t.after(async () => {
    await Promise.all(children.map((c) => c.stop(1000)));
    await emu.close();
  });
  return {
    emu,
    client,
    newBot: (name) => client.createBot(`${name.replace(/[^a-z0-9]/g, '_')}_bot`),
    spawn: (lib, token) => {
      const c = spawnProcess(lib.cmd, lib.args, {
        env: { BOT_TOKEN: token, TELEGRAM_API_ROOT: emu.url, POLL_TIMEOUT_S: '3', HTTPS_PROXY: '', https_proxy: '', HTTP_PROXY: '', http_proxy: '' },
      });
      children.push(c);
      return c;
    },
    echoes: async (id) => (await client.sent(id)).map((m) => m.text ?? ''),
  };
}

/** Resolve with the exit code if the process ends within `ms`, else undefined. */
async function exitWithin(p: Spawned, ms: number): Promise<number | string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([p.exited(), new Promise<undefined>((res) => (timer = setTimeout(() => res(undefined), ms)))]);
  clearTimeout(timer);
  return r;
}

function perLibrary(title: string, fn: (h: Awaited<ReturnType<typeof harness>>, lib: Lib, t: { diagnostic(m: string): void }) => Promise<void>): void {
  test(title, { concurrency: true }, async (t) => {
    const h = await harness(t);
    await Promise.all(LIBS.map((lib) => t.test(lib.name, { skip: lib.name === 'ptb13' && ptb13Missing() }, (st) => fn(h, lib, st))));
  });
}

perLibrary('echo, then a 429 with retry_after on getUpdates, then echo again; SIGTERM → exit 0', async (h, lib, t) => {
  const bot = await h.newBot(lib.name);
  const p = h.spawn(lib, bot.token);
  await p.waitFor(/\bready\b/, 20_000);
  await until(`${lib.name} polling`, async () => (await h.client.stats(bot.id)).longPollWaiting, 15_000);
  await h.client.sendText(bot.id, 'hello');
  await until(`${lib.name} echo`, async () => (await h.echoes(bot.id)).includes('echo: hello'), 10_000);

  // 429: the next getUpdates after the reply answers retry_after; measure the gap to the one after it. A library
  // that honours it gets retry_after 1 (the gap has a lower bound); one that ignores it gets retry_after 30, so
  // "retried long before 30 s" tells the two apart however slow the machine is.
  await until(`${lib.name} polling again`, async () => (await h.client.stats(bot.id)).longPollWaiting, 10_000);
  const faultAt = Date.now();
  const retryAfterS = lib.honours429 ? 1 : 30;
  await h.client.addFault({ bot: bot.id, method: 'getUpdates', status: 429, count: 1, retry_after: retryAfterS });
  await h.client.sendText(bot.id, 'second');
  await until(`${lib.name} second echo`, async () => (await h.echoes(bot.id)).includes('echo: second'), 10_000);
  const polls = await until(`${lib.name} polls after the 429`, async () => {
    const r = (await h.client.requests(bot.id)).filter((x) => x.method.toLowerCase() === 'getupdates' && x.at >= faultAt);
    return r.length >= 2 ? r : undefined;
  }, lib.honours429 ? 10_000 : 20_000);
  // The update went to the poll already pending; polls[0] (the next one) got the 429, polls[1] is the retry.
  const gapMs = polls[1]!.at - polls[0]!.at;
  t.diagnostic(`${lib.name}: getUpdates after the 429 came ${gapMs} ms later`);
  if (lib.honours429) assert.ok(gapMs >= (lib.min429GapMs ?? 900), `${lib.name} should wait retry_after (1 s), waited ${gapMs} ms`);
  else assert.ok(gapMs < retryAfterS * 1000, `${lib.name} ignores retry_after (${retryAfterS} s), waited ${gapMs} ms`);

  const t0 = Date.now();
  p.child.kill('SIGTERM');
  assert.equal(await exitWithin(p, 12_000), 0, `${lib.name} exit on SIGTERM\n${p.stderr()}`);
  t.diagnostic(`${lib.name}: exit 0 ${Date.now() - t0} ms after SIGTERM`);
});

perLibrary('two pollers on one token: the OLDER gets the 409; each library reacts as clients.md says; no update lost', async (h, lib, t) => {
  const bot = await h.newBot(lib.name);
  const older = h.spawn(lib, bot.token);
  await older.waitFor(/\bready\b/, 20_000);
  await until(`${lib.name} polling`, async () => (await h.client.stats(bot.id)).longPollWaiting, 15_000);
  const newer = h.spawn(lib, bot.token);
  await newer.waitFor(/\bready\b/, 20_000);
  if (lib.onFatal === 'exit 1') {
    assert.equal(await exitWithin(older, 10_000), 1, `${lib.name}: the older instance exits 1 on the 409`);
    assert.equal(newer.child.exitCode, null, `${lib.name}: the newer instance keeps running`);
    assert.equal((await h.client.stats(bot.id)).conflicts, 1);
  } else {
    await until(`${lib.name} conflicts`, async () => (await h.client.stats(bot.id)).conflicts >= 1, 10_000);
    // A window in which a library that exits on the 409 would exit (the quiet is what is checked).
    await delay(1500);
    assert.equal(older.child.exitCode, null, `${lib.name}: the older instance keeps polling`);
    assert.equal(newer.child.exitCode, null, `${lib.name}: the newer instance keeps polling`);
  }
  t.diagnostic(`${lib.name}: conflicts ${(await h.client.stats(bot.id)).conflicts}`);
  await h.client.sendText(bot.id, 'after the conflict');
  await until(`${lib.name} echo after the conflict`, async () => (await h.echoes(bot.id)).includes('echo: after the conflict'), 15_000);
});

perLibrary('webhook set before start: the webhook 409 (or a deleteWebhook at start), per library', async (h, lib, t) => {
  const bot = await h.newBot(lib.name);
  const set = await h.client.api(bot.token, 'setWebhook', { url: 'http://127.0.0.1:9/hook' });
  assert.ok(set.ok);
  const p = h.spawn(lib, bot.token);
  await p.waitFor(/\bready\b/, 20_000);
  if (lib.onWebhook === 'exit 1 on the 409') {
    assert.equal(await exitWithin(p, 10_000), 1, `${lib.name} exits 1 on "${CONFLICT_WEBHOOK_ACTIVE}"`);
    const s = await h.client.stats(bot.id);
    assert.equal(s.conflicts, 1);
    assert.notEqual(s.webhook.url, '');
    return;
  }
  await until(`${lib.name} polling`, async () => (await h.client.stats(bot.id)).longPollWaiting, 15_000);
  const s = await h.client.stats(bot.id);
  assert.equal(s.webhook.url, '', `${lib.name} removed the webhook`);
  if (lib.onWebhook === 'deletes it at start') assert.equal(s.conflicts, 0);
  else {
    assert.ok(s.conflicts >= 1, `${lib.name} got the webhook 409 first`);
    assert.ok((await h.client.requests(bot.id)).some((r) => r.method === 'setWebHook'), 'then called setWebHook with no url');
  }
  t.diagnostic(`${lib.name}: conflicts ${s.conflicts}`);
  await h.client.sendText(bot.id, 'via polling');
  await until(`${lib.name} echo`, async () => (await h.echoes(bot.id)).includes('echo: via polling'), 10_000);
});

perLibrary('token revoked while polling: 401 — grammY, runner, Telegraf, ntba 2 exit 1; ntba 0.67 and PTB keep polling', async (h, lib, t) => {
  const bot = await h.newBot(lib.name);
  const p = h.spawn(lib, bot.token);
  await p.waitFor(/\bready\b/, 20_000);
  await until(`${lib.name} polling`, async () => (await h.client.stats(bot.id)).longPollWaiting, 15_000);
  const before = (await h.client.stats(bot.id)).getUpdatesCalls;
  await h.client.revoke(bot.id);
  if (lib.onFatal === 'exit 1') {
    const code = await exitWithin(p, 10_000);
    assert.equal(code, 1, `${lib.name} exits 1 on 401`);
    return;
  }
  await until(`${lib.name} polls again after the 401`, async () => (await h.client.stats(bot.id)).getUpdatesCalls >= before + 2, 10_000);
  assert.equal(p.child.exitCode, null, `${lib.name} keeps running`);
  t.diagnostic(`${lib.name}: ${(await h.client.stats(bot.id)).getUpdatesCalls - before} getUpdates after the revoke`);
});
