// The demo's sample bot (grammY): replies "echo: <text> (from <instance>)" so you can see which instance answered.
// Under botwarden it reads BOT_TOKEN, TELEGRAM_API_ROOT and BOTWARDEN_INSTANCE from its environment.
import { Bot } from 'grammy';

const bot = new Bot(process.env.BOT_TOKEN, { client: { apiRoot: process.env.TELEGRAM_API_ROOT } });
const instance = process.env.BOTWARDEN_INSTANCE ?? 'unmanaged';
bot.on('message:text', (ctx) => ctx.reply(`echo: ${ctx.message.text} (from ${instance})`));
for (const sig of ['SIGTERM', 'SIGINT']) process.once(sig, () => void bot.stop());
await bot.start({ onStart: (me) => console.log(`ready: @${me.username} polling`) });
