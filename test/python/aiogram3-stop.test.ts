// aiogram 3's echo bot (examples/bots/aiogram3.py) slow handlers and drop-pending across a handover (cases.ts).
import { pythonBotStops } from './cases.js';

pythonBotStops('aiogram3');
