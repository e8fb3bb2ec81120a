// Keeps ARCHITECTURE.md true: every file under src/, scripts/ and .ci/ has exactly one map line there (a list item
// starting with its full path in backticks), every path it names exists, and each src/ file's line sits in the
// section of its layer (the table: scripts/layers.mjs); and no line tells history ("until X lands").
// Run by `npm run lint`; exits 1 with one line per problem.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAYERS, layerOf } from './layers.mjs';

/** Folders whose every file the map names one by one. */
export const MAPPED_ROOTS = ['src', 'scripts', '.ci'];

/** A path mention: `src/…`, `scripts/…` or `.ci/…`, not part of a longer path. */
const MENTION = /(?<![A-Za-z0-9_./-])(?:src|scripts|\.ci)\/[A-Za-z0-9_.\-/{},*]*/g;
/** A map line: a list item whose first word is a backticked path, `- \`src/x.ts\` — what it is for`. */
const MAP_LINE = /^\s*[-*]\s+`((?:src|scripts|\.ci)\/[^`]*)`/;
/** Words that tell history or plans instead of what a file is for ("until X lands", "to be adapted", "TODO"). */
const HISTORY = /\buntil\s+\S+(\s+\S+)?\s+lands\b|\bto be (adapted|moved|replaced|removed|merged)\b|\bTODO\b|\bFIXME\b|\bfor now\b/i;
/** A layer section heading: `## Layer 3 — …`. */
const LAYER_HEADING = /^##\s+Layer\s+(\d+)\b/;

/**
 * Compare the map with the tree. Pure: the caller reads the files.
 * @param {{ markdown: string, files: string[], dirs: string[] }} input
 *   files and dirs: paths relative to the repository root with `/` separators, under MAPPED_ROOTS
 * @returns {string[]} the problems, one sentence each (empty: the map is true)
 */
export function checkArchitecture({ markdown, files, dirs }) {
  const problems = [];
  const fileSet = new Set(files);
  const dirSet = new Set(dirs.map((d) => d.replace(/\/$/, '')));
  /** @type {Map<string, number[]>} file → the layer section of each of its map lines (0: outside the layer sections) */
  const mentions = new Map();
  const headings = new Set();
  let section = 0;
  markdown.split('\n').forEach((line, i) => {
    if (/^##\s/.test(line)) {
      const m = LAYER_HEADING.exec(line);
      section = m ? Number(m[1]) : 0;
      if (m) headings.add(section);
    }
    const where = `ARCHITECTURE.md:${i + 1}`;
    const history = HISTORY.exec(line)?.[0];
    if (history) problems.push(`${where}: "${history}" tells history or a plan: say what the code is for now`);
    // Any path named anywhere must exist (a file, or a folder).
    for (const raw of line.match(MENTION) ?? []) {
      const path = raw.replace(/[.,:;]+$/, '');
      if (/[{},*]/.test(path)) {
        problems.push(`${where}: \`${path}\` — name each file by its full path (no braces or globs), one line per file`);
      } else if (!path.endsWith('/') && !dirSet.has(path) && !MAPPED_ROOTS.includes(path) && !fileSet.has(path)) {
        problems.push(`${where}: \`${path}\` does not exist — remove the line, or fix the path`);
      }
    }
    // A map line names one file; each file has exactly one.
    const entry = MAP_LINE.exec(line)?.[1];
    if (entry !== undefined && fileSet.has(entry)) mentions.set(entry, [...(mentions.get(entry) ?? []), section]);
  });
  for (const layer of LAYERS) {
    if (!headings.has(layer.layer)) problems.push(`ARCHITECTURE.md has no section "## Layer ${layer.layer} — ${layer.name}"`);
  }
  for (const file of [...files].sort()) {
    const seen = mentions.get(file) ?? [];
    const found = file.startsWith('src/') ? layerOf(file.slice(4)) : undefined;
    const home = found ? `the section "## Layer ${found.layer.layer} — ${found.layer.name}"` : 'its section';
    if (file.startsWith('src/') && !found) {
      problems.push(`${file} is in no layer: add its folder to the layer table in scripts/layers.mjs`);
    }
    if (seen.length === 0) {
      problems.push(`${file} is not in ARCHITECTURE.md: add one line for it (\`- \`${file}\` — what it is for\`) in ${home}`);
    } else if (seen.length > 1) {
      problems.push(`${file} has ${seen.length} map lines in ARCHITECTURE.md: keep one (elsewhere, mention it inside a sentence)`);
    } else if (found && seen[0] !== found.layer.layer) {
      const was = seen[0] === 0 ? 'outside the layer sections' : `under Layer ${seen[0]}`;
      problems.push(`${file} is listed ${was}, but scripts/layers.mjs puts it in layer ${found.layer.layer}: move its line to ${home}`);
    }
  }
  return problems;
}

/** Every file and folder under the mapped roots of `root`, relative, with `/` separators. */
export function walkMapped(root) {
  const files = [];
  const dirs = [];
  const walk = (rel) => {
    let names;
    try {
      names = readdirSync(join(root, rel));
    } catch {
      return;
    }
    dirs.push(rel);
    for (const name of names) {
      const child = rel === '' ? name : `${rel}/${name}`;
      if (statSync(join(root, child)).isDirectory()) walk(child);
      else files.push(child);
    }
  };
  for (const top of MAPPED_ROOTS) walk(top);
  return { files: files.map((f) => f.split(sep).join('/')), dirs };
}

if (process.argv[1] && relative(process.argv[1], fileURLToPath(import.meta.url)) === '') {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const markdown = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');
  const { files, dirs } = walkMapped(root);
  const problems = checkArchitecture({ markdown, files, dirs });
  if (problems.length > 0) {
    console.error(`ARCHITECTURE.md does not match the tree (${problems.length} problem${problems.length === 1 ? '' : 's'}):`);
    for (const p of problems) console.error(`  ${p}`);
    process.exit(1);
  }
  console.log(`ARCHITECTURE.md: one map line for each of the ${files.length} files under ${MAPPED_ROOTS.join('/, ')}/, each src/ file in its layer.`);
}
