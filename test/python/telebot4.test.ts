// pyTelegramBotAPI's echo bot (examples/bots/telebot4.py) direct and two copies without botwarden (cases.ts).
import { pythonBotBasics } from './cases.js';

pythonBotBasics('telebot4');
