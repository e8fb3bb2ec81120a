// RecentLines: the last 100 log lines for the status page, redacted again on entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentLines } from '../../src/health/recent-lines.js';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1';

test('keeps the last 100 lines in order, with growing seq', () => {
  const r = new RecentLines();
  for (let i = 1; i <= 250; i++) r.push('bot', 'stdout', `line ${i}`);
  const all = r.since();
  assert.equal(all.length, 100);
  assert.equal(r.size, 100);
  assert.equal(all[0]!.text, 'line 151');
  assert.equal(all.at(-1)!.text, 'line 250');
  assert.equal(all.at(-1)!.seq, 250);
  assert.equal(r.lastSeq(), 250);
  assert.deepEqual(r.since(248).map((l) => l.text), ['line 249', 'line 250']);
  assert.deepEqual(r.since(250), []);
});

test('the token never gets in: token-shaped text and the known secret, also URL-encoded', () => {
  const odd = 'not-token-shaped-secret-value';
  const r = new RecentLines({ secrets: [TOKEN, odd] });
  r.push('bot', 'stderr', `stderr copy: ${TOKEN}`);
  r.push('botwarden', 'info', `GET /bot${TOKEN.replace(':', '%3A')}/getMe`);
  r.push('bot', 'stdout', `odd one: ${odd}`);
  r.push('bot', 'stdout', `other bot 987654321:${'x'.repeat(35)}`);
  const text = r.since().map((l) => l.text).join('\n');
  assert.ok(!text.includes(TOKEN.split(':')[1]!), text);
  assert.ok(!text.includes(odd), text);
  assert.ok(!text.includes('x'.repeat(35)), text);
  assert.match(text, /stderr copy: 123456789:<redacted>/);
});

test('long lines are cut after redaction (also a token right at the cut); a trailing newline is dropped; lines are copies', () => {
  const r = new RecentLines({ maxLineChars: 40, secrets: [TOKEN] });
  r.push('bot', 'stdout', `${'a'.repeat(30)} ${TOKEN}\n`);
  const l = r.since()[0]!;
  assert.ok(!l.text.includes('AAHdq'), l.text);
  assert.equal(l.text.length, 41);
  assert.ok(l.text.endsWith('…'));
  r.push('bot', 'stdout', 'two\n');
  assert.equal(r.since(1)[0]!.text, 'two');
  r.since()[0]!.text = 'changed';
  assert.notEqual(r.since()[0]!.text, 'changed');
});

test('injected clock and explicit time', () => {
  const r = new RecentLines({ now: () => 42, capacity: 2 });
  assert.equal(r.push('botwarden', 'warn', 'x'), 1);
  assert.equal(r.since()[0]!.at, 42);
  r.push('botwarden', 'warn', 'y', 7);
  assert.equal(r.since(1)[0]!.at, 7);
  r.push('botwarden', 'warn', 'z');
  assert.deepEqual(r.since().map((l) => l.text), ['y', 'z']);
});

test('a token printed in parts, with other output in between, leaves no piece of 8+ secret characters', () => {
  const r = new RecentLines({ secrets: [TOKEN] });
  const secret = TOKEN.split(':')[1]!;
  // What raw-echo's PRINT_TOKEN=1 does with a 10-digit id: 12 characters, another line's text, then the rest.
  r.push('bot', 'stdout', `my token is ${TOKEN.slice(0, 12)}ready pid 42`);
  r.push('bot', 'stdout', `${TOKEN.slice(12)} (oops)`);
  r.push('bot', 'stdout', `middle: x${secret.slice(5, 25)}y`);
  const lines = r.since().map((l) => l.text);
  for (const l of lines) {
    for (let i = 0; i + 8 <= secret.length; i++) assert.ok(!l.includes(secret.slice(i, i + 8)), `piece at ${i} in ${l}`);
  }
  assert.equal(lines[1], '<redacted> (oops)');
  assert.equal(lines[2], 'middle: x<redacted>y');
  // Short runs that happen to match are left alone: ordinary text must stay readable.
  const seq = r.push('bot', 'stdout', `id ${secret.slice(0, 7)} ok`);
  assert.equal(r.since(seq - 1)[0]!.text, `id ${secret.slice(0, 7)} ok`);
});

test('a huge line is bounded, and a token across the cut is still redacted', () => {
  const r = new RecentLines({ maxLineChars: 100, secrets: [TOKEN] });
  r.push('bot', 'stdout', `${'b'.repeat(90)}${TOKEN}${'c'.repeat(1_000_000)}`);
  const l = r.since()[0]!;
  assert.equal(l.text.length, 101);
  assert.ok(!l.text.includes(TOKEN.split(':')[1]!.slice(0, 5)), l.text);
  assert.ok(l.text.startsWith(`${'b'.repeat(90)}123456789:`));
});
