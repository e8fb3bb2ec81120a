// python-telegram-bot 22's echo bot (examples/bots/ptb22.py) direct and two copies without botwarden (cases.ts).
import { pythonBotBasics } from './cases.js';

pythonBotBasics('ptb22');
