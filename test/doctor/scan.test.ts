// doctor --scan: a real fixture tree in a temp dir (nested .gitignore, binary file, node_modules), via the library and the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTokensInText, scanForTokens } from '../../src/doctor/scan.js';
import { spawnCli } from '../helpers/cli.js';

const SECRET_A = 'AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_'; // 35 chars
const SECRET_B = 'ZZx-1234567890abcdefghijKLMNOPQRSTU'; // 35 chars
const TOKEN_A = `1234567890:${SECRET_A}`;
const TOKEN_B = `987654321:${SECRET_B}`;

async function fixtureTree(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bw-scan-'));
  await writeFile(join(dir, '.gitignore'), 'secrets.env\nbuild/\n');
  await writeFile(join(dir, 'config.js'), `// config\nconst token = '${TOKEN_A}';\n`);
  await writeFile(join(dir, 'secrets.env'), `BOT_TOKEN=${TOKEN_B}\n`); // ignored by root .gitignore
  await mkdir(join(dir, 'build'));
  await writeFile(join(dir, 'build', 'out.js'), `x='${TOKEN_B}'\n`); // ignored dir
  await mkdir(join(dir, 'src', 'deep'), { recursive: true });
  await writeFile(join(dir, 'src', '.gitignore'), 'local.json\n');
  await writeFile(join(dir, 'src', 'local.json'), `{"t":"${TOKEN_A}"}\n`); // ignored by nested .gitignore
  await writeFile(join(dir, 'src', 'deep', 'client.py'), `a = 1\nb = 2\nURL = "https://api.telegram.org/bot${TOKEN_B}/getMe"\n`);
  await writeFile(join(dir, 'src', 'deep', 'encoded.txt'), `q=token%3D987654321%3A${SECRET_B}&x=1\n`);
  await writeFile(join(dir, 'src', 'deep', 'near-miss.txt'), `1234567890:${SECRET_A}X\n12:${SECRET_A}\n`); // 36 chars; id too short
  await writeFile(join(dir, 'image.bin'), Buffer.concat([Buffer.from([0x89, 0x50, 0x00, 0x01]), Buffer.from(TOKEN_A)]));
  await mkdir(join(dir, 'node_modules', 'pkg'), { recursive: true });
  await writeFile(join(dir, 'node_modules', 'pkg', 'index.js'), `'${TOKEN_A}'\n`);
  return dir;
}

test('findTokensInText finds plain, URL-path and URL-encoded tokens, never keeps the secret', () => {
  const hits = findTokensInText(`a\nfetch("/bot${TOKEN_A}/getMe") and ${TOKEN_B}\nx=1%3A${SECRET_A}`, 'f');
  assert.deepEqual(
    hits.map((h) => [h.line, h.botId, h.redacted]),
    [
      [2, '1234567890', '1234567890:<redacted>'],
      [2, '987654321', '987654321:<redacted>'],
    ],
  );
  assert.equal(findTokensInText(`id 99${'9'.repeat(30)}:${SECRET_A}`, 'f').length, 0, 'a 32-digit run is not a bot id');
  assert.equal(JSON.stringify(hits).includes(SECRET_A), false);
});

test('scanForTokens respects root and nested .gitignore, skips binary files and node_modules', async (t) => {
  const dir = await fixtureTree();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const r = await scanForTokens(dir);
  const got = r.hits.map((h) => `${h.file.slice(dir.length + 1)}:${h.line}:${h.botId}`).sort();
  assert.deepEqual(got, ['config.js:2:1234567890', 'src/deep/client.py:3:987654321', 'src/deep/encoded.txt:1:987654321']);
  assert.ok(r.filesSkipped >= 1, 'the binary file was skipped');

  const all = await scanForTokens(dir, { respectGitignore: false });
  const files = new Set(all.hits.map((h) => h.file.slice(dir.length + 1)));
  assert.ok(files.has('secrets.env') && files.has('build/out.js') && files.has('src/local.json'));
  assert.ok(!files.has('image.bin') && !files.has('node_modules/pkg/index.js'));

  const small = await scanForTokens(dir, { maxFileBytes: 10 });
  assert.equal(small.hits.length, 0, 'files over maxFileBytes are skipped');
});

test('a deeper .gitignore can re-include what a higher one ignores', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bw-scan-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, '.gitignore'), '*.env\n');
  await mkdir(join(dir, 'app'));
  await writeFile(join(dir, 'app', '.gitignore'), '!prod.env\n');
  await writeFile(join(dir, 'app', 'prod.env'), `BOT_TOKEN=${TOKEN_A}\n`);
  await writeFile(join(dir, 'app', 'dev.env'), `BOT_TOKEN=${TOKEN_B}\n`);
  const r = await scanForTokens(dir);
  assert.deepEqual(r.hits.map((h) => h.file.slice(dir.length + 1)), ['app/prod.env']);
});

test('CLI: doctor --scan prints path:line and the bot id, never the secret; exit 1 when found, 0 when clean', async (t) => {
  const dir = await fixtureTree();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const found = spawnCli(['doctor', '--scan', dir]);
  assert.equal(await found.exited(), 1, found.stderr());
  const out = found.stdout();
  assert.match(out, /✖ .*config\.js:2: bot token 1234567890:<redacted>/);
  assert.match(out, /client\.py:3: bot token 987654321:<redacted>/);
  assert.match(out, /→ revoke it in @BotFather/);
  assert.doesNotMatch(out + found.stderr(), new RegExp(`${SECRET_A}|${SECRET_B}`));

  const json = spawnCli(['doctor', '--scan', dir, '--json']);
  assert.equal(await json.exited(), 1);
  const arr = JSON.parse(json.stdout()) as Array<{ id: string; ok: boolean; file: string; line: number; botId: number; fix: string }>;
  assert.equal(arr.length, 3);
  assert.ok(arr.every((f) => f.id === 'token-in-file' && !f.ok && f.line > 0 && f.botId > 0 && f.fix));

  const clean = await mkdtemp(join(tmpdir(), 'bw-scan-clean-'));
  t.after(() => rm(clean, { recursive: true, force: true }));
  await writeFile(join(clean, 'a.txt'), 'nothing here\n');
  const ok = spawnCli(['doctor', '--scan', clean]);
  assert.equal(await ok.exited(), 0, ok.stderr());
  assert.match(ok.stdout(), /✔ no bot token found/);

  const missing = spawnCli(['doctor', '--scan', join(clean, 'nope')]);
  assert.equal(await missing.exited(), 2);
  assert.match(missing.stderr(), /--scan: .*cannot be read/);
});
