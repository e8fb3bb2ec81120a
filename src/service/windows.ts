// Windows: a .cmd wrapper started by Task Scheduler at boot (node cannot be an `sc.exe` service by itself).
//
// Why not `sc.exe create`: the Service Control Manager expects the program to answer its start/stop protocol
// within 30 s; node does not, so `sc start` fails with error 1053 and kills it. Doing it properly needs a
// service host (WinSW, node-windows, NSSM). Without one, Task Scheduler runs the wrapper at boot as SYSTEM
// (or the user), and the wrapper restarts botwarden if it fails (exit codes 2 and 3 mean a config or token
// problem and end the loop). Stop it gracefully with `botwarden stop`; `schtasks /End` kills it outright.
import { WRITTEN_BY_MARKER, renderSecretFile, secretFileLine, type ServiceSpec } from './spec.js';
import { launchdArgv } from './launchd.js';

/** Quote one argument for a .cmd file: always in double quotes, `%` doubled, inner `"` doubled. */
export function cmdQuoteArg(arg: string): string {
  return `"${arg.replace(/%/g, '%%').replace(/"/g, '""')}"`;
}

/** The wrapper script: runs botwarden with `--token-file` (`up`: `--env-file`), restarts it after 5 s unless it exited 0, 2 or 3. */
export function renderWindowsWrapper(spec: ServiceSpec): string {
  // Same argv as launchd: the tokens are read from a protected file, never put on the command line.
  const argv = launchdArgv(spec).map(cmdQuoteArg).join(' ');
  const env = Object.entries(spec.extraEnv).map(([k, v]) => `set "${k}=${v.replace(/%/g, '%%')}"`);
  return [
    '@echo off',
    `rem ${WRITTEN_BY_MARKER} for ${spec.name}. The token is in a protected file:`,
    `rem ${secretFileLine(spec)}`,
    'setlocal',
    ...env,
    `cd /d ${cmdQuoteArg(spec.workingDir)}`,
    ':loop',
    argv,
    'set code=%ERRORLEVEL%',
    'if %code%==0 exit /b 0',
    'if %code%==2 exit /b 2',
    'if %code%==3 exit /b 3',
    'timeout /t 5 /nobreak >nul',
    'goto loop',
    '',
  ].join('\r\n');
}

/** The secret file body for Windows (as launchd's: the token alone or `up`'s `NAME=value` lines; redacted or not). */
export function renderWindowsTokenFile(spec: ServiceSpec, redacted: boolean): string {
  return renderSecretFile(spec, redacted, '\r\n');
}

/** The commands the user runs after install (from an elevated prompt for a boot-time task). */
export function windowsInstallCommands(spec: ServiceSpec): string[] {
  const runAs = spec.userService ? '/RU "%USERNAME%" /IT /SC ONLOGON' : '/RU SYSTEM /SC ONSTART';
  return [
    `icacls "${spec.secretFile}" /inheritance:r /grant:r "%USERNAME%:F" "SYSTEM:F"`,
    `schtasks /Create /TN "${spec.name}" /TR "\\"${spec.definitionFile}\\"" ${runAs} /F`,
    `schtasks /Run /TN "${spec.name}"`,
    `botwarden ${spec.subcommand === 'up' ? 'ls' : 'status'} --state-dir "${stateDirOf(spec)}"`,
  ];
}

/** The state dir the task uses (install pins one, see `pinStateDir`). */
function stateDirOf(spec: ServiceSpec): string {
  const at = spec.runArgs.indexOf('--state-dir');
  if (at >= 0) return spec.runArgs[at + 1] ?? '';
  return spec.runArgs.find((a) => a.startsWith('--state-dir='))?.slice('--state-dir='.length) ?? '';
}

/** The commands the user runs around uninstall. */
export function windowsUninstallCommands(name: string): string[] {
  return [`botwarden stop   # graceful; or: schtasks /End /TN "${name}"`, `schtasks /Delete /TN "${name}" /F`];
}
