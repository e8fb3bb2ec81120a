// `run`'s complete, frozen configuration: command-line flags > environment (.env below it) > config file > defaults.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from '../util/crypto-lite.js';
import { BotwardenError, usageError } from '../errors.js';
import type { LogLevel } from '../log.js';
import { botIdOf, containsToken } from '../util/redact.js';
import { splitCommandLine } from './argv.js';
import { readConfigFile, readDotenv } from './file.js';
import { defaultStateDir } from './paths.js';
import { validateConfigFile, type ConfigFile } from './schema.js';
import { parseDurationMs, parseSizeBytes } from './units.js';

export type RestartPolicyName = 'always' | 'on-failure' | 'never';
export type StandbyMode = 'cold' | 'hot';

/** Everything `botwarden run` needs, validated once. */
export interface RunConfig {
  readonly token: string;
  /** The digits before `:` in the token: the lease key. */
  readonly botId: number;
  /** Upstream Bot API root, no trailing slash. */
  readonly apiRoot: string;
  readonly stateDir: string;
  /** Lease URL: `file:`, `redis://…`, `postgres://…`. */
  readonly lease: string;
  readonly leaseTtlMs: number;
  /** `--workers redis://…`: worker mode (every instance runs the bot; the lease holder polls into partitions). */
  readonly workers: string | undefined;
  /** `--partitions`: partitions of the bot's updates in worker mode (the same on every instance). */
  readonly partitions: number;
  /** Health server port (0 = any free port). */
  readonly healthPort: number;
  readonly healthHost: string;
  /** `--health-allow-actions`: the status page may restart the bot and step down (POST, with `actionsSecret`). Default false. */
  readonly healthAllowActions: boolean;
  /**
   * The status page's action secret from env `BOTWARDEN_ACTIONS_SECRET` (never the token; never in the config file).
   * Undefined: the daemon generates one when actions are allowed and keeps it in a 0600 file of the state dir.
   */
  readonly actionsSecret: string | undefined;
  readonly restart: RestartPolicyName;
  readonly stopTimeoutMs: number;
  readonly maxMemoryBytes: number | undefined;
  readonly logFile: string | undefined;
  readonly logLevel: LogLevel;
  readonly json: boolean;
  readonly takeover: boolean;
  readonly fallback: readonly string[] | undefined;
  /** How long preflight retries an unreachable Bot API or lease backend before giving up. */
  readonly startupTimeoutMs: number;
  /** `--allow-drop-pending`: let the bot's "drop pending updates" requests through (default: the gateway keeps them). */
  readonly allowDropPending: boolean;
  /** `--drain-quiet`: before SIGTERM, wait until the bot made no Bot API call for this long (0 = no drain). */
  readonly drainQuietMs: number;
  /** `--standby`: `cold` starts the bot on taking over; `hot` runs it all along, its getUpdates held until it leads. */
  readonly standby: StandbyMode;
  readonly command: readonly string[];
  readonly cwd: string;
  /** Extra environment for the bot (config file `env`), below BOT_TOKEN/TELEGRAM_API_ROOT. */
  readonly childEnv: Readonly<Record<string, string>>;
  /** The environment the bot inherits (process env + .env). */
  readonly baseEnv: Readonly<NodeJS.ProcessEnv>;
  /** This instance's id (`BOTWARDEN_INSTANCE`). */
  readonly instanceId: string;
  readonly host: string;
  /** Where the config file came from, if any. */
  readonly configFile: string | undefined;
}

/** `run`'s command-line options as commander hands them over (all strings; unset = undefined). */
export interface RunCliOptions {
  config?: string;
  tokenFile?: string;
  apiRoot?: string;
  stateDir?: string;
  lease?: string;
  leaseTtl?: string;
  workers?: string;
  partitions?: string;
  healthPort?: string;
  healthHost?: string;
  healthAllowActions?: boolean;
  restart?: string;
  stopTimeout?: string;
  maxMemory?: string;
  logFile?: string;
  logLevel?: string;
  json?: boolean;
  takeover?: boolean;
  fallback?: string;
  startupTimeout?: string;
  allowDropPending?: boolean;
  drainQuiet?: string;
  standby?: string;
}

