// README's one-line table is true for the Python libraries: each line of code in a row is, character for character,
// a line of that library's example bot (or assigned to a name there), which the end-to-end tests in this folder run under botwarden.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/cli.js';
import { PY_BOTS, type PyBot } from '../helpers/python-bots.js';

const ROWS: Record<PyBot, string> = { aiogram3: 'aiogram 3', ptb22: 'python-telegram-bot 20+', telebot4: 'pyTelegramBotAPI' };

test("README's one-line table: every Python row's code is in the example bot the tests run", () => {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  for (const [bot, row] of Object.entries(ROWS) as Array<[PyBot, string]>) {
    const line = readme.split('\n').find((l) => l.startsWith(`| ${row} |`));
    assert.ok(line, `README has no table row "| ${row} |"`);
    const spans = [...line.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
    assert.ok(spans.length > 0, `the "${row}" row has no code`);
    // A line is the code itself, or the code assigned to a name (`bot = Bot(…)`).
    const source = readFileSync(PY_BOTS[bot].file, 'utf8').split('\n').map((l) => l.trim());
    const hasLine = (code: string): boolean => source.some((l) => l === code || l.replace(/^[A-Za-z_]\w* = /, '') === code);
    for (const code of spans) assert.ok(hasLine(code), `${path.basename(PY_BOTS[bot].file)} has no line \`${code}\` (README, "${row}" row)`);
  }
});
