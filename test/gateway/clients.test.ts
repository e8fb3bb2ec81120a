// Other real clients through the gateway against the emulator, each as its own process reading BOT_TOKEN and
// TELEGRAM_API_ROOT as a managed bot does: Telegraf (JSON, dies on a 409), node-telegram-bot-api 0.67 (urlencoded,
// setWebHook on 409), python-telegram-bot 13 (numbers as strings, `base_url=…/bot`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmulatorClient, startEmulator, type Emulator } from '../../src/emulator/index.js';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { silentLogger } from '../../src/log.js';
import { spawnProcess, type Spawned } from '../helpers/cli.js';
import { ptb13Missing } from '../helpers/fleet.js';
import { fakeLeader, until } from './fake-upstream.js';

const PYTHON = '/usr/bin/python3';

const BOTS = {
  telegraf: [
    "import { Telegraf } from 'telegraf';",
    "const bot = new Telegraf(process.env.BOT_TOKEN, { telegram: { apiRoot: process.env.TELEGRAM_API_ROOT + '/' } });",
    "bot.on('text', (ctx) => ctx.reply('echo: ' + ctx.message.text));",
    "bot.launch().catch((e) => { console.error('LAUNCH FAILED', e.message); process.exit(1); });",
    "console.log('started');",
    "process.once('SIGTERM', () => bot.stop('SIGTERM'));",
  ].join('\n'),
  ntba: [
    "import TelegramBot from 'ntba-classic';",
    "const bot = new TelegramBot(process.env.BOT_TOKEN, { polling: { params: { timeout: 2 } }, baseApiUrl: process.env.TELEGRAM_API_ROOT });",
    "bot.on('message', (m) => bot.sendMessage(m.chat.id, 'echo: ' + m.text));",
    "bot.on('polling_error', (e) => console.error('POLLING ERROR', e.code, e.message));",
    "console.log('started');",
    "process.once('SIGTERM', () => bot.stopPolling({ cancel: true }).then(() => process.exit(0)));",
  ].join('\n'),
  ptb: [
    'import os, warnings',
    "warnings.simplefilter('ignore')",
    'from telegram.ext import Updater, MessageHandler, Filters',
    "root = os.environ['TELEGRAM_API_ROOT']",
    "u = Updater(os.environ['BOT_TOKEN'], base_url=root + '/bot', base_file_url=root + '/file/bot')",
    "u.dispatcher.add_handler(MessageHandler(Filters.text, lambda up, ctx: up.message.reply_text('echo: ' + up.message.text)))",
    'u.start_polling(timeout=1)',
    "print('started', flush=True)",
    'u.idle()',
  ].join('\n'),
};

interface World {
  emu: Emulator;
  gw: Gateway;
  bot: { id: number; token: string };
  client: EmulatorClient;
  replies(): Promise<string[]>;
}

async function world(t: { after(fn: () => Promise<void>): void }): Promise<World> {
  const emu = await startEmulator({ host: '127.0.0.1', port: 0, conflictDelayMs: 0 });
  const client = new EmulatorClient(emu.url);
  const bot = await client.createBot('clients_test_bot');
  const gw = await startGateway({ upstreamRoot: emu.url, token: bot.token, leader: fakeLeader().view, logger: silentLogger, conflictDelayMs: 100, shortPollHoldMs: 200 });
  t.after(async () => {
    await gw.close();
    await emu.close();
  });
  return {
    emu,
    gw,
    bot,
    client,
    replies: async () => (await client.sent(bot.id)).filter((m) => m.method === 'sendMessage').map((m) => m.text ?? ''),
  };
}

function spawnBot(kind: keyof typeof BOTS, w: World, t: { after(fn: () => Promise<void>): void }): Spawned {
  const env = { BOT_TOKEN: w.bot.token, TELEGRAM_API_ROOT: w.gw.root, HTTPS_PROXY: '', https_proxy: '', HTTP_PROXY: '', http_proxy: '' };
  const p = kind === 'ptb' ? spawnProcess(PYTHON, ['-c', BOTS.ptb], { env }) : spawnProcess(process.execPath, ['--input-type=module', '-e', BOTS[kind]], { env });
  t.after(async () => {
    await p.stop(8000);
  });
  return p;
}

async function echoRoundTrip(w: World, text: string): Promise<void> {
  const before = (await w.client.sent(w.bot.id)).length;
  await w.client.sendText(w.bot.id, text);
  await w.client.sent(w.bot.id, { min: before + 1, timeoutMs: 15_000 });
  assert.ok((await w.replies()).includes(`echo: ${text}`), `no reply to ${text}; got ${JSON.stringify(await w.replies())}`);
}

test('Telegraf: echo through the gateway; a 409 from a direct poller is absorbed and Telegraf keeps running', async (t) => {
  const w = await world(t);
  const p = spawnBot('telegraf', w, t);
  await p.waitFor(/started/);
  await echoRoundTrip(w, 'from telegraf');
  await until(() => w.gw.snapshot().lastGetUpdatesAt !== null, 10_000, 'a poll');
  await until(async () => (await w.client.stats(w.bot.id)).longPollWaiting, 10_000, "the gateway's long poll to be waiting at the emulator");
  await w.client.api(w.bot.token, 'getUpdates', { timeout: 1 });
  await until(() => w.gw.snapshot().conflictsAbsorbed.total >= 1, 10_000, 'the 409 to be absorbed');
  await echoRoundTrip(w, 'after the conflict');
  assert.doesNotMatch(p.stdout() + p.stderr(), /LAUNCH FAILED|409/);
  assert.equal(await p.stop(8000), 0);
});

test('node-telegram-bot-api 0.67 (urlencoded): echo through the gateway, no polling errors', async (t) => {
  const w = await world(t);
  const p = spawnBot('ntba', w, t);
  await p.waitFor(/started/);
  await echoRoundTrip(w, 'from ntba');
  assert.doesNotMatch(p.stderr(), /POLLING ERROR/);
});

test('python-telegram-bot 13: echo through the gateway', { skip: ptb13Missing() }, async (t) => {
  const w = await world(t);
  const p = spawnBot('ptb', w, t);
  await p.waitFor(/started/, 20_000);
  await echoRoundTrip(w, 'from ptb');
  assert.doesNotMatch(p.stderr(), /Conflict|Traceback/);
});
