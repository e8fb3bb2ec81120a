// A launchd plist (macOS) that runs `botwarden run --token-file <0600 file> … -- <command>` or
// `botwarden up --env-file <0600 file> --config …`.
import { WRITTEN_BY_MARKER, argvWithSecretFile, managerStopTimeoutSec, renderSecretFile, secretFileLine, type ServiceSpec } from './spec.js';

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The launchd label for a service name: reverse-DNS, e.g. `dev.botwarden.botwarden-123456`. */
export function launchdLabel(name: string): string {
  return `dev.botwarden.${name}`;
}

/**
 * launchd has no environment file, and a plist is world-readable by convention; so the token goes into a
 * separate 0600 file passed as `--token-file` (`up`: `--env-file`), right after the subcommand, never into the plist.
 */
export function launchdArgv(spec: ServiceSpec): string[] {
  return argvWithSecretFile(spec);
}

/** The secret file body: the token alone, or `up`'s `NAME=value` lines (redacted for `--dry-run`). */
export function renderTokenFile(spec: ServiceSpec, redacted: boolean): string {
  return renderSecretFile(spec, redacted, '\n');
}

/** The plist body. */
export function renderLaunchdPlist(spec: ServiceSpec, logDir: string): string {
  const label = launchdLabel(spec.name);
  const args = launchdArgv(spec)
    .map((a) => `    <string>${xml(a)}</string>`)
    .join('\n');
  const env = Object.entries(spec.extraEnv)
    .map(([k, v]) => `    <key>${xml(k)}</key>\n    <string>${xml(v)}</string>`)
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- ${xml(WRITTEN_BY_MARKER)}. The token is in a 0600 file, never in this one. -->
<!-- ${xml(secretFileLine(spec))} -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${xml(label)}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>WorkingDirectory</key>
  <string>${xml(spec.workingDir)}</string>
  <key>EnvironmentVariables</key>
  <dict>
${env}
  </dict>
  <key>RunAtLoad</key>
  <true/>
  <!-- restart botwarden only when it fails (it restarts the bot itself) -->
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ThrottleInterval</key>
  <integer>5</integer>
  <!-- seconds between SIGTERM and SIGKILL: above botwarden's --stop-timeout -->
  <key>ExitTimeOut</key>
  <integer>${managerStopTimeoutSec(spec)}</integer>
  <key>StandardOutPath</key>
  <string>${xml(`${logDir}/${spec.name}.log`)}</string>
  <key>StandardErrorPath</key>
  <string>${xml(`${logDir}/${spec.name}.log`)}</string>
</dict>
</plist>
`;
}

/** The commands the user runs after install. */
export function launchdInstallCommands(spec: ServiceSpec): string[] {
  const domain = spec.userService ? 'gui/$(id -u)' : 'system';
  const sudo = spec.userService ? '' : 'sudo ';
  return [`${sudo}launchctl bootstrap ${domain} ${spec.definitionFile}`, `${sudo}launchctl print ${domain}/${launchdLabel(spec.name)}`];
}

/** The commands the user runs around uninstall. */
export function launchdUninstallCommands(name: string, userService: boolean): string[] {
  const domain = userService ? 'gui/$(id -u)' : 'system';
  return [`${userService ? '' : 'sudo '}launchctl bootout ${domain}/${launchdLabel(name)}`];
}
