// The map check (scripts/check-architecture.mjs): ARCHITECTURE.md has one line per file under src/, scripts/ and
// .ci/, each src/ file in its layer's section, and names no file that does not exist; test/ mirrors src/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..', '..');

interface Top {
  dirs: string[];
  files: string[];
}
interface CheckModule {
  checkArchitecture(input: { markdown: string; files: string[]; dirs: string[] }): string[];
  walkMapped(root: string): { files: string[]; dirs: string[] };
  checkTestTree(input: { markdown: string; test: Top; src: Top }): string[];
  listTop(root: string, rel: string): Top;
}
const { checkArchitecture, checkTestTree, listTop, walkMapped } = (await import(pathToFileURL(join(root, 'scripts', 'check-architecture.mjs')).href)) as CheckModule;

const HEADINGS = [
  '## Layer 1 — Foundations',
  '## Layer 2 — Configuration and logging',
  '## Layer 3 — Adapters to the outside world',
  '## Layer 4 — Services built on the adapters',
  '## Layer 5 — Composition roots',
  '## Layer 6 — Command line',
  '## Layer 7 — Entry points',
];

/** A map with the given lines under the given layer headings. */
function map(sections: Record<number, string[]>, extra = ''): string {
  return ['# Architecture', ...HEADINGS.flatMap((h, i) => [h, ...(sections[i + 1] ?? [])]), '## Outside src/', extra].join('\n');
}

const files = ['src/util/sleep.ts', 'src/gateway/server.ts', 'src/daemon/daemon.ts', 'scripts/run-tests.mjs'];
const dirs = ['src', 'src/util', 'src/gateway', 'src/daemon', 'scripts'];
const good: Record<number, string[]> = {
  1: ['- `src/util/sleep.ts` — abortable sleep.'],
  4: ['- `src/gateway/server.ts` — routing.'],
  5: ['- `src/daemon/daemon.ts` — the composition root.'],
};

test('a map with one line per file, each in its layer, passes', () => {
  assert.deepEqual(checkArchitecture({ markdown: map(good, '- `scripts/run-tests.mjs` — runs the tests.'), files, dirs }), []);
});

test('a file without a line is reported with the section it belongs in', () => {
  const problems = checkArchitecture({ markdown: map({ ...good, 4: [] }, '- `scripts/run-tests.mjs` — x'), files, dirs });
  assert.equal(problems.length, 1);
  assert.match(problems[0] ?? '', /^src\/gateway\/server\.ts is not in ARCHITECTURE\.md: .*"## Layer 4 — Services built on the adapters"/);
});

test('a second line, a line in the wrong layer, a stale path and a glob are each reported', () => {
  const markdown = map(
    {
      1: ['- `src/util/sleep.ts` — abortable sleep.', '- `src/daemon/daemon.ts` — in the wrong layer.'],
      4: ['- `src/gateway/server.ts` — routing.', '- `src/gateway/server.ts` — again.', '- `src/gateway/gone.ts` — removed long ago.'],
      5: ['- `src/util/{a,b}.ts` — shorthand.'],
    },
    '- `scripts/run-tests.mjs` — x',
  );
  const problems = checkArchitecture({ markdown, files, dirs }).join('\n');
  assert.match(problems, /src\/gateway\/server\.ts has 2 map lines/);
  assert.match(problems, /src\/daemon\/daemon\.ts is listed under Layer 1, but scripts\/layers\.mjs puts it in layer 5/);
  assert.match(problems, /`src\/gateway\/gone\.ts` does not exist/);
  assert.match(problems, /`src\/util\/\{a,b\}\.ts` — name each file by its full path/);
});

test('a line that tells history instead of purpose is reported', () => {
  const markdown = map({ ...good, 4: ['- `src/gateway/server.ts` — routing (its own fetch until BotApiClient lands).'] }, '- `scripts/run-tests.mjs` — x');
  const problems = checkArchitecture({ markdown, files, dirs });
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0] ?? '', /"until BotApiClient lands" tells history/);
});

test('a file in a folder of no layer is reported', () => {
  const problems = checkArchitecture({
    markdown: map(good, '- `scripts/run-tests.mjs` — x\n- `src/nowhere/x.ts` — lost.'),
    files: [...files, 'src/nowhere/x.ts'],
    dirs: [...dirs, 'src/nowhere'],
  });
  assert.ok(problems.some((p) => p.startsWith('src/nowhere/x.ts is in no layer')), problems.join('\n'));
});

test("the repository's own ARCHITECTURE.md matches its tree", () => {
  const markdown = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');
  assert.deepEqual(checkArchitecture({ markdown, ...walkMapped(root) }), []);
});

const SRC: Top = { dirs: ['gateway', 'lease'], files: ['server.ts', 'errors.ts'] };
const TEST_SECTION = ['### test/', '- `test/gateway/` — x', '- `test/lease/` — x', '- `test/helpers/` — x', '### bench/', '- `test/elsewhere/` — not the test section'].join('\n');

test('test/: folders that mirror src/ or are cross-cutting, described in the test section, pass', () => {
  const test = { dirs: ['gateway', 'lease', 'helpers'], files: ['server.test.ts'] };
  assert.deepEqual(checkTestTree({ markdown: TEST_SECTION, test, src: SRC }), []);
});

test('test/: a folder that mirrors nothing, a stray top file, an undescribed folder and a stale name are each reported', () => {
  const test = { dirs: ['gateway', 'helpers', 'run', 'python'], files: ['server.test.ts', 'misc.test.ts', 'util.ts'] };
  const problems = checkTestTree({ markdown: TEST_SECTION, test, src: SRC }).join('\n');
  assert.match(problems, /test\/run\/ mirrors no src\/ folder and is not a cross-cutting one/);
  assert.doesNotMatch(problems, /test\/python\/ mirrors no src/, 'python is a named cross-cutting folder');
  assert.match(problems, /test\/misc\.test\.ts tests no file at the top of src\//);
  assert.match(problems, /test\/util\.ts sits at the top of test\//);
  assert.match(problems, /test\/python\/ is not described in ARCHITECTURE\.md's test section/);
  assert.match(problems, /names `test\/lease\/`, which does not exist/);
  assert.doesNotMatch(problems, /elsewhere/, 'only the test section counts');
});

test("the repository's test/ mirrors its src/ and ARCHITECTURE.md describes every test folder", () => {
  const markdown = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');
  assert.deepEqual(checkTestTree({ markdown, test: listTop(root, 'test'), src: listTop(root, 'src') }), []);
});
