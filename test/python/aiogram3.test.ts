// aiogram 3's echo bot (examples/bots/aiogram3.py) direct, two copies, rolling handover (cases.ts).
import { pythonBotBasics } from './cases.js';

pythonBotBasics('aiogram3');
