// `botwarden service install|uninstall`: write (or print) a systemd unit / launchd plist / Windows task for
// `botwarden run` (one bot), or with `--up` for `botwarden up` (every bot of a config file).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from '../commander.js';
import { parseDurationMs } from '../../config/index.js';
import { usageError } from '../../errors.js';
import { addRunOptions } from '../run-options.js';
import { forwardedRunArgs } from '../../service/run-args.js';
import type { ServicePlatform } from '../../service/spec.js';
import type { ServiceCommonInput, ServicePlan } from '../../service/install.js';
import { redact } from '../../util/redact.js';

/** Options that belong to `service install` itself and are not passed on to `botwarden run` or `up`. */
const SERVICE_ONLY = new Set(['dryRun', 'user', 'name', 'unitDir', 'secretDir', 'platform', 'workingDir', 'keepPath', 'up', 'providedEnv']);
/** The `run` options `up` takes too: with `--up` they go into the definition; every other one belongs in the config file. */
const UP_OPTIONS = new Set(['config', 'stateDir', 'healthPort', 'healthHost', 'logLevel', 'json']);

/** Register `botwarden service install|uninstall`. */
export function registerServiceCommand(program: Command): void {
  const service = program.command('service').description('install botwarden as a service (systemd, launchd, Windows Task Scheduler)');

  const install = service
    .command('install')
    .description('write the service definition (token in a 0600 file) that runs `botwarden run [options] -- <command…>`, or with --up `botwarden up --config FILE`')
    .argument('[command...]', 'the bot command, after --');
  addServiceOptions(install);
  addRunOptions(install);
  install
    .option('--dry-run', 'print the definition and the secret file (token redacted); write nothing')
    .option('--working-dir <dir>', 'the service working directory (default: the current directory)')
    .option('--no-keep-path', "do not copy this shell's PATH into the service environment")
    .option('--up', 'run `botwarden up` for every bot of the config file (--config; default ./botwarden.config.*): the tokenEnv variables set here go into the 0600 file')
    .option('--provided-env <names>', 'with --up: tokenEnv variables (comma-separated) the service gets another way, so they need not be set here');
  install.action(async (command: string[], opts: Record<string, unknown>, cmd: Command) => {
    if (opts['up']) {
      await printPlan(await planUp(command, opts, cmd), opts['dryRun'] === true);
      return;
    }
    if (opts['providedEnv'] !== undefined) throw usageError('--provided-env', '--up as well (it names tokenEnv variables of a config file)', opts['providedEnv']);
    const [{ readTokenSource }, { planServiceInstall }] = await Promise.all([import('../../doctor/token-source.js'), import('../../service/install.js')]);
    const stopTimeoutMs = opts['stopTimeout'] === undefined ? undefined : parseDurationMs(opts['stopTimeout'] as string);
    if (opts['stopTimeout'] !== undefined && stopTimeoutMs === undefined) throw usageError('--stop-timeout', 'milliseconds or a duration such as 10s', opts['stopTimeout']);
    const plan = planServiceInstall({
      token: readTokenSource(opts['tokenFile'] as string | undefined),
      command,
      runArgs: forwardedRunArgs(cmd, SERVICE_ONLY),
      ...commonOptions(opts),
      ...(stopTimeoutMs !== undefined ? { stopTimeoutMs } : {}),
    });
    await printPlan(plan, opts['dryRun'] === true);
  });

  const uninstall = service.command('uninstall').description('remove the service definition and secret file that install wrote');
  addServiceOptions(uninstall);
  uninstall.option('--token-file <path>', 'file holding the token (to derive the default name botwarden-<bot id>)');
  uninstall.option('--up', 'the `up` service of a config file (default name botwarden-up-<its folder>)');
  uninstall.option('--config <path>', 'with --up: the config file (default: ./botwarden.config.*)');
  uninstall.option('--dry-run', 'say what would be removed; remove nothing');
  uninstall.action(async (opts: Record<string, unknown>) => {
    const [{ readTokenSource }, { uninstallService }] = await Promise.all([import('../../doctor/token-source.js'), import('../../service/install.js')]);
    const name = (opts['name'] as string | undefined) ?? (opts['up'] ? await upNameOf(opts['config'] as string | undefined) : undefined);
    const result = await uninstallService({
      ...(name ? { name } : { token: readTokenSource(opts['tokenFile'] as string | undefined) }),
      ...(opts['platform'] ? { platform: opts['platform'] as ServicePlatform } : {}),
      userService: opts['user'] === true,
      ...(opts['unitDir'] ? { unitDir: opts['unitDir'] as string } : {}),
      dryRun: opts['dryRun'] === true,
    });
    const verb = opts['dryRun'] ? 'would remove' : 'removed';
    const lines = result.removed.map((p) => `${verb} ${p}`);
    lines.push('', 'stop and forget the service (if it is still loaded):', ...result.nextCommands.map((c) => `  ${c}`));
    process.stdout.write(redact(lines.join('\n')) + '\n');
  });
}

