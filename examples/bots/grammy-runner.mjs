// Echo bot, @grammyjs/runner `run(bot)`: replies "echo: <text>"; BOT_TOKEN, TELEGRAM_API_ROOT (optional), POLL_TIMEOUT_S (default 30).
// Prints "ready" when the runner starts polling; SIGTERM/SIGINT → runner.stop() (aborts the poll, no confirm), exit 0.
import { Bot } from 'grammy';
import { run } from '@grammyjs/runner';

const token = process.env.BOT_TOKEN;
if (!token) {
  console.error('grammy-runner echo: BOT_TOKEN is not set');
  process.exit(2);
}
const apiRoot = (process.env.TELEGRAM_API_ROOT ?? '').replace(/\/+$/, '');
const bot = new Bot(token, apiRoot ? { client: { apiRoot } } : {});
bot.on('message:text', (ctx) => ctx.reply(`echo: ${ctx.message.text}`));
await bot.init(); // getMe, so "ready" means the token was accepted
const runner = run(bot, { runner: { fetch: { timeout: Number(process.env.POLL_TIMEOUT_S ?? 30) } } });
const stop = () => {
  if (runner.isRunning()) void runner.stop();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
console.log('ready');
// A 401 or 409 rejects the task; left uncaught (as most bots do), the process exits 1.
await runner.task();
console.log('stopped');
