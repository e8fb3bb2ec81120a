// Keeps ARCHITECTURE.md true: every file under src/, scripts/ and .ci/ has exactly one map line there (a list item
// starting with its full path in backticks), every path it names exists, and each src/ file's line sits in the
// section of its layer (the table: scripts/layers.mjs); and no line tells history ("until X lands"). And `test/`
// mirrors `src/`: each folder in it is a `src/` folder or one of the named cross-cutting ones, each file at its top is
// named for a file at the top of `src/`, and the page's test section describes every test folder.
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

/** The folders of `test/` that test no one `src/` folder, each for its own reason (described in the test section). */
export const CROSS_CUTTING_TEST_FOLDERS = ['helpers', 'fixtures', 'python', 'windows', 'chaos', 'browser', 'bench', 'lint'];

/** The page's `### test/` section (up to the next heading). */
function testSection(markdown) {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^#{2,3}\s+`?test\/`?\s*$/.test(l));
  if (start < 0) return undefined;
  const end = lines.findIndex((l, i) => i > start && /^#{1,3}\s/.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/**
 * Compare `test/` with `src/` and with the page's test section. Pure: the caller lists the folders.
 * @param {{ markdown: string, test: { dirs: string[], files: string[] }, src: { dirs: string[], files: string[] } }} input
 *   the names of the folders and files directly inside `test/` and `src/`
 * @returns {string[]} the problems, one sentence each
 */
export function checkTestTree({ markdown, test, src }) {
  const problems = [];
  const srcDirs = new Set(src.dirs);
  for (const dir of [...test.dirs].sort()) {
    if (!srcDirs.has(dir) && !CROSS_CUTTING_TEST_FOLDERS.includes(dir)) {
      problems.push(
        `test/${dir}/ mirrors no src/ folder and is not a cross-cutting one (${CROSS_CUTTING_TEST_FOLDERS.join(', ')}): move its files to test/<folder>/ of the src/ folder they test, or add it to CROSS_CUTTING_TEST_FOLDERS in scripts/check-architecture.mjs with its line in ARCHITECTURE.md`,
      );
    }
  }
  for (const file of [...test.files].sort()) {
    const m = /^(.+)\.test\.ts$/.exec(file);
    if (m && !src.files.includes(`${m[1]}.ts`)) {
      problems.push(`test/${file} tests no file at the top of src/ (src/${m[1]}.ts does not exist): move it to test/<folder>/ of what it tests`);
    } else if (!m) {
      problems.push(`test/${file} sits at the top of test/: helpers go to test/helpers/, tests to test/<folder>/ of what they test`);
    }
  }
  const section = testSection(markdown);
  if (section === undefined) {
    problems.push('ARCHITECTURE.md has no "### test/" section describing the test folders');
    return problems;
  }
  for (const dir of [...test.dirs].sort()) {
    if (!section.includes(`\`test/${dir}/\``)) problems.push(`test/${dir}/ is not described in ARCHITECTURE.md's test section: name it there (\`test/${dir}/\`) with what it tests`);
  }
  const testDirs = new Set(test.dirs);
  for (const [, dir] of section.matchAll(/`test\/([A-Za-z0-9_.-]+)\/`/g)) {
    if (!testDirs.has(dir)) problems.push(`ARCHITECTURE.md's test section names \`test/${dir}/\`, which does not exist — remove it, or fix the name`);
  }
  return problems;
}

/** The folders and files directly inside `root/rel`. */
export function listTop(root, rel) {
  const dirs = [];
  const files = [];
  for (const name of readdirSync(join(root, rel))) (statSync(join(root, rel, name)).isDirectory() ? dirs : files).push(name);
  return { dirs, files };
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
  const problems = [
    ...checkArchitecture({ markdown, files, dirs }),
    ...checkTestTree({ markdown, test: listTop(root, 'test'), src: listTop(root, 'src') }),
  ];
  if (problems.length > 0) {
    console.error(`ARCHITECTURE.md does not match the tree (${problems.length} problem${problems.length === 1 ? '' : 's'}):`);
    for (const p of problems) console.error(`  ${p}`);
    process.exit(1);
  }
  console.log(`ARCHITECTURE.md: one map line for each of the ${files.length} files under ${MAPPED_ROOTS.join('/, ')}/, each src/ file in its layer; test/ mirrors src/.`);
}
