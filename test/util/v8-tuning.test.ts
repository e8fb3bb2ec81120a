// Delayed tier-up must really keep V8's optimizing compiler idle during start-up, and really give it back after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const MODULE = pathToFileURL(path.resolve('src/util/v8-tuning.ts')).href;
const known = process.versions.v8.startsWith('11.3.');

/** Run `body` in a fresh node with --trace-opt; the names of the functions V8 optimized. */
function optimizedIn(body: string, flags: string[] = []): string[] {
  const out = execFileSync(process.execPath, [...flags, '--trace-opt', '--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', body], { encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  return [...out.matchAll(/completed optimizing \S+ <JSFunction (\w+)/g)].map((m) => m[1] as string);
}

const HOT = `function hotSmall(i) { return (i * 7) ^ 3; } function hotLoop(n) { let s = 0; for (let i = 0; i < n; i++) s += hotSmall(i); return s; }`;
/**
 * Wait, doing no more work, until V8 reports the hot code optimized (bounded, 10 s): the optimizing compiler works on
 * a background thread, which a busy machine makes late. (%GetOptimizationStatus bit 16: optimized; the Function body
 * is parsed by V8 itself, not by tsx.)
 */
const UNTIL_OPTIMIZED = `const status = new Function('f', 'return %GetOptimizationStatus(f)');
    for (let i = 0; i < 2000 && !((status(hotLoop) | status(hotSmall)) & 16); i++) await new Promise((r) => setTimeout(r, 5));`;

test('delayTierUp: a function that runs as much as start-up code does is not optimized; after restoreTierUp it is', { skip: !known && `V8 ${process.versions.v8}: defaults unknown, nothing is changed` }, () => {
  const before = optimizedIn(`${HOT}
    const t = await import(${JSON.stringify(MODULE)});
    if (!t.delayTierUp()) throw new Error('not delayed');
    for (let k = 0; k < 300; k++) hotLoop(100);
    console.log('--- restore');
    t.restoreTierUp();
    for (let k = 0; k < 3000; k++) hotLoop(1000);
    ${UNTIL_OPTIMIZED}`);
  assert.ok(before.includes('hotSmall') || before.includes('hotLoop'), `optimized after restore: ${before.join(', ')}`);
  const during = optimizedIn(`${HOT}
    const t = await import(${JSON.stringify(MODULE)});
    t.delayTierUp();
    for (let k = 0; k < 300; k++) hotLoop(100);
    await new Promise((r) => setTimeout(r, 50)); // a window in which a wrongly started optimization would complete
  `);
  assert.ok(!during.includes('hotSmall') && !during.includes('hotLoop'), `optimized during start-up: ${during.join(', ')}`);
  const plain = optimizedIn(`${HOT}
    for (let k = 0; k < 300; k++) hotLoop(100);
    ${UNTIL_OPTIMIZED}`);
  assert.ok(plain.includes('hotSmall') || plain.includes('hotLoop'), `the same work is optimized without the delay (else this test proves nothing): ${plain.join(', ')}`);
});

test('delayTierUp leaves a user-chosen --interrupt-budget alone', () => {
  const out = execFileSync(process.execPath, ['--interrupt-budget=100000', '--import', 'tsx', '--input-type=module', '-e', `const t = await import(${JSON.stringify(MODULE)}); console.log(t.delayTierUp());`], { encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  assert.equal(out.trim(), 'false');
});
