// aiogram 3's echo bot (examples/bots/aiogram3.py) direct and two copies without botwarden (cases.ts).
import { pythonBotBasics } from './cases.js';

pythonBotBasics('aiogram3');
