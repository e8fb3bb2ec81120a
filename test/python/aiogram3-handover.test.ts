// aiogram 3's echo bot (examples/bots/aiogram3.py) rolling handover under botwarden, cold and hot standby (cases.ts).
import { pythonBotHandovers } from './cases.js';

pythonBotHandovers('aiogram3');