/** Defaults, in one place (README "CLI reference" repeats them). */
export const RUN_DEFAULTS = {
  apiRoot: 'https://api.telegram.org',
  lease: 'file:',
  leaseTtlMs: 10_000,
  partitions: 16,
  healthPort: 0,
  healthHost: '127.0.0.1',
  restart: 'always' as RestartPolicyName,
  stopTimeoutMs: 10_000,
  logLevel: 'info' as LogLevel,
  startupTimeoutMs: 60_000,
  drainQuietMs: 500,
  standby: 'cold' as StandbyMode,
};

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const RESTARTS: readonly RestartPolicyName[] = ['always', 'on-failure', 'never'];
const STANDBYS: readonly StandbyMode[] = ['cold', 'hot'];

/** Resolve and validate `run`'s configuration. Throws BotwardenError (exit usage / badToken) naming the bad input. */
export function resolveRunConfig(cli: RunCliOptions, commandArgs: readonly string[], ctx: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): RunConfig {
  const cwd = ctx.cwd ?? process.cwd();
  const raw = readConfigFile(cli.config, cwd);
  const file: ConfigFile = raw ? validateConfigFile(raw.data, raw.path) : {};
  const fileDir = raw ? path.dirname(raw.path) : cwd;
  const dotenv = readDotenv(fileDir);
  const env: NodeJS.ProcessEnv = { ...dotenv, ...(ctx.env ?? process.env) };
  const fromFile = (p: string | undefined): string | undefined => (p === undefined ? undefined : path.resolve(fileDir, p));

  // The file's tokenFile is the lowest source: BOT_TOKEN / TELEGRAM_BOT_TOKEN (environment or .env) beat it.
  const envHasToken = Boolean((env['BOT_TOKEN'] || env['TELEGRAM_BOT_TOKEN'] || '').trim());
  const token = readToken(cli.tokenFile ?? (envHasToken ? undefined : fromFile(file.tokenFile)), env, cli.tokenFile !== undefined ? '--token-file' : 'tokenFile');
  return buildRunConfig({ cli, commandArgs, file, fileDir, env, cwd, token, configFile: raw?.path });
}

/** What buildRunConfig combines: flags, the (merged) config-file keys, the environment, and the token already read. */
export interface RunConfigSources {
  cli: RunCliOptions;
  commandArgs: readonly string[];
  /** Config-file keys: the file's, or for one bot of `up` the top-level keys with that bot's overrides on top. */
  file: Omit<ConfigFile, 'bots' | 'fleet'>;
  /** Relative paths in the file are resolved from here. */
  fileDir: string;
  /** Process environment with .env below it. */
  env: NodeJS.ProcessEnv;
  cwd: string;
  token: string;
  configFile: string | undefined;
  /** Variables the bot must not inherit (`up`: every bot's tokenEnv, so each child sees only its own token). */
  hideFromChild?: readonly string[];
  /** `up`: the bot's name (the instance id carries it). */
  name?: string;
}

