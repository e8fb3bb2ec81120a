// Echo bot, node-telegram-bot-api 2.x `run(bot)`: replies "echo: <text>"; BOT_TOKEN, TELEGRAM_API_ROOT (optional), POLL_TIMEOUT_S (default 30).
// Prints "ready" when polling starts; run() handles SIGTERM/SIGINT (aborts the poll, no confirm), exit 0.
import { Bot } from 'node-telegram-bot-api';
import { run } from 'node-telegram-bot-api/node';

const token = process.env.BOT_TOKEN;
if (!token) {
  console.error('ntba echo: BOT_TOKEN is not set');
  process.exit(2);
}
const apiRoot = (process.env.TELEGRAM_API_ROOT ?? '').replace(/\/+$/, '');
const bot = new Bot(token, apiRoot ? { apiRoot } : {});
bot.on('message', async (ctx) => {
  const text = ctx.message?.text;
  if (text !== undefined) await ctx.reply(`echo: ${text}`);
});
// ntba 2 sends no getMe and no deleteWebhook: polling starts at once.
console.log('ready');
// A 401 or 409 makes run() reject; left uncaught (as most bots do), the process exits 1.
await run(bot, { timeout: Number(process.env.POLL_TIMEOUT_S ?? 30) });
console.log('stopped');
