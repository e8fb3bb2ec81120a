// The stand-alone check (scripts/check-standalone.mjs): lines pointing to documents outside the repository are found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..', '..');
const { outsidePointers } = (await import(pathToFileURL(join(root, 'scripts', 'check-standalone.mjs')).href)) as { outsidePointers(text: string): number[] };

// The outside documents' names in pieces, so that this file is no pointer itself (the check covers it too).
const DESIGN = ['DES', 'IGN'].join('');
const REFERENCE = ['refer', 'ence'].join('');
const STYLE = ['STY', 'LE'].join('');
const SHARED = ['sha', 'red'].join('');

test('pointers to the design notes, the reference folder, the style guide and the shared folder are found; docs/ pointers are not', () => {
  const text = [
    `// the control API (${DESIGN}.md ★ table)`,
    '// see docs/contract.md §9.1',
    `// every pool (${DESIGN} ★ "Many bots")`,
    `/** the cap (${REFERENCE}/bot-api-semantics.md §4.1) */`,
    '// as docs/bot-api-semantics.md §4.1 says',
    `// (${STYLE}.md: never turn that off)`,
    `import x from '../${SHARED}/thing.js';`,
    '// a plain line',
  ].join('\n');
  assert.deepEqual(outsidePointers(text), [1, 3, 4, 6, 7]);
});