/** `run`'s validated configuration from its sources (one bot of `up` goes through here too). */
export function buildRunConfig(src: RunConfigSources): RunConfig {
  const { cli, commandArgs, file, fileDir, env, cwd, token } = src;
  const fromFile = (p: string | undefined): string | undefined => (p === undefined ? undefined : path.resolve(fileDir, p));
  const botId = botIdOf(token);
  if (botId === undefined) {
    throw new BotwardenError('TOKEN_FORMAT', 'the bot token is malformed: expected <digits>:<secret> as @BotFather gives it (e.g. 123456789:AA…, 35+ characters after the colon)', {
      exit: 'badToken',
      hint: 'copy the token again from @BotFather (/mybots → API Token); check for quotes or spaces around it',
    });
  }

  const apiRoot = (cli.apiRoot ?? env['BOTWARDEN_API_ROOT'] ?? file.apiRoot ?? RUN_DEFAULTS.apiRoot).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/i.test(apiRoot)) throw usageError('--api-root', 'an http(s) URL such as https://api.telegram.org', apiRoot);

  const command = resolveCommand(commandArgs, file.command);
  const fallback = file.fallback === undefined && cli.fallback === undefined ? undefined : resolveFallback(cli.fallback ?? file.fallback);

  const restart = (cli.restart ?? file.restart ?? RUN_DEFAULTS.restart) as RestartPolicyName;
  if (!RESTARTS.includes(restart)) throw usageError('--restart', 'always, on-failure or never', restart);
  const standby = (cli.standby ?? file.standby ?? RUN_DEFAULTS.standby) as StandbyMode;
  if (!STANDBYS.includes(standby)) throw usageError('--standby', 'cold or hot', standby);
  const logLevel = (cli.logLevel ?? env['BOTWARDEN_LOG_LEVEL'] ?? file.logLevel ?? RUN_DEFAULTS.logLevel) as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw usageError('--log-level', 'debug, info, warn or error', logLevel);

  const leaseTtlMs = durationOption('--lease-ttl', cli.leaseTtl ?? file.leaseTtl, RUN_DEFAULTS.leaseTtlMs);
  if (leaseTtlMs < 1000 || leaseTtlMs > 600_000) throw usageError('--lease-ttl', 'milliseconds between 1000 and 600000', leaseTtlMs, 'a few seconds is typical: failover after a crash takes about this long');
  const workers = cli.workers ?? env['BOTWARDEN_WORKERS'] ?? file.workers;
  if (workers !== undefined && !/^rediss?:\/\/[^/]+/i.test(workers)) throw usageError('--workers', 'a Redis URL such as redis://127.0.0.1:6379/0', workers.replace(/\/\/[^@/]*@/, '//***@'));
  const partitionsRaw = cli.partitions ?? file.partitions ?? RUN_DEFAULTS.partitions;
  const partitions = Number(partitionsRaw);
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1024) throw usageError('--partitions', 'a whole number 1–1024 (the same on every worker of the bot)', partitionsRaw);
  const healthPortRaw = cli.healthPort ?? file.healthPort ?? RUN_DEFAULTS.healthPort;
  const healthPort = Number(healthPortRaw);
  if (!Number.isInteger(healthPort) || healthPort < 0 || healthPort > 65535) throw usageError('--health-port', 'a port number 0–65535 (0 = pick a free one)', healthPortRaw);
  const maxMemoryRaw = cli.maxMemory ?? file.maxMemory;
  const maxMemoryBytes = maxMemoryRaw === undefined ? undefined : parseSizeBytes(maxMemoryRaw);
  if (maxMemoryRaw !== undefined && maxMemoryBytes === undefined) throw usageError('--max-memory', 'a size such as 512M or 1G', maxMemoryRaw);

  const actionsSecret = actionsSecretFrom(env, token);
  // The bot does not need the page's secret: it stays out of the child's environment.
  const { [ACTIONS_SECRET_ENV]: _actionsSecret, ...childVisibleEnv } = env;
  for (const name of src.hideFromChild ?? []) delete childVisibleEnv[name];

  const stateDir = path.resolve(cwd, cli.stateDir ?? env['BOTWARDEN_STATE_DIR'] ?? fromFile(file.stateDir) ?? defaultStateDir(env));
  const logFileRaw = cli.logFile !== undefined ? path.resolve(cwd, cli.logFile) : fromFile(file.logFile);

  return Object.freeze({
    token,
    botId,
    apiRoot,
    stateDir,
    lease: cli.lease ?? env['BOTWARDEN_LEASE'] ?? file.lease ?? workers ?? RUN_DEFAULTS.lease,
    leaseTtlMs,
    workers,
    partitions,
    healthPort,
    healthHost: cli.healthHost ?? file.healthHost ?? RUN_DEFAULTS.healthHost,
    healthAllowActions: cli.healthAllowActions ?? file.healthAllowActions ?? false,
    actionsSecret,
    restart,
    stopTimeoutMs: durationOption('--stop-timeout', cli.stopTimeout ?? file.stopTimeout, RUN_DEFAULTS.stopTimeoutMs),
    maxMemoryBytes,
    logFile: logFileRaw,
    logLevel,
    json: cli.json ?? file.json ?? false,
    takeover: cli.takeover ?? file.takeover ?? false,
    fallback,
    startupTimeoutMs: durationOption('--startup-timeout', cli.startupTimeout ?? file.startupTimeout, RUN_DEFAULTS.startupTimeoutMs),
    allowDropPending: cli.allowDropPending ?? file.allowDropPending ?? false,
    drainQuietMs: durationOption('--drain-quiet', cli.drainQuiet ?? file.drainQuiet, RUN_DEFAULTS.drainQuietMs),
    standby,
    command,
    cwd: fromFile(file.cwd) ?? cwd,
    childEnv: Object.freeze({ ...(file.env ?? {}) }),
    baseEnv: Object.freeze(childVisibleEnv),
    instanceId: `${os.hostname()}-${process.pid}-${src.name ? `${src.name}-` : ''}${randomBytes(3).toString('hex')}`,
    host: os.hostname(),
    configFile: src.configFile,
  });
}

