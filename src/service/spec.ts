// What a service definition needs, independent of the OS: how to start `botwarden run`, where the secret lives.

/** The service manager a definition is written for. */
export type ServicePlatform = 'systemd' | 'launchd' | 'windows';

/** Everything a service definition is rendered from. Built and validated once by `buildServiceSpec`. */
export interface ServiceSpec {
  platform: ServicePlatform;
  /** Unit / label / task base name, e.g. `botwarden-123456`. Letters, digits, `._@-` only. */
  name: string;
  /** One-line description shown by the service manager. */
  description: string;
  /** Absolute path of the node executable. */
  nodePath: string;
  /** Arguments node needs before the script (e.g. an absolute `--import` of tsx when running from source). */
  nodeArgs: string[];
  /** Absolute path of the botwarden executable script. */
  botwardenBin: string;
  /** Options for `botwarden run` (the token is never among them). */
  runArgs: string[];
  /** The bot command and its arguments (after `--`). */
  command: string[];
  /** Absolute working directory of the service. */
  workingDir: string;
  /** Absolute path of the protected (0600) file that holds the secret. */
  secretFile: string;
  /** The bot token; written only into `secretFile`, never into the definition or the output. */
  token: string;
  /** Extra variables written into the secret file next to the token (e.g. PATH, so `python` resolves as in the shell). */
  extraEnv: Record<string, string>;
  /** botwarden's `--stop-timeout` (unit: ms); the manager's own stop timeout is set above it. */
  stopTimeoutMs: number;
  /** A per-user service (systemd `--user`, a LaunchAgent) rather than a system one. */
  userService: boolean;
  /** System services only: the account to run as (systemd `User=`); absent runs as the manager's default (root). */
  runAsUser?: string;
  /** Absolute path of the definition file (unit, plist or wrapper script). */
  definitionFile: string;
}

/** The argv the service manager starts: node, its args, the botwarden bin, `run`, options, `--`, command. */
export function serviceArgv(spec: ServiceSpec): string[] {
  return [spec.nodePath, ...spec.nodeArgs, spec.botwardenBin, 'run', ...spec.runArgs, '--', ...spec.command];
}

/** The manager's stop timeout (unit: s): botwarden's stop timeout plus 10 s to release the lease and exit. */
export function managerStopTimeoutSec(spec: ServiceSpec): number {
  return Math.ceil(spec.stopTimeoutMs / 1000) + 10;
}

/** Marker written into every definition so `uninstall` only removes files `install` wrote. */
export const WRITTEN_BY_MARKER = 'Written by `botwarden service install`';

/** A line in every definition naming its secret file, so `uninstall` removes exactly that file. */
export function secretFileLine(spec: ServiceSpec): string {
  return `${SECRET_FILE_TAG} ${spec.secretFile}`;
}

/** The tag `secretFileLine` writes; `uninstall` looks for it. */
export const SECRET_FILE_TAG = 'botwarden-secret-file:';
