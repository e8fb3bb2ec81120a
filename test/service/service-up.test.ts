// service install --up: one service for every bot of a config file; real files in temp dirs for systemd, launchd and
// Windows; tokens only in the 0600 file; a missing tokenEnv named; `up --env-file` reads what install wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFleetSources, resolveFleetConfig, resolveStateDir } from '../../src/config/index.js';
import { uninstallService, writeServiceFiles } from '../../src/service/install.js';
import { planUpServiceInstall, upServiceName } from '../../src/service/up-plan.js';
import { launchdArgv } from '../../src/service/launchd.js';
import { CLI_SOURCE, spawnCli, spawnProcess } from '../helpers/cli.js';
import { RAW_ECHO, startFleetEmulator } from '../helpers/fleet.js';
import { eventually } from '../helpers/wait.js';
import { verifySystemdUnit } from './helpers.js';

const SHOP_SECRET = 'AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_';
const NEWS_SECRET = 'BBHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_';
const FILE_SECRET = 'CCHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_';
const SHOP_TOKEN = `111111:${SHOP_SECRET}`;

/** A config folder `mybots/` with three bots: tokenEnv set in the shell, tokenEnv in the .env beside it, tokenFile (relative). */
async function configDir(t: { after(fn: () => Promise<void>): void }): Promise<{ root: string; config: string; tokenFile: string }> {
  const root = await mkdtemp(join(tmpdir(), 'bw-service-up-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const dir = join(root, 'mybots');
  await mkdir(join(dir, 'secrets'), { recursive: true });
  const config = join(dir, 'botwarden.config.yaml');
  await writeFile(
    config,
    [
      'stopTimeout: 25s',
      'bots:',
      '  - { name: shop, command: node shop.js, tokenEnv: SHOP_BOT_TOKEN }',
      '  - { name: news, command: node news.js, tokenEnv: NEWS_BOT_TOKEN }',
      '  - { name: support, command: [python3, support.py], tokenFile: secrets/support.token, stopTimeout: 40s }',
      '',
    ].join('\n'),
  );
  await writeFile(join(dir, '.env'), `NEWS_BOT_TOKEN=222222:${NEWS_SECRET}\n`);
  const tokenFile = join(dir, 'secrets', 'support.token');
  await writeFile(tokenFile, `333333:${FILE_SECRET}\n`, { mode: 0o600 });
  return { root, config, tokenFile };
}

function noSecret(text: string, what: string): void {
  for (const s of [SHOP_SECRET, NEWS_SECRET, FILE_SECRET]) assert.ok(!text.includes(s), `${what} holds a token`);
}


test('CLI: service install --up --dry-run prints one unit running `botwarden up --config <absolute>`, tokens redacted, writes nothing', async (t) => {
  const { root, config, tokenFile } = await configDir(t);
  const units = join(root, 'units');
  // Run in the config's folder (the config found there, --state-dir relative to it): tsx imported by its path.
  const p = spawnProcess(process.execPath, ['--import', import.meta.resolve('tsx'), CLI_SOURCE, 'service', 'install', '--up', '--dry-run', '--platform', 'systemd', '--unit-dir', units, '--health-port', '9100', '--state-dir', 'state'], {
    cwd: join(root, 'mybots'),
    env: { SHOP_BOT_TOKEN: SHOP_TOKEN, NEWS_BOT_TOKEN: '' },
  });
  assert.equal(await p.exited(), 0, p.stderr());
  const out = p.stdout();
  const execStart = /^ExecStart=(.*)$/m.exec(out)?.[1] ?? '';
  assert.ok(execStart.endsWith(` up --config ${config} --state-dir ${join(root, 'mybots', 'state')} --health-port 9100`), execStart);
  assert.match(out, /^EnvironmentFile=.*botwarden-up-mybots\.env$/m, 'default name: botwarden-up-<config folder>');
  assert.match(out, /^SHOP_BOT_TOKEN=111111:<redacted>$/m, 'the shell’s tokenEnv goes into the env file');
  assert.doesNotMatch(out, /^NEWS_BOT_TOKEN=/m, 'a token in the .env beside the config is read there by `up`, not copied');
  assert.ok(out.includes(`token read from ${tokenFile}`), 'the tokenFile is named by its absolute path');
  assert.match(out, /^TimeoutStopSec=50$/m, 'above the longest stopTimeout of the bots (40 s)');
  noSecret(out + p.stderr(), 'the dry run');
  await assert.rejects(stat(units), 'dry run writes nothing');
});

test('service install --up writes a definition without tokens and one 0600 file for systemd, launchd and Windows; uninstall removes both', async (t) => {
  const { root, config } = await configDir(t);
  const sources = readFleetSources(config, { env: { SHOP_BOT_TOKEN: SHOP_TOKEN } });
  for (const platform of ['systemd', 'launchd', 'windows'] as const) {
    const dir = join(root, platform);
    const plan = planUpServiceInstall({ sources, upArgs: ['--health-port', '9100'], platform, unitDir: dir, userService: true, path: '/usr/bin:/bin' });
    await writeServiceFiles(plan);
    const [secret, def] = plan.files;
    assert.ok(secret && def);
    assert.equal((await stat(secret.path)).mode & 0o777, 0o600, `${platform}: secret file 0600`);
    const secretText = await readFile(secret.path, 'utf8');
    assert.match(secretText, new RegExp(`^SHOP_BOT_TOKEN=${SHOP_TOKEN}\\r?$`, 'm'));
    const defText = await readFile(def.path, 'utf8');
    noSecret(defText, `${platform}: the definition`);
    noSecret(secret.shown, `${platform}: the dry run's secret file`);
    assert.ok(defText.includes(secret.path), `${platform}: the definition names its secret file`);
    if (platform === 'systemd') {
      assert.ok(defText.includes(`up --config ${config} --health-port 9100`), defText);
      await verifySystemdUnit(def.path); // throws (exit ≠ 0) on a syntax error
    } else if (platform === 'launchd') {
      assert.match(defText, new RegExp(`<string>up</string>\\s*<string>--env-file</string>\\s*<string>${secret.path}</string>\\s*<string>--config</string>\\s*<string>${config}</string>`));
      assert.match(defText, /<key>PATH<\/key>/, 'PATH (no secret) stays in the plist');
    } else {
      // The task runs as SYSTEM: it is given the installing user's state dir, as the `run` case is.
      const stateDir = resolveStateDir(undefined, { config });
      assert.ok(defText.includes(`"up" "--env-file" "${secret.path}" "--state-dir" "${stateDir}" "--config" "${config}" "--health-port" "9100"`), defText);
      assert.ok(plan.nextCommands.includes(`botwarden ls --state-dir "${stateDir}"`), plan.nextCommands.join('\n'));
    }
    const gone = await uninstallService({ name: plan.spec.name, platform, userService: true, unitDir: dir });
    assert.deepEqual(gone.removed.sort(), [def.path, secret.path].sort(), `${platform}: uninstall removes what install wrote`);
    assert.deepEqual(await readdir(dir), []);
  }
});

test('`up --env-file` reads the file install wrote: the bot gets its token from it, and the other bots theirs', async (t) => {
  const { root, config } = await configDir(t);
  const sources = readFleetSources(config, { env: { SHOP_BOT_TOKEN: SHOP_TOKEN } });
  const plan = planUpServiceInstall({ sources, upArgs: [], platform: 'launchd', unitDir: join(root, 'l'), userService: true });
  await writeServiceFiles(plan);
  const fleet = resolveFleetConfig({ config, envFile: plan.spec.secretFile }, { env: {}, cwd: root });
  const tokens = Object.fromEntries(fleet.bots.map((b) => [b.name, b.config?.token ?? b.error?.message]));
  assert.deepEqual(tokens, { shop: SHOP_TOKEN, news: `222222:${NEWS_SECRET}`, support: `333333:${FILE_SECRET}` });
  assert.equal(fleet.bots.find((b) => b.name === 'news')?.config?.baseEnv['SHOP_BOT_TOKEN'], undefined, 'another bot’s child does not see it');
});

test('CLI: a tokenEnv set nowhere is named (exit 2) unless --provided-env says the service gets it; run options and a command are refused', async (t) => {
  const { root, config } = await configDir(t);
  const units = join(root, 'units');
  const base = ['service', 'install', '--up', '--config', config, '--platform', 'systemd', '--unit-dir', units];
  const missing = spawnCli(base, { env: { SHOP_BOT_TOKEN: '' } });
  assert.equal(await missing.exited(), 2);
  assert.match(missing.stderr(), /SHOP_BOT_TOKEN \(bot "shop"\)/);
  assert.match(missing.stderr(), /--provided-env/);

  const restart = spawnCli([...base, '--restart', 'never'], { env: { SHOP_BOT_TOKEN: SHOP_TOKEN } });
  assert.equal(await restart.exited(), 2);
  assert.match(restart.stderr(), /--restart: [^]*set "restart" in the config file/);
  const command = spawnCli([...base, '--', 'node', 'bot.js'], { env: { SHOP_BOT_TOKEN: SHOP_TOKEN } });
  assert.equal(await command.exited(), 2);
  assert.match(command.stderr(), /no bot command/);
  await assert.rejects(stat(units), 'nothing written after a refusal');

  const provided = spawnCli([...base, '--provided-env', 'SHOP_BOT_TOKEN'], { env: { SHOP_BOT_TOKEN: '' } });
  assert.equal(await provided.exited(), 0, provided.stderr());
  const name = upServiceName(config);
  assert.match(provided.stdout(), /wrote .*botwarden-up-mybots\.service \(mode 0644\)/);
  assert.doesNotMatch(await readFile(join(units, `${name}.env`), 'utf8'), /SHOP_BOT_TOKEN/);

  const un = spawnCli(['service', 'uninstall', '--up', '--config', config, '--platform', 'systemd', '--unit-dir', units]);
  assert.equal(await un.exited(), 0, un.stderr());
  assert.match(un.stdout(), /removed .*botwarden-up-mybots\.service/);
  assert.match(un.stdout(), /removed .*botwarden-up-mybots\.env/);
  assert.deepEqual(await readdir(units), []);
});

test('the launchd command, run as written with no token in its environment, starts `up` and every bot answers', async (t) => {
  const emu = await startFleetEmulator();
  t.after(() => emu.close());
  const [shop, news] = await Promise.all([emu.createBot('svcup_shop_bot'), emu.createBot('svcup_news_bot')]);
  const root = await mkdtemp(join(tmpdir(), 'bw-service-up-run-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const dir = join(root, 'mybots');
  await mkdir(dir);
  const config = join(dir, 'botwarden.config.json');
  await writeFile(
    config,
    JSON.stringify({
      apiRoot: emu.url,
      stopTimeout: '3s',
      bots: [
        { name: 'shop', command: [process.execPath, RAW_ECHO], tokenEnv: 'SVCUP_SHOP_TOKEN' },
        { name: 'news', command: [process.execPath, RAW_ECHO], tokenEnv: 'SVCUP_NEWS_TOKEN' },
      ],
    }),
  );
  await writeFile(join(dir, '.env'), `SVCUP_NEWS_TOKEN=${news.token}\n`);
  const sources = readFleetSources(config, { env: { SVCUP_SHOP_TOKEN: shop.token } });
  const plan = planUpServiceInstall({ sources, upArgs: ['--state-dir', join(root, 'state'), '--health-port', '0'], platform: 'launchd', unitDir: join(root, 'agents'), userService: true, botwardenBin: CLI_SOURCE });
  await writeServiceFiles(plan);
  const argv = launchdArgv(plan.spec);
  assert.ok(!argv.some((a) => a.includes(shop.token) || a.includes(news.token)), 'no token on the command line');
  // As launchd starts it: the plist's argv and working directory; the tokens only in the files `up` reads.
  const up = spawnProcess(argv[0]!, argv.slice(1), { cwd: plan.spec.workingDir });
  t.after(() => up.stop());
  await up.waitFor(/health: http:\/\/127\.0\.0\.1:\d+/, 30_000);
  for (const bot of [shop, news]) await emu.sendText(bot.id, `hello-${bot.id}`);
  await eventually(
    'both bots answer',
    async () => {
      for (const bot of [shop, news]) if (!(await emu.sent(bot.id)).some((m) => m.text === `echo: hello-${bot.id}`)) return false;
      return true;
    },
    30_000,
  );
  up.child.kill('SIGTERM');
  assert.equal(await up.exited(), 0, up.stderr());
  for (const s of [shop.token, news.token]) assert.ok(!(up.stdout() + up.stderr()).includes(s.split(':')[1]!), 'no token in the output');
});
