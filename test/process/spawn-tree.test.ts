// spawnChild and the process tree: refusals with clear messages, own process group, stopTree of grandchildren
// (also setsid ones), SIGKILL after the grace period, timings, tree memory, Windows command resolution.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { liveChildGroups, prepareChild, quoteCmdArgument, resolveWindowsCommand, spawnChild } from '../../src/process/spawn.js';
import { isProcessAlive } from '../../src/process/liveness.js';
import { listDescendants, pidsOutsideGroup, stopTree, treeRss } from '../../src/process/tree.js';
import { Reaper, collect, fixture, nodeFixture, until } from './helpers.js';

const posix = process.platform !== 'win32';
const reaper = new Reaper();
const tmp = mkdtempSync(path.join(tmpdir(), 'bw-process-'));
after(() => {
  reaper.killAll();
  rmSync(tmp, { recursive: true, force: true });
});

const env = { ...process.env, NODE_NO_WARNINGS: '1' };

test('a command that does not exist: spawn-failed, "command not found: X", nothing thrown', async () => {
  const h = await spawnChild({ command: ['botwarden-no-such-command-xyz', '--flag'], env });
  assert.equal(h.pid, null);
  const exit = await h.exited;
  assert.equal(exit.reason, 'spawn-failed');
  assert.equal(exit.error, 'command not found: botwarden-no-such-command-xyz');
});

test('a file without execute permission: spawn-failed, "not executable"', { skip: !posix }, async () => {
  const file = path.join(tmp, 'not-exec.sh');
  writeFileSync(file, '#!/bin/sh\necho hi\n');
  chmodSync(file, 0o644);
  const exit = await (await spawnChild({ command: [file], env })).exited;
  assert.equal(exit.reason, 'spawn-failed');
  assert.match(exit.error ?? '', /^not executable: .*not-exec\.sh/);
});

test('a missing working directory is named as such', async () => {
  const exit = await (await spawnChild({ command: nodeFixture('idle.mjs'), env, cwd: path.join(tmp, 'nope') })).exited;
  assert.equal(exit.reason, 'spawn-failed');
  assert.match(exit.error ?? '', /^working directory not found: /);
});

test('exit code and signal are reported; the child leads its own process group; env and cwd are passed', async () => {
  const h = await spawnChild({ command: [process.execPath, '-e', 'console.log(process.env.BW_X, process.cwd()); process.exit(3)'], env: { ...env, BW_X: 'hello' }, cwd: tmp });
  reaper.pid(h.pid);
  assert.ok(h.pid && h.pid > 0);
  if (posix) assert.equal(h.pgid, h.pid);
  const out = collect(h.stdout);
  assert.deepEqual(await h.exited, { code: 3, signal: null, reason: 'exited' });
  await out.waitFor(/hello .*bw-process-/);

  const idle = await spawnChild({ command: nodeFixture('idle.mjs', 'ignore-sigterm'), env });
  reaper.pid(idle.pid);
  await collect(idle.stdout).waitFor(/ready/);
  if (posix) assert.ok(liveChildGroups().includes(idle.pid as number), 'registered for the exit hook');
  process.kill(idle.pid as number, 'SIGKILL');
  assert.deepEqual(await idle.exited, { code: null, signal: 'SIGKILL', reason: 'signalled' });
  assert.ok(!liveChildGroups().includes(idle.pid as number), 'forgotten once it exited');
});

test('children die with botwarden: process.exit and an uncaught exception both SIGKILL the child group', { skip: !posix }, async () => {
  for (const how of ['exit', 'throw']) {
    const parent = await spawnChild({ command: [process.execPath, '--import', 'tsx', fixture('exit-hook.mjs'), how], env, stdin: 'ignore' });
    reaper.pid(parent.pid);
    const out = collect(parent.stdout);
    collect(parent.stderr);
    const child = Number(((await out.waitFor(/child (\d+)/, 10_000))[1] as string));
    reaper.pid(child);
    await parent.exited;
    await until(`the child of a parent that ended by ${how} to be gone`, () => !isProcessAlive(child), 10_000);
  }
});