/** The token: `--token-file` (trimmed), else BOT_TOKEN, else TELEGRAM_BOT_TOKEN. */
export function readToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv, label = '--token-file'): string {
  if (tokenFile !== undefined) {
    try {
      const t = readFileSync(tokenFile, 'utf8').trim();
      if (t) return t;
    } catch (err) {
      throw new BotwardenError('TOKEN_FILE', `${label}: ${tokenFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
        exit: 'usage',
        hint: 'pass a readable file that holds only the token',
        cause: err,
      });
    }
    throw new BotwardenError('TOKEN_FILE', `${label}: ${tokenFile} is empty`, { exit: 'usage', hint: 'put the token from @BotFather in it, alone on one line' });
  }
  const t = (env['BOT_TOKEN'] || env['TELEGRAM_BOT_TOKEN'] || '').trim();
  if (!t) {
    throw new BotwardenError('NO_TOKEN', 'no bot token: BOT_TOKEN is not set', {
      exit: 'usage',
      hint: 'export BOT_TOKEN=<token from @BotFather> (or put it in .env), or pass --token-file PATH; never put it on the command line',
    });
  }
  return t;
}

/** The environment variable holding the status page's action secret. */
export const ACTIONS_SECRET_ENV = 'BOTWARDEN_ACTIONS_SECRET';

/** The action secret from the environment, checked: long enough, no spaces, and nothing of the bot token. */
function actionsSecretFrom(env: NodeJS.ProcessEnv, token: string): string | undefined {
  const raw = env[ACTIONS_SECRET_ENV];
  if (raw === undefined || raw === '') return undefined;
  const secret = raw.trim();
  const tokenSecret = token.slice(token.indexOf(':') + 1);
  // The value is never echoed: it is a secret, and it may be the token pasted by mistake.
  if (secret.includes(tokenSecret) || tokenSecret.includes(secret) || containsToken(secret)) {
    throw new BotwardenError('ACTIONS_SECRET', `${ACTIONS_SECRET_ENV} holds the bot token (or part of it)`, {
      exit: 'usage',
      hint: `the status page needs a secret of its own: e.g. ${ACTIONS_SECRET_ENV}=$(openssl rand -base64 24), or unset it to have one generated`,
    });
  }
  if (secret.length < 16 || /\s/.test(secret)) {
    throw new BotwardenError('ACTIONS_SECRET', `${ACTIONS_SECRET_ENV}: expected at least 16 characters without spaces, got ${secret.length} characters`, {
      exit: 'usage',
      hint: `e.g. ${ACTIONS_SECRET_ENV}=$(openssl rand -base64 24), or unset it to have one generated`,
    });
  }
  return secret;
}

function resolveCommand(args: readonly string[], fromFile: string | string[] | undefined): string[] {
  if (args.length > 0) return [...args];
  if (Array.isArray(fromFile)) return [...fromFile];
  if (typeof fromFile === 'string') {
    const argv = splitCommandLine(fromFile);
    if (argv && argv.length > 0) return argv;
    throw usageError('config "command"', 'a command line with balanced quotes', fromFile);
  }
  throw new BotwardenError('NO_COMMAND', 'run: no bot command given', {
    exit: 'usage',
    hint: 'put it after --, e.g.  botwarden run -- python bot.py  (or set "command" in botwarden.config.json)',
  });
}

function resolveFallback(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return [...value];
  const argv = splitCommandLine(value);
  if (!argv || argv.length === 0) throw usageError('--fallback', 'a command line such as "node fallback-bot.js"', value);
  return argv;
}

function durationOption(name: string, value: string | number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = parseDurationMs(value);
  if (ms === undefined) throw usageError(name, 'milliseconds, or a duration such as 1500ms, 10s, 2m', value);
  return ms;
}

/** The state dir for commands that only need it (`status`, `stop`): flag, BOTWARDEN_STATE_DIR, config file, default. */
export function resolveStateDir(flag: string | undefined, ctx: { env?: NodeJS.ProcessEnv; cwd?: string; config?: string } = {}): string {
  const cwd = ctx.cwd ?? process.cwd();
  const env = ctx.env ?? process.env;
  if (flag !== undefined) return path.resolve(cwd, flag);
  if (env['BOTWARDEN_STATE_DIR']) return path.resolve(cwd, env['BOTWARDEN_STATE_DIR']);
  const raw = readConfigFile(ctx.config, cwd);
  const file = raw ? validateConfigFile(raw.data, raw.path) : {};
  if (file.stateDir && raw) return path.resolve(path.dirname(raw.path), file.stateDir);
  return defaultStateDir(env);
}
