// Child output: line splitting (partial, \r\n, long lines), the token never leaks (even split across writes or
// a long-line cut), timestamps and stream names, backpressure, rotating log file.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ChildOutput, LineSplitter, type OutputLine, type OutputSink } from '../../src/process/output.js';
import { spawnChild } from '../../src/process/spawn.js';
import { redactKnown } from '../../src/util/redact.js';
import { seededRandom, TEST_SEED } from '../helpers/random.js';
import { Reaper, fakeToken, nodeFixture } from './helpers.js';

const reaper = new Reaper();
const tmp = mkdtempSync(path.join(tmpdir(), 'bw-output-'));
after(() => {
  reaper.killAll();
  rmSync(tmp, { recursive: true, force: true });
});

/** A sink that keeps everything; with `stallEvery`, every n-th write returns false and drains a bit later. */
function memorySink(stallEvery = 0): OutputSink & { text(): string; stalls: number } {
  let text = '';
  let writes = 0;
  const drains: Array<() => void> = [];
  const sink = {
    stalls: 0,
    text: () => text,
    write(chunk: string): boolean {
      text += chunk;
      writes += 1;
      if (stallEvery > 0 && writes % stallEvery === 0) {
        sink.stalls += 1;
        setTimeout(() => drains.splice(0).forEach((d) => d()), 2);
        return false;
      }
      return true;
    },
    once(_event: 'drain', listener: () => void): void {
      drains.push(listener);
    },
  };
  return sink;
}

test('LineSplitter: partial lines, \\r\\n, empty lines, remainder on end', () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push('hel'), []);
  assert.deepEqual(s.push('lo\r\nwor'), ['hello']);
  assert.deepEqual(s.push('ld\n\nnext'), ['world', '']);
  assert.deepEqual(s.push('\r'), []);
  assert.deepEqual(s.end(), ['next']);
  assert.deepEqual(s.end(), []);
});

test('LineSplitter: a very long line is cut at maxLineChars, preferably after a separator', () => {
  const s = new LineSplitter(100);
  const words = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
  const pieces = [...s.push(words), ...s.end()];
  assert.equal(pieces.join(''), words);
  for (const p of pieces) assert.ok(p.length <= 100);
  for (const p of pieces.slice(0, -1)) assert.ok(p.endsWith(' '), `cut after a separator: ${JSON.stringify(p.slice(-5))}`);
  const emoji = '😀'.repeat(80);
  const e = new LineSplitter(99);
  const cut = [...e.push(emoji), ...e.end()];
  assert.equal(cut.join(''), emoji);
  for (const p of cut) assert.ok(!/[\ud800-\udbff]$/.test(p), 'no surrogate pair split');
});

/** No piece may show 6 characters of the secret in a row once the known token is redacted. */
function assertSecretHidden(pieces: readonly string[], token: string, what: string): void {
  const secret = token.slice(token.indexOf(':') + 1);
  for (const p of pieces) {
    const shown = redactKnown(p, [token]);
    for (let k = 0; k + 6 <= secret.length; k++) assert.ok(!shown.includes(secret.slice(k, k + 6)), `${what}: part of the secret shown in ${shown}`);
  }
}

/** A fixed token whose secret has separators-like characters and whose last character is the first of its bot id. */
const SPLIT_TOKEN = '100290:ivzKFNuRPsRmWpv-aRlAx7xLyY-9a4vzw91';

test('LineSplitter: the token printed twice in a row (its last character begins the next) is not cut (the case the randomised test found)', () => {
  const token = SPLIT_TOKEN;
  const text = `${token}${token}\n`;
  for (const [first, max] of [[1, 64], [30, 64], [45, 72], [50, 100]] as const) {
    const s = new LineSplitter(max, [token]);
    const pieces = [...s.push(text.slice(0, first)), ...s.push(text.slice(first)), ...s.end()];
    assert.equal(pieces.join(''), text.slice(0, -1));
    for (const p of pieces) assert.ok(p.length <= max, `piece of ${p.length} > ${max}`);
    assertSecretHidden(pieces, token, `first write of ${first}, limit ${max}`);
  }
});

test('LineSplitter: a write that ends inside the token, past the line limit, does not cut the token', () => {
  const token = SPLIT_TOKEN;
  const text = `${'x'.repeat(40)}${token}${'x'.repeat(10)}\n`;
  // Each first write ends `into` characters into the token and is already longer than the 64-character limit.
  for (const into of [25, 30, token.length - 1]) {
    const s = new LineSplitter(64, [token]);
    const pieces = [...s.push(text.slice(0, 40 + into)), ...s.push(text.slice(40 + into)), ...s.end()];
    assert.equal(pieces.join(''), text.slice(0, -1));
    for (const p of pieces) assert.ok(p.length <= 64, `piece of ${p.length} > 64`);
    assertSecretHidden(pieces, token, `write ending ${into} characters into the token`);
  }
});