test('prepareChild: nothing runs before start(); start() runs the command in the same pid; discard() runs nothing', { skip: !posix }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bw-prepared-'));
  try {
    const ran = path.join(dir, 'ran');
    const command = ['sh', '-c', `echo "$$ $X" > ${ran}`];
    const p = prepareChild({ command, env: { ...process.env, X: 'env-passed' } });
    assert.ok(p, 'prepared on POSIX');
    // A window in which a wrongly started command would write its file (the quiet is what is checked).
    await new Promise((r) => setTimeout(r, 150));
    assert.throws(() => readFileSync(ran), 'nothing ran before start()');
    const h = p.start();
    assert.ok(h && h.pid !== null);
    assert.equal(p.start(), undefined, 'start() once');
    assert.deepEqual(await h.exited, { code: 0, signal: null, reason: 'exited' });
    assert.equal(readFileSync(ran, 'utf8').trim(), `${h.pid} env-passed`);
    const unused = path.join(dir, 'unused');
    const q = prepareChild({ command: ['sh', '-c', `touch ${unused}`], env: process.env });
    assert.ok(q);
    await new Promise((r) => setTimeout(r, 100)); // the prepared process is waiting when it is discarded
    q.discard();
    q.discard();
    assert.equal(q.start(), undefined, 'no start after discard');
    // A window in which a wrongly run command would create its file (the quiet is what is checked).
    await new Promise((r) => setTimeout(r, 150));
    assert.throws(() => readFileSync(unused), 'a discarded process never runs the command');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stopTree: a prompt bot is fully gone on SIGTERM alone (times reported; the speed is the stop benchmark\'s)', async () => {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const h = await spawnChild({ command: nodeFixture('idle.mjs'), env });
    reaper.pid(h.pid);
    await collect(h.stdout).waitFor(/ready/);
    const r = await stopTree(h.pid as number, { graceMs: 5_000 });
    assert.equal(r.forced, false);
    assert.equal(isProcessAlive(h.pid as number), false);
    times.push(r.durationMs);
  }
  console.log(`# stopTree of a prompt node bot: ${times.join(', ')} ms`);
});

test('stopTree: grandchildren, including one that called setsid, are found before signalling and all gone after', { skip: !posix }, async () => {
  const h = await spawnChild({ command: nodeFixture('grandchild.mjs'), env });
  reaper.pid(h.pid);
  reaper.group(h.pgid);
  const m = await collect(h.stdout).waitFor(/tree (\{.*\})/);
  const tree = JSON.parse(m[1] as string) as { self: number; plain: number; setsid: number };
  reaper.pid(tree.plain);
  reaper.pid(tree.setsid);
  const desc = await listDescendants(h.pid as number);
  assert.ok(desc.includes(tree.plain) && desc.includes(tree.setsid), `descendants ${desc.join(',')}`);
  const r = await stopTree(h.pid as number, { graceMs: 5_000 });
  assert.equal(r.forced, false);
  for (const p of [tree.self, tree.plain, tree.setsid]) assert.equal(isProcessAlive(p), false, `pid ${p} still alive`);
  assert.ok(r.pids.includes(tree.setsid));
  console.log(`# stopTree of a 3-process tree (one setsid): ${r.durationMs} ms`);
});

test('stopTree: every process of the tree gets SIGTERM exactly once (a second one means "stop now" to many bots)', { skip: !posix }, async () => {
  const file = path.join(tmp, 'sigterms');
  writeFileSync(file, '');
  const h = await spawnChild({ command: nodeFixture('count-sigterm.mjs', file, 'tree'), env });
  reaper.pid(h.pid);
  reaper.group(h.pgid);
  const tree = JSON.parse(((await collect(h.stdout).waitFor(/tree (\{.*\})/))[1] as string)) as { self: number; plain: number; setsid: number };
  reaper.pid(tree.plain);
  reaper.pid(tree.setsid);
  // Linux knows every member of the group; elsewhere only the leader (h.pid) is known to be one.
  const outside = pidsOutsideGroup([tree.self, tree.plain, tree.setsid], h.pgid as number);
  assert.deepEqual(outside, process.platform === 'linux' ? [tree.setsid] : [tree.plain, tree.setsid]);
  const r = await stopTree(h.pid as number, { graceMs: 5_000 });
  assert.equal(r.forced, false);
  const got = [...readFileSync(file, 'utf8').matchAll(/^term (\d+)$/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
  assert.deepEqual(got, [tree.self, tree.plain, tree.setsid].sort((a, b) => a - b), 'SIGTERMs received, by pid');
});

test('stopTree: a tree that ignores SIGTERM is SIGKILLed after graceMs; forceSignal cuts the grace short', { skip: !posix }, async () => {
  const h = await spawnChild({ command: nodeFixture('grandchild.mjs', 'ignore-sigterm'), env });
  reaper.pid(h.pid);
  const tree = JSON.parse(((await collect(h.stdout).waitFor(/tree (\{.*\})/))[1] as string)) as { plain: number; setsid: number };
  reaper.pid(tree.plain);
  reaper.pid(tree.setsid);
  const r = await stopTree(h.pid as number, { graceMs: 300 });
  assert.equal(r.forced, true);
  assert.ok(r.durationMs >= 300, `${r.durationMs} ms: not before graceMs`);
  for (const p of [h.pid as number, tree.plain, tree.setsid]) assert.equal(isProcessAlive(p), false, `pid ${p} still alive`);
  console.log(`# stopTree of a SIGTERM-ignoring tree, graceMs 300: ${r.durationMs} ms`);

  const h2 = await spawnChild({ command: nodeFixture('idle.mjs', 'ignore-sigterm'), env });
  reaper.pid(h2.pid);
  await collect(h2.stdout).waitFor(/ready/);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  const r2 = await stopTree(h2.pid as number, { graceMs: 60_000, forceSignal: ac.signal });
  assert.equal(r2.forced, true);
  // The bound only tells "cut short by forceSignal" from "sat out the 60 s grace"; it is no speed goal.
  assert.ok(r2.durationMs < 30_000, `${r2.durationMs} ms`);
});

test('stopTree with leaderGone: stops what a dead leader left in its group, never signals the pid', { skip: !posix }, async () => {
  // sh leads the group, starts an idle node in the background and exits at once.
  const h = await spawnChild({ command: ['sh', '-c', `"${process.execPath}" "${fixture('idle.mjs')}" & echo bg $!`], env });
  reaper.group(h.pgid);
  const bg = Number(((await collect(h.stdout).waitFor(/bg (\d+)/))[1] as string));
  reaper.pid(bg);
  await h.exited;
  await until('the background node to be up', () => isProcessAlive(bg));
  const r = await stopTree(h.pgid as number, { graceMs: 2_000, leaderGone: true });
  assert.equal(r.forced, false);
  assert.deepEqual(r.pids, []);
  await until('the leftover to be gone', () => !isProcessAlive(bg), 10_000);
});

test('treeRss sums the tree and is 0 for a gone pid', async () => {
  const h = await spawnChild({ command: nodeFixture('alloc.mjs', '60'), env });
  reaper.pid(h.pid);
  await collect(h.stdout).waitFor(/allocated/);
  const rss = await treeRss(h.pid as number);
  assert.ok(rss > 60 * 1024 * 1024, `rss ${rss}`);
  await stopTree(h.pid as number, { graceMs: 2_000 });
  assert.equal(await treeRss(h.pid as number), 0);
});

test('Windows resolution: .exe direct, .cmd through cmd.exe with quoted arguments (pure, any OS)', () => {
  const files = new Set(['C:\\bin\\python.exe', 'C:\\tools\\npm.cmd', 'C:\\proj\\node_modules\\.bin\\tsx.cmd']);
  const ctx = { env: { PATH: 'C:\\bin;C:\\tools', PATHEXT: '.COM;.EXE;.BAT;.CMD', ComSpec: 'C:\\Windows\\system32\\cmd.exe' }, cwd: 'C:\\proj', exists: (p: string) => files.has(p) };
  assert.deepEqual(resolveWindowsCommand('python', ['bot.py'], ctx), { file: 'C:\\bin\\python.exe', args: ['bot.py'], verbatim: false });
  const npm = resolveWindowsCommand('npm', ['run', 'a&b', 'say "hi"'], ctx);
  assert.equal(npm.file, 'C:\\Windows\\system32\\cmd.exe');
  assert.equal(npm.verbatim, true);
  assert.deepEqual(npm.args.slice(0, 3), ['/d', '/s', '/c']);
  assert.equal(npm.args[3], '"C:\\tools\\npm.cmd ^"run^" ^"a^&b^" ^"say^ \\^"hi\\^"^""');
  assert.deepEqual(resolveWindowsCommand('nothing', [], ctx), { file: 'nothing', args: [], verbatim: false });
  // node_modules/.bin shims get cmd's metacharacters escaped twice (they re-parse their arguments).
  assert.equal(quoteCmdArgument('a&b', true), '^^^"a^^^&b^^^"');
  assert.match(resolveWindowsCommand('node_modules\\.bin\\tsx', ['x'], ctx).args[3] ?? '', /tsx\.cmd \^\^\^"x\^\^\^""$/);
});
