// A systemd unit that runs `botwarden run … -- <command>` or `botwarden up --config …`, with the tokens in a 0600
// EnvironmentFile.
import { redactTokenValue } from '../util/redact.js';
import { WRITTEN_BY_MARKER, managerStopTimeoutSec, secretFileLine, secretVariables, serviceArgv, type ServiceSpec } from './spec.js';

/** Arguments systemd takes as they are: no quotes, no specifiers (`%`), no variables (`$`), no escapes. */
const SAFE_ARG = /^[A-Za-z0-9_@+=:,./-]+$/;

/**
 * Quote one ExecStart argument per systemd.service(5) "Command lines": `%` → `%%` (specifiers), `$` → `$$`
 * (variable expansion), and anything else unsafe in double quotes with C escapes (`\\`, `\"`, `\n`, `\t`).
 */
export function systemdQuoteArg(arg: string): string {
  if (SAFE_ARG.test(arg)) return arg;
  const escaped = arg
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\t/g, '\\t')
    .replace(/\r/g, '\\r')
    .replace(/%/g, '%%')
    .replace(/\$/g, '$$$$');
  return `"${escaped}"`;
}

/** A path in a setting that takes no quotes (WorkingDirectory=, EnvironmentFile=): only `%` needs escaping. */
function systemdPath(p: string): string {
  if (/[\n\r]/.test(p)) throw new Error(`a path for a systemd unit cannot contain a newline: ${JSON.stringify(p)}`);
  return p.replace(/%/g, '%%');
}

/** A value in an EnvironmentFile: bare when safe, else double-quoted with `\\`, `\"`, `$` escaped. */
function envFileValue(v: string): string {
  if (/^[A-Za-z0-9_@+=:,./-]*$/.test(v)) return v;
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '\\$').replace(/\n/g, '\\n')}"`;
}

/** The EnvironmentFile body: `BOT_TOKEN=…` (`run`) or each tokenEnv variable (`up`), then the extra variables. `redacted` shows `<id>:<redacted>` instead. */
export function renderEnvFile(spec: ServiceSpec, redacted: boolean): string {
  const lines = [`# ${WRITTEN_BY_MARKER} for ${spec.name}. Keep this file mode 0600: it holds the bot token${spec.subcommand === 'up' ? 's' : ''}.`];
  for (const [k, v] of secretVariables(spec)) lines.push(`${k}=${redacted ? redactTokenValue(v) : envFileValue(v)}`);
  for (const [k, v] of Object.entries(spec.extraEnv)) lines.push(`${k}=${envFileValue(v)}`);
  return lines.join('\n') + '\n';
}

/** The unit file body. */
export function renderSystemdUnit(spec: ServiceSpec): string {
  const execStart = serviceArgv(spec).map(systemdQuoteArg).join(' ');
  const lines = [
    `# ${WRITTEN_BY_MARKER}; remove with \`botwarden service uninstall --name ${spec.name}${spec.userService ? ' --user' : ''}\`.`,
    `# The token${spec.subcommand === 'up' ? 's are' : ' is'} in this file (mode 0600), never in the unit:`,
    `# ${secretFileLine(spec)}`,
    '[Unit]',
    `Description=${spec.description.replace(/[\r\n]+/g, ' ').replace(/%/g, '%%')}`,
    'Wants=network-online.target',
    'After=network-online.target',
    // botwarden restarts the bot itself; systemd restarts botwarden only if botwarden itself fails. With
    // RestartSec=5 s the default start limit (5 starts in 10 s) cannot be hit, so the unit is never left failed.
    'StartLimitIntervalSec=60',
    'StartLimitBurst=10',
    '',
    '[Service]',
    'Type=simple',
    `WorkingDirectory=${systemdPath(spec.workingDir)}`,
    `EnvironmentFile=${systemdPath(spec.secretFile)}`,
    `ExecStart=${execStart}`,
    ...(spec.runAsUser ? [`User=${spec.runAsUser}`] : []),
    // SIGTERM goes to botwarden only: it stops the bot's process tree and releases the lease itself; anything
    // still alive after TimeoutStopSec is killed, the whole cgroup.
    'KillMode=mixed',
    'KillSignal=SIGTERM',
    `TimeoutStopSec=${managerStopTimeoutSec(spec)}`,
    // A last resort: botwarden already restarts the bot; this only covers botwarden itself failing.
    'Restart=on-failure',
    'RestartSec=5',
    // Exit 2 (bad usage/config) and 3 (bad token) will not fix themselves: do not restart on them.
    'RestartPreventExitStatus=2 3',
    '',
    '[Install]',
    `WantedBy=${spec.userService ? 'default.target' : 'multi-user.target'}`,
  ];
  return lines.join('\n') + '\n';
}

/** The commands the user runs after install (systemd is never driven by botwarden itself). */
export function systemdInstallCommands(spec: ServiceSpec): string[] {
  const ctl = spec.userService ? 'systemctl --user' : 'sudo systemctl';
  const unit = `${spec.name}.service`;
  const cmds = [`${ctl} daemon-reload`, `${ctl} enable --now ${unit}`, `${spec.userService ? 'journalctl --user' : 'journalctl'} -u ${unit} -f`];
  if (spec.userService) cmds.push('loginctl enable-linger "$USER"   # keep it running when you are logged out');
  return cmds;
}

/** The commands the user runs around uninstall. */
export function systemdUninstallCommands(name: string, userService: boolean): string[] {
  const ctl = userService ? 'systemctl --user' : 'sudo systemctl';
  return [`${ctl} disable --now ${name}.service`, `${ctl} daemon-reload`, `${ctl} reset-failed ${name}.service`];
}