test('LineSplitter: no cut ever splits the token, whatever the chunking (seeded)', () => {
  const token = SPLIT_TOKEN;
  const next = seededRandom();
  const rand = (n: number): number => Math.floor(next() * n);
  for (let round = 0; round < 200; round++) {
    const max = 64 + rand(200);
    // Runs of token characters with no separator at all, so only the secret-aware rule protects the token.
    let text = '';
    while (text.length < 2_000) text += rand(3) === 0 ? token : 'x'.repeat(1 + rand(60));
    text += '\n';
    const s = new LineSplitter(max, [token]);
    const pieces: string[] = [];
    for (let i = 0; i < text.length; ) {
      const n = 1 + rand(120);
      pieces.push(...s.push(text.slice(i, i + n)));
      i += n;
    }
    pieces.push(...s.end());
    assert.equal(pieces.join(''), text.slice(0, -1));
    for (const p of pieces) assert.ok(p.length <= max, `piece of ${p.length} > ${max}`);
    assertSecretHidden(pieces, token, `round ${round} (TEST_SEED=${TEST_SEED})`);
  }
});

test('a bot printing its own token (split across writes, stdout and stderr, last line unterminated): never shown', async () => {
  const token = fakeToken();
  const secret = token.slice(token.indexOf(':') + 1);
  const sink = memorySink();
  const lines: OutputLine[] = [];
  const formatted: string[] = [];
  const out = new ChildOutput({ sink, onLine: (l, e) => (formatted.push(l), lines.push(e)) }, [token]);
  const h = await spawnChild({ command: nodeFixture('print-token.mjs'), env: { ...process.env, BOT_TOKEN: token } });
  reaper.pid(h.pid);
  await out.attach({ pid: h.pid as number, stdout: h.stdout, stderr: h.stderr });
  await out.close();
  const text = sink.text();
  assert.ok(!text.includes(secret), `secret leaked:\n${text}`);
  for (let k = 0; k + 8 <= secret.length; k++) assert.ok(!text.includes(secret.slice(k, k + 8)), 'part of the secret leaked');
  const id = token.slice(0, token.indexOf(':'));
  const stdout = lines.filter((l) => l.stream === 'stdout').map((l) => l.text);
  const stderr = lines.filter((l) => l.stream === 'stderr').map((l) => l.text);
  assert.deepEqual(stdout, [`token is ${id}:<redacted> end`, `second line ${id}:<redacted>`, `tail ${id}:<redacted>`]);
  assert.deepEqual(stderr, [`err ${id}:<redacted>`, `url https://api.telegram.org/bot${id}:<redacted>/getMe`]);
  assert.match(text, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z stdout\\[${h.pid}\\] token is ${id}:<redacted> end$`, 'm'));
  assert.match(text, /Z stderr\[\d+\] err /);
  assert.equal(formatted.length, 5);
  assert.ok(formatted.every((f) => text.includes(`${f}\n`)));
});

test('many lines fast, through a sink that keeps asking to wait: all arrive, in order (backpressure)', async () => {
  const n = 20_000;
  const sink = memorySink(3);
  const out = new ChildOutput({ sink, format: 'json' }, []);
  const t0 = performance.now();
  const h = await spawnChild({ command: nodeFixture('many-lines.mjs', String(n)), env: process.env });
  reaper.pid(h.pid);
  await out.attach({ pid: h.pid as number, stdout: h.stdout, stderr: h.stderr });
  const ms = Math.round(performance.now() - t0);
  await out.close();
  const rows = sink.text().trimEnd().split('\n').map((l) => JSON.parse(l) as OutputLine);
  assert.equal(rows.length, n);
  rows.forEach((r, i) => assert.ok(r.text.startsWith(`line ${i} `), `line ${i}: ${r.text}`));
  assert.ok(sink.stalls > 0);
  console.log(`# ${n} lines (~100 chars) through a stalling sink in ${ms} ms (${sink.stalls} stalls)`);
});

test('--log-file: rotated by size, only `keep` rotated files kept, file mode 0600, redacted too', async () => {
  const token = fakeToken();
  const file = path.join(tmp, 'bot.log');
  const out = new ChildOutput({ sink: null, logFile: { path: file, size: '4K', keep: 2, interval: '' } }, [token]);
  for (let round = 0; round < 4; round++) {
    const h = await spawnChild({ command: nodeFixture('many-lines.mjs', '60'), env: process.env });
    reaper.pid(h.pid);
    await out.attach({ pid: h.pid as number, stdout: h.stdout, stderr: h.stderr });
  }
  const h = await spawnChild({ command: nodeFixture('print-token.mjs'), env: { ...process.env, BOT_TOKEN: token } });
  await out.attach({ pid: h.pid as number, stdout: h.stdout, stderr: h.stderr });
  await out.close();
  await out.close();
  const names = readdirSync(tmp).filter((n) => n.startsWith('bot.log')).sort();
  assert.deepEqual(names, ['bot.log', 'bot.log.1', 'bot.log.2']);
  assert.ok(!existsSync(`${file}.3`));
  const all = names.map((n) => readFileSync(path.join(tmp, n), 'utf8')).join('');
  assert.ok(!all.includes(token.slice(token.indexOf(':') + 1)));
  assert.match(all, /Z stdout\[\d+\] line \d+ x+/);
  if (process.platform !== 'win32') assert.equal((await import('node:fs')).statSync(file).mode & 0o777, 0o600);
});
