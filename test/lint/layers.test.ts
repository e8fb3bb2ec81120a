// The layering lint rule (scripts/eslint-layers.mjs): an upward import fails, a downward or same-layer one passes,
// and the project's eslint.config.js turns the rule on as an error for src/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const root = resolve(import.meta.dirname, '..', '..');
const src = join(root, 'src');

interface LayersModule {
  layersPlugin: ESLint.Plugin;
}
const { layersPlugin } = (await import(pathToFileURL(join(root, 'scripts', 'eslint-layers.mjs')).href)) as LayersModule;

/** An ESLint that runs only the layers rule (no type information needed, so files need not exist). */
function layersOnly(): ESLint {
  const config: Linter.Config[] = [
    {
      files: ['**/*.ts'],
      languageOptions: { parser: tseslint.parser as Linter.Parser },
      plugins: { layers: layersPlugin },
      rules: { 'layers/layers': 'error' },
    },
  ];
  return new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: config });
}

async function lint(file: string, code: string): Promise<Linter.LintMessage[]> {
  const [result] = await layersOnly().lintText(code, { filePath: join(src, file) });
  assert.ok(result, 'ESLint returned no result');
  return result.messages;
}

test('an import from a higher layer is an error naming both files and both layers', async () => {
  const messages = await lint('health/upward.ts', "import { Steps } from '../daemon/steps.js';\nexport const s = Steps;\n");
  assert.equal(messages.length, 1);
  const [m] = messages;
  assert.equal(m?.ruleId, 'layers/layers');
  assert.equal(m?.severity, 2);
  assert.match(m?.message ?? '', /`src\/health\/upward\.ts` \(layer 4, [^)]+\) imports `src\/daemon\/steps\.ts` \(layer 5, /);
});

test('dynamic import(), type-only imports, re-exports and require() are checked too', async () => {
  const code = [
    "import type { Daemon } from '../daemon/daemon.js';",
    "export { runMain } from '../cli/program.js';",
    "export * from '../cli/exit.js';",
    "export const load = () => import('../daemon/daemon.js');",
    "export type T = typeof import('../cli/entry.js');",
    "export const r = require('../daemon/status.js');",
    'export type D = Daemon;',
  ].join('\n');
  const messages = await lint('lease/upward.ts', code);
  assert.equal(messages.length, 6, messages.map((m) => m.message).join('\n'));
  assert.ok(messages.every((m) => m.ruleId === 'layers/layers' && m.severity === 2));
});

test('imports from the same layer, a lower layer, packages and node: built-ins pass', async () => {
  const code = [
    "import { readFile } from 'node:fs/promises';",
    "import { z } from 'zod';",
    "import { Steps } from './steps.js';",
    "import { startGateway } from '../gateway/index.js';",
    "import { redact } from '../util/redact.js';",
    "import { BotwardenError } from '../errors.js';",
    'export const all = [readFile, z, Steps, startGateway, redact, BotwardenError];',
  ].join('\n');
  assert.deepEqual(await lint('daemon/allowed.ts', code), []);
});

test('a sealed folder (the emulator) may not import from its own layer', async () => {
  const messages = await lint('emulator/sealed.ts', "import { planPoll } from '../gateway/poll-plan.js';\nexport const p = planPoll;\n");
  assert.equal(messages.length, 1);
  assert.match(messages[0]?.message ?? '', /sealed/);
  assert.deepEqual(await lint('emulator/sealed.ts', "import { sleep } from '../util/sleep.js';\nexport const s = sleep;\n"), []);
});

test('a file in no layer, and an import from outside src/, are errors that say what to do', async () => {
  const [unplaced] = await lint('nowhere/file.ts', 'export const x = 1;\n');
  assert.match(unplaced?.message ?? '', /`src\/nowhere\/file\.ts` is in no layer: add its folder \(`nowhere\/`\)/);
  const [outside] = await lint('util/outside.ts', "import { x } from '../../test/helpers/cli.js';\nexport const y = x;\n");
  assert.match(outside?.message ?? '', /outside src\//);
});

test("the project's eslint.config.js runs the rule as an error on every file under src/", async () => {
  const eslint = new ESLint({ cwd: root });
  for (const file of ['health/status.ts', 'index.ts', 'bin/botwarden.ts']) {
    const config = (await eslint.calculateConfigForFile(join(src, file))) as Linter.Config;
    const setting = config.rules?.['layers/layers'];
    const severity = Array.isArray(setting) ? setting[0] : setting;
    assert.ok(severity === 2 || severity === 'error', `layers/layers is ${JSON.stringify(setting)} for src/${file}`);
  }
});
