// The repository stands alone: no file points to documents that are not in it (a DESIGN.md, a reference/ folder,
// STYLE.md, anything under ../shared). What a maintainer needs is in docs/. Run by `npm run lint`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What points outside the repository. */
const OUTSIDE = /\bDESIGN\.md\b|\bDESIGN ★|(?<![\w/-])reference\/[\w.-]+\.md|\bSTYLE\.md\b|\.\.\/shared\b|\/work\/shared\b/;
/** Folders and files that are not ours to check. */
const SKIP = new Set(['node_modules', 'dist', '.git', 'coverage', 'results']);
/** This file and the test that feeds it examples name the patterns on purpose. */
const SELF = new Set(['scripts/check-standalone.mjs', 'test/lint/standalone.test.ts']);

/**
 * The lines of `text` that point outside the repository.
 * @param {string} text
 * @returns {number[]} 1-based line numbers
 */
export function outsidePointers(text) {
  const lines = [];
  text.split('\n').forEach((line, i) => {
    if (OUTSIDE.test(line)) lines.push(i + 1);
  });
  return lines;
}

function walk(root, rel, out) {
  for (const name of readdirSync(join(root, rel))) {
    if (SKIP.has(name)) continue;
    const child = rel === '' ? name : `${rel}/${name}`;
    const st = statSync(join(root, child));
    if (st.isDirectory()) walk(root, child, out);
    else if (/\.(ts|mts|js|mjs|cjs|py|sh|md|json|ya?ml)$/.test(name) || name === 'run') out.push(child);
  }
  return out;
}

if (process.argv[1] && relative(process.argv[1], fileURLToPath(import.meta.url)) === '') {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const problems = [];
  for (const file of walk(root, '', [])) {
    if (SELF.has(file)) continue;
    for (const n of outsidePointers(readFileSync(join(root, file), 'utf8'))) problems.push(`${file}:${n}`);
  }
  if (problems.length > 0) {
    console.error('These lines point to documents that are not in the repository (DESIGN.md, reference/…, STYLE.md, ../shared):');
    for (const p of problems) console.error(`  ${p}`);
    console.error('Point to docs/contract.md, docs/bot-api-semantics.md or docs/clients.md instead (write what is missing there).');
    process.exit(1);
  }
}
