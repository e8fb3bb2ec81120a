// The fast `run` parser must read every argument list exactly as commander does, or hand it to commander.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from '../../src/cli/commander.js';
import { addRunOptions } from '../../src/cli/run-options.js';
import { parseRunArgv } from '../../src/cli/run-argv.js';

/** What commander makes of `botwarden run <args>`, or 'error' when it refuses them. */
function viaCommander(args: string[]): { opts: Record<string, unknown>; command: string[] } | 'error' {
  let got: { opts: Record<string, unknown>; command: string[] } | undefined;
  const program = new Command('botwarden').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  const run = program.command('run').argument('[command...]').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  addRunOptions(run);
  run.action((command: string[], opts: Record<string, unknown>) => {
    got = { opts: { ...opts }, command };
  });
  try {
    program.parse(['node', 'botwarden', 'run', ...args]);
  } catch {
    return 'error';
  }
  return got ?? 'error';
}

const SAME: string[][] = [
  ['--', 'python', 'bot.py'],
  ['python', 'bot.py'],
  ['--lease', 'redis://127.0.0.1:6379', '--lease-ttl=3000', '--json', '--', 'node', 'bot.js', '--inspect', '-x'],
  ['--health-port', '0', '--health-host', '127.0.0.1', '--health-allow-actions', '--takeover', '--', 'sh', '-c', 'echo hi'],
  ['--restart', 'never', '--stop-timeout', '500', '--max-memory', '512M', '--log-file', '/tmp/bot.log', '--log-level', 'debug', '--', 'x'],
  ['--fallback', 'node minimal.js', '--startup-timeout', '2000', '--config', 'a.json', '--token-file', 't', '--api-root', 'http://127.0.0.1:1', '--state-dir', 's', '--', 'x'],
  ['--lease', 'file:', '--lease', 'redis://h', '--', 'x'],
  ['--lease', '', '--', 'x'],
  ['node', '--json', 'bot.js'],
  [],
  ['--'],
];

for (const args of SAME) {
  test(`run ${JSON.stringify(args)}: the fast parser reads it as commander does`, () => {
    const fast = parseRunArgv(args);
    const slow = viaCommander(args);
    assert.notEqual(slow, 'error');
    assert.ok(fast, 'the fast parser handed a plain argument list to commander');
    assert.deepEqual({ opts: { ...fast.opts }, command: fast.command }, slow);
  });
}

const TO_COMMANDER: string[][] = [
  ['--help'],
  ['-h'],
  ['--jsn', '--', 'x'],
  ['--lease'],
  ['--json=yes', '--', 'x'],
  ['--fallback', '-x', '--', 'bot'],
  ['-V'],
  ['node', 'bot.js', '--inspect'],
];

for (const args of TO_COMMANDER) {
  test(`run ${JSON.stringify(args)}: left to commander (help, an error, or a value that looks like an option)`, () => {
    assert.equal(parseRunArgv(args), undefined);
  });
}
