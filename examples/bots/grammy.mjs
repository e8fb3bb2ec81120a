// Echo bot, grammY `bot.start()`: replies "echo: <text>"; BOT_TOKEN, TELEGRAM_API_ROOT (optional), POLL_TIMEOUT_S (default 30).
// Prints "ready" when polling starts; SIGTERM/SIGINT → bot.stop() (confirms the offset), exit 0.
import { Bot } from 'grammy';

const token = process.env.BOT_TOKEN;
if (!token) {
  console.error('grammy echo: BOT_TOKEN is not set');
  process.exit(2);
}
const apiRoot = (process.env.TELEGRAM_API_ROOT ?? '').replace(/\/+$/, '');
const bot = new Bot(token, apiRoot ? { client: { apiRoot } } : {});
bot.on('message:text', (ctx) => ctx.reply(`echo: ${ctx.message.text}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.once(sig, () => void bot.stop());
// A 401 or 409 makes bot.start() reject; left uncaught (as most bots do), the process exits 1.
await bot.start({ timeout: Number(process.env.POLL_TIMEOUT_S ?? 30), onStart: () => console.log('ready') });
console.log('stopped');
