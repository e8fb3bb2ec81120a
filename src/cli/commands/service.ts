// `botwarden service install|uninstall`: write (or print) a systemd unit / launchd plist / Windows task for `botwarden run`.
import { Command, Option } from '../commander.js';
import { parseDurationMs } from '../../config/index.js';
import { usageError } from '../../errors.js';
import { addRunOptions } from '../run-options.js';
import { forwardedRunArgs } from '../../service/run-args.js';
import type { ServicePlatform } from '../../service/spec.js';
import { redact } from '../../util/redact.js';

/** Options that belong to `service install` itself and are not passed on to `botwarden run`. */
const SERVICE_ONLY = new Set(['dryRun', 'user', 'name', 'unitDir', 'secretDir', 'platform', 'workingDir', 'keepPath']);

/** Register `botwarden service install|uninstall`. */
export function registerServiceCommand(program: Command): void {
  const service = program.command('service').description('install botwarden as a service (systemd, launchd, Windows Task Scheduler)');

  const install = service
    .command('install')
    .description('write the service definition (token in a 0600 file) that runs `botwarden run [options] -- <command…>`')
    .argument('[command...]', 'the bot command, after --');
  addServiceOptions(install);
  addRunOptions(install);
  install
    .option('--dry-run', 'print the definition and the secret file (token redacted); write nothing')
    .option('--working-dir <dir>', 'the service working directory (default: the current directory)')
    .option('--no-keep-path', "do not copy this shell's PATH into the service environment");
  install.action(async (command: string[], opts: Record<string, unknown>, cmd: Command) => {
    const [{ readTokenSource }, { planServiceInstall, writeServiceFiles }] = await Promise.all([import('../../doctor/token-source.js'), import('../../service/install.js')]);
    const stopTimeoutMs = opts['stopTimeout'] === undefined ? undefined : parseDurationMs(opts['stopTimeout'] as string);
    if (opts['stopTimeout'] !== undefined && stopTimeoutMs === undefined) throw usageError('--stop-timeout', 'milliseconds or a duration such as 10s', opts['stopTimeout']);
    const plan = planServiceInstall({
      token: readTokenSource(opts['tokenFile'] as string | undefined),
      command,
      runArgs: forwardedRunArgs(cmd, SERVICE_ONLY),
      ...(opts['platform'] ? { platform: opts['platform'] as ServicePlatform } : {}),
      ...(opts['name'] ? { name: opts['name'] as string } : {}),
      userService: opts['user'] === true,
      ...(opts['unitDir'] ? { unitDir: opts['unitDir'] as string } : {}),
      ...(opts['secretDir'] ? { secretDir: opts['secretDir'] as string } : {}),
      ...(opts['workingDir'] ? { workingDir: opts['workingDir'] as string } : {}),
      ...(stopTimeoutMs !== undefined ? { stopTimeoutMs } : {}),
      ...(opts['keepPath'] !== false && process.env['PATH'] ? { path: process.env['PATH'] } : {}),
    });
    const out: string[] = [];
    if (opts['dryRun']) {
      out.push(`# dry run: nothing written. ${plan.spec.platform} service "${plan.spec.name}" would be:`);
      for (const f of plan.files) {
        out.push('', `# ${f.path} (mode ${f.mode.toString(8).padStart(4, '0')})`, f.shown.trimEnd());
      }
      out.push('', '# then run:', ...plan.nextCommands.map((c) => `#   ${c}`));
    } else {
      await writeServiceFiles(plan);
      for (const f of plan.files) out.push(`wrote ${f.path} (mode ${f.mode.toString(8).padStart(4, '0')})`);
      out.push('', 'now run:', ...plan.nextCommands.map((c) => `  ${c}`));
    }
    process.stdout.write(redact(out.join('\n')) + '\n');
  });

  const uninstall = service.command('uninstall').description('remove the service definition and secret file that install wrote');
  addServiceOptions(uninstall);
  uninstall.option('--token-file <path>', 'file holding the token (to derive the default name botwarden-<bot id>)');
  uninstall.option('--dry-run', 'say what would be removed; remove nothing');
  uninstall.action(async (opts: Record<string, unknown>) => {
    const [{ readTokenSource }, { uninstallService }] = await Promise.all([import('../../doctor/token-source.js'), import('../../service/install.js')]);
    const name = opts['name'] as string | undefined;
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

function addServiceOptions(cmd: Command): void {
  cmd
    .option('--name <name>', 'service name (default: botwarden-<bot id>)')
    .option('--user', 'a per-user service (systemd --user, LaunchAgent) instead of a system one')
    .option('--unit-dir <dir>', 'folder for the definition file (default: the service manager’s own)')
    .option('--secret-dir <dir>', 'folder for the 0600 token file (default: --unit-dir, else /etc/botwarden, ~/.config/botwarden, …)')
    .addOption(new Option('--platform <name>', 'service manager (default: this OS)').choices(['systemd', 'launchd', 'windows']));
}

