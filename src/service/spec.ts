// What a service definition needs, independent of the OS: how to start `botwarden run` (one bot) or `botwarden up`
// (every bot of a config file), where the secret lives.
import { BotwardenError } from '../errors.js';
import { redactTokenValue } from '../util/redact.js';

/** The service manager a definition is written for. */
export type ServicePlatform = 'systemd' | 'launchd' | 'windows';

/** The secret a service needs: the bot token (`run`), or the tokenEnv variables of a config file's bots (`up`). */
export type ServiceSecret = { readonly token: string } | { readonly env: Readonly<Record<string, string>> };

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
  /** The botwarden command the service runs. */
  subcommand: 'run' | 'up';
  /** Options for `botwarden run` or `botwarden up` (a token is never among them). */
  runArgs: string[];
  /** `run`: the bot command and its arguments (after `--`); `up`: empty (the commands are in the config file). */
  command: string[];
  /** Absolute working directory of the service. */
  workingDir: string;
  /** Absolute path of the protected (0600) file that holds the secret. */
  secretFile: string;
  /** Written only into `secretFile`, never into the definition or the output. */
  secret: ServiceSecret;
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

/** The argv the service manager starts: node, its args, the botwarden bin, `run` or `up`, options (`run`: `--`, command). */
export function serviceArgv(spec: ServiceSpec): string[] {
  const tail = spec.subcommand === 'run' ? ['--', ...spec.command] : [];
  return [spec.nodePath, ...spec.nodeArgs, spec.botwardenBin, spec.subcommand, ...spec.runArgs, ...tail];
}

/**
 * The argv for a manager without an environment file (launchd, Windows): `serviceArgv` with the secret file named
 * right after the subcommand — `run --token-file <file>` or `up --env-file <file>`.
 */
export function argvWithSecretFile(spec: ServiceSpec): string[] {
  const argv = serviceArgv(spec);
  const at = spec.nodeArgs.length + 3;
  argv.splice(at, 0, 'token' in spec.secret ? '--token-file' : '--env-file', spec.secretFile);
  return argv;
}

/** The secret as environment variables: `BOT_TOKEN` (`run`), or each tokenEnv variable (`up`). */
export function secretVariables(spec: ServiceSpec): Array<[name: string, value: string]> {
  return 'token' in spec.secret ? [['BOT_TOKEN', spec.secret.token]] : Object.entries(spec.secret.env);
}

/**
 * The secret file read by botwarden itself (launchd, Windows): `run`'s token alone on a line (`--token-file`), or
 * `up`'s variables as `NAME=value` lines (`--env-file`, dotenv syntax). `redacted` shows `<id>:<redacted>` instead.
 */
export function renderSecretFile(spec: ServiceSpec, redacted: boolean, eol: string): string {
  const shown = (v: string): string => (redacted ? redactTokenValue(v) : v);
  if ('token' in spec.secret) return shown(spec.secret.token) + eol;
  const lines = [`# ${WRITTEN_BY_MARKER} for ${spec.name}. Keep this file private: it holds bot tokens.`];
  for (const [k, v] of Object.entries(spec.secret.env)) lines.push(`${k}=${dotenvValue(shown(v), k)}`);
  return lines.join(eol) + eol;
}

/** A value in a dotenv line: bare when safe, else in single quotes (read literally). */
function dotenvValue(v: string, name: string): string {
  if (/^[A-Za-z0-9_@+=:,./<>-]*$/.test(v)) return v;
  if (/['\r\n]/.test(v)) {
    throw new BotwardenError('SERVICE_SECRET_VALUE', `service install: ${name} holds a quote or a line break, which an environment file cannot carry`, {
      exit: 'usage',
      hint: `set ${name} to the token alone, as @BotFather gives it`,
    });
  }
  return `'${v}'`;
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
