// The process table: each OS's reader with its command runner injected (Windows' PowerShell → wmic fallback, ps), the
// Linux /proc reader against this host, and the tree walks over a table.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeOutput, runCommand, type CommandRunner } from '../../src/process/command.js';
import { ancestorsIn, descendantsIn, parseWmic, readProcfsTable, readPsTable, readWindowsTable, sharedProcessTable, type ProcessEntry } from '../../src/process/table.js';
import { eventually } from '../helpers/wait.js';

/** A runner that answers per program (a string: printed; an Error: the command failed) and records what was run. */
function fakeRunner(answers: Record<string, string | Error>): { run: CommandRunner; calls: string[] } {
  const calls: string[] = [];
  const run: CommandRunner = (file) => {
    calls.push(file);
    const a = answers[file];
    if (a === undefined) return Promise.reject(new Error(`spawn ${file} ENOENT`));
    return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
  };
  return { run, calls };
}

const WMIC = '\r\r\nNode,CommandLine,ParentProcessId,ProcessId\r\r\nHOST,,0,4\r\r\nHOST,"C:\\node.exe" bot.js --a=1,2,3,4,1200\r\r\n';

test('Windows: PowerShell output is the table; wmic is not asked', async () => {
  const { run, calls } = fakeRunner({ 'powershell.exe': '4\t0\t\r\n1200\t4\t"C:\\node.exe" bot.js\r\n' });
  const rows = await readWindowsTable(run);
  assert.deepEqual(calls, ['powershell.exe']);
  assert.deepEqual(rows, [
    { pid: 4, ppid: 0, args: [] },
    { pid: 1200, ppid: 4, args: ['"C:\\node.exe"', 'bot.js'] },
  ]);
});

test('Windows: empty PowerShell output is a failure, not "no processes": wmic answers instead', async () => {
  for (const printed of ['', '\r\n', '   \r\n\r\n']) {
    const { run, calls } = fakeRunner({ 'powershell.exe': printed, wmic: WMIC });
    const rows = await readWindowsTable(run);
    assert.deepEqual(calls, ['powershell.exe', 'wmic'], JSON.stringify(printed));
    assert.deepEqual(rows.map((r) => r.pid), [4, 1200]);
  }
});

test('Windows: a failing PowerShell falls back to wmic; both failing or empty rejects, naming both', async () => {
  const failed = fakeRunner({ 'powershell.exe': new Error('Command failed: powershell.exe'), wmic: WMIC });
  assert.deepEqual((await readWindowsTable(failed.run)).map((r) => r.pid), [4, 1200]);
  await assert.rejects(readWindowsTable(fakeRunner({ 'powershell.exe': '' }).run), /PowerShell printed no process, and wmic failed \(spawn wmic ENOENT\)/);
  await assert.rejects(readWindowsTable(fakeRunner({ 'powershell.exe': '', wmic: '\r\r\n' }).run), /PowerShell printed no process, and wmic printed no process/);
});

test('wmic CSV: a command line holding commas stays whole; the numbers are read from the end', () => {
  assert.deepEqual(parseWmic(WMIC), [
    { pid: 4, ppid: 0, args: [] },
    { pid: 1200, ppid: 4, args: ['"C:\\node.exe"', 'bot.js', '--a=1,2,3'] },
  ]);
});

test("wmic under Wine ignores /format:csv: a space-padded table, numbers are the last two words", () => {
  const table = [
    'CommandLine                         ParentProcessID                     ProcessID                           ',
    '                                    40                                  56                                  ',
    'Z:\\bin\\node.exe Z:\\bot 2.mjs --n 7     56                                  84                                  ',
    '',
  ].join('\r\n');
  assert.deepEqual(parseWmic(table), [
    { pid: 56, ppid: 40, args: [] },
    { pid: 84, ppid: 56, args: ['Z:\\bin\\node.exe', 'Z:\\bot', '2.mjs', '--n', '7'] },
  ]);
});

