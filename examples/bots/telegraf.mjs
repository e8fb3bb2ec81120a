// Echo bot, Telegraf `bot.launch()`: replies "echo: <text>"; BOT_TOKEN, TELEGRAM_API_ROOT (optional).
// Prints "ready" once getMe succeeded and polling is starting; SIGTERM/SIGINT → bot.stop() (confirms the offset), exit 0.
import { Telegraf } from 'telegraf';

const token = process.env.BOT_TOKEN;
if (!token) {
  console.error('telegraf echo: BOT_TOKEN is not set');
  process.exit(2);
}
const apiRoot = (process.env.TELEGRAM_API_ROOT ?? '').replace(/\/+$/, '');
const bot = new Telegraf(token, apiRoot ? { telegram: { apiRoot } } : {});
bot.on('text', (ctx) => ctx.reply(`echo: ${ctx.message.text}`));
let launched = false;
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.once(sig, () => {
    // bot.stop() throws "Bot is not running!" before polling started.
    if (launched) bot.stop(sig);
    else process.exit(0);
  });
}
// A 401 or 409 makes launch() reject; left uncaught (as most bots do), the process exits 1.
await bot.launch(() => {
  launched = true;
  console.log('ready');
});
console.log('stopped');
