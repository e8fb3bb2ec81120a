// The repository stands alone: no file points to documents that are not in it (the design notes, the reference
// folder, the style guide, the shared folder beside the checkout). What a maintainer needs is in docs/. Run by
// `npm run lint`. The names are put together from pieces below, so that this file is no such pointer itself.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The outside documents' names, in pieces. */
const DESIGN = ['DES', 'IGN'].join('');
const REFERENCE = ['refer', 'ence'].join('');
const STYLE = ['STY', 'LE'].join('');
const SHARED = ['sha', 'red'].join('');
/** What points outside the repository. */
const OUTSIDE = new RegExp(
  [
    `\\b${DESIGN}\\.md\\b`,
    `\\b${DESIGN} ★`,
    `(?<![\\w/-])${REFERENCE}\\/[\\w.-]+\\.md`,
    `\\b${STYLE}\\.md\\b`,
    `\\.\\.\\/${SHARED}\\b`,
    `\\/work\\/${SHARED}\\b`,
  ].join('|'),
);
/** Folders and files that are not ours to check. */
const SKIP = new Set(['node_modules', 'dist', '.git', 'coverage', 'results']);

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
    for (const n of outsidePointers(readFileSync(join(root, file), 'utf8'))) problems.push(`${file}:${n}`);
  }
  if (problems.length > 0) {
    console.error(`These lines point to documents that are not in the repository (${DESIGN}.md, ${REFERENCE}/…, ${STYLE}.md, ../${SHARED}):`);
    for (const p of problems) console.error(`  ${p}`);
    console.error('Point to docs/contract.md, docs/bot-api-semantics.md or docs/clients.md instead (write what is missing there).');
    process.exit(1);
  }
}
