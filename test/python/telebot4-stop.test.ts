// pyTelegramBotAPI's echo bot (examples/bots/telebot4.py) slow handlers and drop-pending across a handover (cases.ts).
import { pythonBotStops } from './cases.js';

pythonBotStops('telebot4');
