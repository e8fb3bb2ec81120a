// pyTelegramBotAPI's echo bot (examples/bots/telebot4.py) rolling handover under botwarden, cold and hot standby (cases.ts).
import { pythonBotHandovers } from './cases.js';

pythonBotHandovers('telebot4');
