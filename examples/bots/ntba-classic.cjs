// Echo bot, node-telegram-bot-api 0.67 (npm alias `ntba-classic`): replies "echo: <text>"; BOT_TOKEN,
// TELEGRAM_API_ROOT (optional), POLL_TIMEOUT_S (default 10). Polling starts in the constructor; prints "ready" then.
// SIGTERM/SIGINT → stopPolling() (waits for the in-flight poll unless POLL_CANCEL=1), exit 0.
process.env.NTBA_FIX_319 = '1'; // silence the 0.x promise-cancellation deprecation notice
process.env.NTBA_FIX_350 = '1';
const TelegramBot = require('ntba-classic');

const token = process.env.BOT_TOKEN;
if (!token) {
  console.error('ntba-classic echo: BOT_TOKEN is not set');
  process.exit(2);
}
const apiRoot = (process.env.TELEGRAM_API_ROOT || 'https://api.telegram.org').replace(/\/+$/, '');
const bot = new TelegramBot(token, { baseApiUrl: apiRoot, polling: { params: { timeout: Number(process.env.POLL_TIMEOUT_S || 10) } } });
bot.on('message', (msg) => {
  if (typeof msg.text === 'string') bot.sendMessage(msg.chat.id, `echo: ${msg.text}`).catch((err) => console.error(`sendMessage failed: ${err.message}`));
});
// 0.x never stops on errors (409, 401, 429 …): it reports them here and polls again after 300 ms.
bot.on('polling_error', (err) => console.error(`polling_error: ${err.code} ${err.response && err.response.statusCode}`));
console.log('ready');
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  bot
    .stopPolling({ cancel: process.env.POLL_CANCEL === '1' })
    .then(() => {
      console.log('stopped');
      process.exit(0);
    })
    .catch(() => process.exit(1));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
