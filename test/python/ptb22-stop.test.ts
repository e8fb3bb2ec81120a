// python-telegram-bot 22's echo bot (examples/bots/ptb22.py) slow handlers and drop-pending across a handover (cases.ts).
import { pythonBotStops } from './cases.js';

pythonBotStops('ptb22');
