// service install/uninstall: real files in a temp dir, the CLI from source, systemd-analyze when this host has it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { systemdQuoteArg } from '../../src/service/systemd.js';
import { planServiceInstall } from '../../src/service/install.js';
import { resolveStateDir } from '../../src/config/run-config.js';
import { spawnCli } from '../helpers/cli.js';
import { tempDirFor } from '../helpers/fleet.js';
import { verifySystemdUnit } from './helpers.js';

const SECRET = 'AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_';
const TOKEN = `123456789:${SECRET}`;


test('systemdQuoteArg: safe args stay bare; spaces, quotes, %, $, backslashes and empty args are quoted', () => {
  assert.equal(systemdQuoteArg('/usr/bin/python3'), '/usr/bin/python3');
  assert.equal(systemdQuoteArg('redis://127.0.0.1:6379/0'), 'redis://127.0.0.1:6379/0');
  assert.equal(systemdQuoteArg('my bot.py'), '"my bot.py"');
  assert.equal(systemdQuoteArg('say "hi"'), '"say \\"hi\\""');
  assert.equal(systemdQuoteArg('100%'), '"100%%"');
  assert.equal(systemdQuoteArg('$HOME'), '"$$HOME"');
  assert.equal(systemdQuoteArg('a\\b'), '"a\\\\b"');
  assert.equal(systemdQuoteArg(''), '""');
  assert.equal(systemdQuoteArg(';'), '";"');
});

