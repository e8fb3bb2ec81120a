// pyTelegramBotAPI's echo bot (examples/bots/telebot4.py) direct, two copies, rolling handover (cases.ts).
import { pythonBotBasics } from './cases.js';

pythonBotBasics('telebot4');
