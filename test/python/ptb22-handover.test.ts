// python-telegram-bot 22's echo bot (examples/bots/ptb22.py) rolling handover under botwarden, cold and hot standby (cases.ts).
import { pythonBotHandovers } from './cases.js';

pythonBotHandovers('ptb22');