test('CLI: service install --dry-run prints a unit whose ExecStart runs `botwarden run`, token redacted, writes nothing', async (t) => {
  const dir = tempDirFor(t);
  const p = spawnCli(
    ['service', 'install', '--dry-run', '--platform', 'systemd', '--unit-dir', dir, '--lease', 'redis://127.0.0.1:6379', '--stop-timeout', '20000', '--takeover', '--', 'python3', 'my bot.py', '--name', 'x y'],
    { env: { BOT_TOKEN: TOKEN } },
  );
  assert.equal(await p.exited(), 0, p.stderr());
  const out = p.stdout();
  const execStart = /^ExecStart=(.*)$/m.exec(out)?.[1] ?? '';
  assert.match(execStart, new RegExp(`^${process.execPath.replace(/[/.]/g, '\\$&')} `), 'absolute node first');
  assert.match(execStart, / --max-semi-space-size=1 --gc-memory-reducer-start-delay-ms=2000 /, "the executable's shebang flags (node <script> skips the shebang)");
  assert.match(execStart, /\/src\/bin\/botwarden\.ts run --lease redis:\/\/127\.0\.0\.1:6379 --stop-timeout 20000 --takeover -- python3 "my bot\.py" --name "x y"$/);
  assert.doesNotMatch(execStart, /token/i, 'the token is never on the command line');
  assert.match(out, /^EnvironmentFile=.*botwarden-123456789\.env$/m);
  assert.match(out, /^KillMode=mixed$/m);
  assert.match(out, /^Restart=on-failure$/m);
  assert.match(out, /^TimeoutStopSec=30$/m, 'above --stop-timeout (20 s)');
  assert.match(out, /^WorkingDirectory=\//m);
  assert.match(out, /^BOT_TOKEN=123456789:<redacted>$/m);
  assert.doesNotMatch(out + p.stderr(), new RegExp(SECRET));
  assert.match(out, /systemctl daemon-reload/);
  assert.deepEqual(await readdir(dir), [], 'dry run writes nothing');
});

test('CLI: service install writes the unit and a 0600 env file; systemd-analyze accepts it; uninstall removes both', async (t) => {
  const dir = tempDirFor(t);
  const secrets = join(dir, 'secrets');
  const install = spawnCli(
    ['service', 'install', '--platform', 'systemd', '--user', '--unit-dir', dir, '--secret-dir', secrets, '--name', 'mybot', '--', '/bin/echo', 'a b', '100%', '$HOME'],
    { env: { BOT_TOKEN: TOKEN } },
  );
  assert.equal(await install.exited(), 0, install.stderr());
  assert.doesNotMatch(install.stdout(), new RegExp(SECRET));
  assert.match(install.stdout(), /systemctl --user enable --now mybot\.service/);
  const envFile = join(secrets, 'mybot.env');
  const unitFile = join(dir, 'mybot.service');
  assert.equal((await stat(envFile)).mode & 0o777, 0o600);
  assert.equal((await stat(secrets)).mode & 0o777, 0o700);
  assert.match(await readFile(envFile, 'utf8'), new RegExp(`^BOT_TOKEN=${TOKEN}$`, 'm'));
  const unit = await readFile(unitFile, 'utf8');
  assert.doesNotMatch(unit, new RegExp(SECRET));
  assert.match(unit, /-- \/bin\/echo "a b" "100%%" "\$\$HOME"$/m);
  assert.match(unit, /^WantedBy=default\.target$/m);
  await verifySystemdUnit(unitFile); // throws (exit ≠ 0) on a syntax error

  const dry = spawnCli(['service', 'uninstall', '--platform', 'systemd', '--user', '--unit-dir', dir, '--name', 'mybot', '--dry-run']);
  assert.equal(await dry.exited(), 0, dry.stderr());
  assert.match(dry.stdout(), /would remove .*mybot\.service/);
  await stat(unitFile);

  const un = spawnCli(['service', 'uninstall', '--platform', 'systemd', '--user', '--unit-dir', dir, '--name', 'mybot']);
  assert.equal(await un.exited(), 0, un.stderr());
  assert.match(un.stdout(), /removed .*mybot\.service/);
  assert.match(un.stdout(), /removed .*mybot\.env/);
  assert.match(un.stdout(), /systemctl --user disable --now mybot\.service/);
  await assert.rejects(stat(unitFile));
  await assert.rejects(stat(envFile));

  const again = spawnCli(['service', 'uninstall', '--platform', 'systemd', '--user', '--unit-dir', dir, '--name', 'mybot']);
  assert.equal(await again.exited(), 9, 'nothing installed: exit 9 (not running/installed)');
});

test('launchd and Windows definitions keep the token in a 0600 file passed as --token-file', () => {
  for (const platform of ['launchd', 'windows'] as const) {
    const plan = planServiceInstall({ token: TOKEN, command: ['node', 'bot.js'], runArgs: ['--lease', 'redis://h:6379'], platform, unitDir: '/srv/x', stopTimeoutMs: 5000 });
    const [secret, def] = plan.files;
    assert.ok(secret && def);
    assert.equal(secret.mode, 0o600);
    assert.equal(secret.content.trim(), TOKEN);
    assert.equal(secret.shown.trim(), '123456789:<redacted>');
    assert.doesNotMatch(def.content, new RegExp(SECRET));
    assert.ok(def.content.includes(secret.path), 'the definition names the secret file');
    if (platform === 'launchd') {
      assert.match(def.content, /<string>run<\/string>\s*<string>--token-file<\/string>/);
      assert.match(def.content, /<key>ExitTimeOut<\/key>\s*<integer>15<\/integer>/);
      assert.match(def.content, /<string>--<\/string>\s*<string>node<\/string>\s*<string>bot\.js<\/string>/);
    } else {
      // The task runs as SYSTEM: it is given the installing user's state dir, which `botwarden status` then names.
      const stateDir = resolveStateDir(undefined);
      assert.ok(def.content.includes(`"run" "--token-file" "${join('/srv/x', 'botwarden-123456789.token')}" "--state-dir" "${stateDir}" "--lease" "redis://h:6379" "--" "node" "bot.js"`), def.content);
      assert.ok(plan.nextCommands.some((c) => c.startsWith('schtasks /Create')));
      assert.ok(plan.nextCommands.includes(`botwarden status --state-dir "${stateDir}"`), plan.nextCommands.join('\n'));
    }
  }
});

test('CLI: service install without a token or without a command is a usage error (exit 2)', async (t) => {
  const dir = tempDirFor(t);
  const env = { BOT_TOKEN: '', TELEGRAM_BOT_TOKEN: '' };
  const noToken = spawnCli(['service', 'install', '--unit-dir', dir, '--', 'python3', 'bot.py'], { env });
  assert.equal(await noToken.exited(), 2);
  assert.match(noToken.stderr(), /no bot token/);
  const noCmd = spawnCli(['service', 'install', '--unit-dir', dir], { env: { BOT_TOKEN: TOKEN } });
  assert.equal(await noCmd.exited(), 2);
  assert.match(noCmd.stderr(), /command after `--`/);
  assert.deepEqual(await readdir(dir), []);
});