/** `service install --up`: only the options `up` takes, no command; the config file read for its bots' tokens. */
async function planUp(command: string[], opts: Record<string, unknown>, cmd: Command): Promise<ServicePlan> {
  if (command.length > 0) {
    throw usageError('service install --up', 'no bot command (each bot\'s command is in the config file)', command.join(' '), 'remove the part after --, or install one bot without --up');
  }
  const other = (cmd.options as readonly Option[]).find((o) => {
    const key = o.attributeName();
    const source = cmd.getOptionValueSource(key);
    return (source === 'cli' || source === 'env') && !SERVICE_ONLY.has(key) && !UP_OPTIONS.has(key);
  });
  if (other) {
    const key = other.attributeName();
    throw usageError(
      other.long ?? key,
      'with --up only --config, --state-dir, --health-port, --health-host, --log-level and --json',
      opts[key] === true ? '(set)' : opts[key],
      key === 'tokenFile' ? 'each bot names its token in the config file (tokenEnv or tokenFile)' : `set "${key}" in the config file instead: at the top level for every bot, or in one bot's entry`,
    );
  }
  const [{ readFleetSources }, { planUpServiceInstall }] = await Promise.all([import('../../config/index.js'), import('../../service/up-plan.js')]);
  const sources = readFleetSources(opts['config'] as string | undefined);
  const stateDir = opts['stateDir'] as string | undefined;
  const upArgs = [...(stateDir !== undefined ? ['--state-dir', resolve(stateDir)] : []), ...forwardedRunArgs(cmd, new Set([...SERVICE_ONLY, 'config', 'stateDir']))];
  const provided = ((opts['providedEnv'] as string | undefined) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return planUpServiceInstall({ sources, upArgs, providedEnv: provided, ...commonOptions(opts) });
}

/** The default name of the `up` service of a config file (`--config`, else the one in this folder). */
async function upNameOf(config: string | undefined): Promise<string> {
  const [{ CONFIG_FILE_NAMES }, { upServiceName }] = await Promise.all([import('../../config/index.js'), import('../../service/up-plan.js')]);
  const file = config ?? CONFIG_FILE_NAMES.map((n) => resolve(n)).find((p) => existsSync(p));
  if (file === undefined) throw usageError('--config', 'the config file of the `up` service (or --name)', '(nothing: no botwarden.config.* here)');
  return upServiceName(file);
}

/** Options both kinds of service take. */
function commonOptions(opts: Record<string, unknown>): ServiceCommonInput {
  return {
    ...(opts['platform'] ? { platform: opts['platform'] as ServicePlatform } : {}),
    ...(opts['name'] ? { name: opts['name'] as string } : {}),
    userService: opts['user'] === true,
    ...(opts['unitDir'] ? { unitDir: opts['unitDir'] as string } : {}),
    ...(opts['secretDir'] ? { secretDir: opts['secretDir'] as string } : {}),
    ...(opts['workingDir'] ? { workingDir: opts['workingDir'] as string } : {}),
    ...(opts['keepPath'] !== false && process.env['PATH'] ? { path: process.env['PATH'] } : {}),
  };
}

/** Print the plan (`--dry-run`: every file, tokens redacted) or write it and say what was written. */
async function printPlan(plan: ServicePlan, dryRun: boolean): Promise<void> {
  const out: string[] = [];
  const mode = (m: number): string => m.toString(8).padStart(4, '0');
  if (dryRun) {
    out.push(`# dry run: nothing written. ${plan.spec.platform} service "${plan.spec.name}" would be:`);
    for (const n of plan.notes) out.push(`#   ${n}`);
    for (const f of plan.files) out.push('', `# ${f.path} (mode ${mode(f.mode)})`, f.shown.trimEnd());
    out.push('', '# then run:', ...plan.nextCommands.map((c) => `#   ${c}`));
    process.stdout.write(redact(out.join('\n')) + '\n');
    return;
  }
  const { writeServiceFiles } = await import('../../service/install.js');
  await writeServiceFiles(plan);
  for (const f of plan.files) out.push(`wrote ${f.path} (mode ${mode(f.mode)})`);
  out.push(...plan.notes.map((n) => `  ${n}`), '', 'now run:', ...plan.nextCommands.map((c) => `  ${c}`));
  process.stdout.write(redact(out.join('\n')) + '\n');
}

function addServiceOptions(cmd: Command): void {
  cmd
    .option('--name <name>', 'service name (default: botwarden-<bot id>)')
    .option('--user', 'a per-user service (systemd --user, LaunchAgent) instead of a system one')
    .option('--unit-dir <dir>', 'folder for the definition file (default: the service manager’s own)')
    .option('--secret-dir <dir>', 'folder for the 0600 token file (default: --unit-dir, else /etc/botwarden, ~/.config/botwarden, …)')
    .addOption(new Option('--platform <name>', 'service manager (default: this OS)').choices(['systemd', 'launchd', 'windows']));
}