test('command output: UTF-16LE with a byte-order mark (wmic on Windows) is decoded, anything else is UTF-8', () => {
  assert.equal(decodeOutput(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('ProcessId\r\n4\r\n', 'utf16le')])), 'ProcessId\r\n4\r\n');
  assert.equal(decodeOutput(Buffer.from('1 0 /sbin/init\n', 'utf8')), '1 0 /sbin/init\n');
});

test('runCommand: stdin is closed (wmic waits for that), stdout decoded; a failure, a missing program and the timeout reject', { skip: process.platform === 'win32' && 'uses sh' }, async () => {
  assert.equal(await runCommand('sh', ['-c', 'cat; echo done']), 'done\n');
  assert.equal(decodeOutput(Buffer.from('\uFEFFplain', 'utf8')), 'plain');
  await assert.rejects(runCommand('sh', ['-c', 'exit 3']), /sh exited with 3/);
  await assert.rejects(runCommand('botwarden-no-such-program-xyz', []), /ENOENT/);
  await assert.rejects(runCommand('sh', ['-c', 'exec sleep 30'], { timeoutMs: 50 }), /sh did not finish within 50 ms/);
  await assert.rejects(runCommand('sh', ['-c', 'yes | head -c 100000'], { maxBuffer: 1000 }), /printed more than 1000 bytes/);
});

test('ps (macOS): pid, ppid and the command line; a ps that printed nothing rejects', async () => {
  const { run } = fakeRunner({ ps: '    1     0 /sbin/launchd\n  512     1 node bot.js --x\n  513   512\n' });
  assert.deepEqual(await readPsTable(run), [
    { pid: 1, ppid: 0, args: ['/sbin/launchd'] },
    { pid: 512, ppid: 1, args: ['node', 'bot.js', '--x'] },
    { pid: 513, ppid: 512, args: [] },
  ]);
  await assert.rejects(readPsTable(fakeRunner({ ps: '' }).run), /ps printed no process/);
});

test('Linux /proc: we are in the table with our parent, group and state; details add our argv', { skip: process.platform !== 'linux' && '/proc is Linux' }, () => {
  const plain = readProcfsTable().find((p) => p.pid === process.pid);
  assert.equal(plain?.ppid, process.ppid);
  assert.ok(Number.isInteger(plain?.pgrp) && (plain?.pgrp ?? 0) > 0);
  assert.match(plain?.state ?? '', /^[RSD]$/);
  assert.deepEqual(plain?.args, []);
  const detailed = readProcfsTable({ details: true }).find((p) => p.pid === process.pid);
  assert.equal(detailed?.args[0], process.argv0);
  assert.match(detailed?.environ ?? '', /(^|\0)PATH=/);
});

test('descendantsIn and ancestorsIn walk the table (cycles and self-parents do not loop)', () => {
  const t: ProcessEntry[] = [
    { pid: 1, ppid: 0, args: [] },
    { pid: 2, ppid: 1, args: [] },
    { pid: 3, ppid: 2, args: [] },
    { pid: 4, ppid: 2, args: [] },
    { pid: 5, ppid: 4, args: [] },
    { pid: 6, ppid: 6, args: [] },
    { pid: 7, ppid: 8, args: [] },
    { pid: 8, ppid: 7, args: [] },
  ];
  assert.deepEqual(descendantsIn(t, 2), [3, 4, 5]);
  assert.deepEqual(ancestorsIn(t, 5), [4, 2, 1]);
  assert.deepEqual(descendantsIn(t, 6), []);
  assert.deepEqual(ancestorsIn(t, 7), [8]);
  assert.deepEqual(descendantsIn(t, 7), [8]);
});

test('sharedProcessTable: callers within maxAgeMs of a read share it (this process in it, with details); later callers get a fresh read', async () => {
  const read = sharedProcessTable(50);
  const first = await read();
  assert.equal(await read(), first, 'a second caller right after shares the same read');
  const self = first.find((p) => p.pid === process.pid);
  assert.ok(self && self.args.length > 0, 'read with details: our own command line is in it');
  await eventually('a fresh read once the shared one is older than maxAgeMs', async () => (await read()) !== first, 10_000, 20);
});
