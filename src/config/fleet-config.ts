// `botwarden up`'s configuration: the config file's `bots:` list, each bot resolved to a RunConfig the way `run`
// resolves one (top-level keys are every bot's defaults, a bot's own keys override them). A bad entry does not
// sink the others: it comes back with its error, named, and `up` runs the rest.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BotwardenError, usageError } from '../errors.js';
import { containsToken } from '../util/redact.js';
import type { LogLevel } from '../log.js';
import { readConfigFile, readDotenv, readEnvFile } from './file.js';
import { defaultStateDir } from './paths.js';
import { buildRunConfig, RUN_DEFAULTS, type RunConfig } from './run-config.js';
import { validateBotEntry, validateConfigFile, type BotEntry, type ConfigFile } from './schema.js';

/** `up`'s command-line options (strings, as commander hands them over). */
export interface FleetCliOptions {
  config?: string;
  stateDir?: string;
  healthPort?: string;
  healthHost?: string;
  logLevel?: string;
  json?: boolean;
  /** Variables read before the config: below the real environment, above the `.env` beside the config file. */
  envFile?: string;
}

/** One `bots:` entry: its RunConfig, or why it cannot run. */
export interface FleetBot {
  name: string;
  config?: RunConfig;
  error?: BotwardenError;
}

/** Everything `up` needs, validated once (and again on `reload`). */
export interface FleetConfig {
  configFile: string;
  stateDir: string;
  healthPort: number;
  healthHost: string;
  healthAllowActions: boolean;
  logLevel: LogLevel;
  json: boolean;
  /** The name hosts sharing these bots register under (several hosts, one Redis/PostgreSQL lease). */
  fleet: string | undefined;
  bots: FleetBot[];
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Read and resolve `up`'s config file. Throws (exit 2) only for what concerns every bot: no file, bad syntax, no `bots:`. */
export function resolveFleetConfig(cli: FleetCliOptions, ctx: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): FleetConfig {
  const cwd = ctx.cwd ?? process.cwd();
  const raw = readConfigFile(cli.config, cwd);
  if (!raw) {
    throw new BotwardenError('NO_CONFIG', `up: no config file (looked for botwarden.config.json, .yaml, .yml in ${cwd})`, {
      exit: 'usage',
      hint: 'write a botwarden.config.yaml with a "bots:" list (see README "Many bots"), or pass --config FILE',
    });
  }
  const file: ConfigFile = validateConfigFile(raw.data, raw.path);
  if (!file.bots || file.bots.length === 0) {
    throw new BotwardenError('NO_BOTS', `config file ${raw.path}: no bots: "up" needs a "bots:" list with at least one bot`, {
      exit: 'usage',
      hint: 'add e.g.  bots: [{ name: shop, command: "node shop.js", tokenEnv: SHOP_BOT_TOKEN }]  (or use "botwarden run" for one bot)',
    });
  }
  const fileDir = path.dirname(raw.path);
  const envFile = cli.envFile === undefined ? {} : readEnvFile(path.resolve(cwd, cli.envFile));
  const env: NodeJS.ProcessEnv = { ...readDotenv(fileDir), ...envFile, ...(ctx.env ?? process.env) };
  const stateDir = path.resolve(cwd, cli.stateDir ?? env['BOTWARDEN_STATE_DIR'] ?? (file.stateDir ? path.resolve(fileDir, file.stateDir) : defaultStateDir(env)));
  const healthPortRaw = cli.healthPort ?? file.healthPort ?? RUN_DEFAULTS.healthPort;
  const healthPort = Number(healthPortRaw);
  if (!Number.isInteger(healthPort) || healthPort < 0 || healthPort > 65535) throw usageError('--health-port', 'a port number 0–65535 (0 = pick a free one)', healthPortRaw);
  const logLevel = (cli.logLevel ?? file.logLevel ?? env['BOTWARDEN_LOG_LEVEL'] ?? RUN_DEFAULTS.logLevel) as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw usageError('--log-level', 'debug, info, warn or error', logLevel);

  // Entries first (so every tokenEnv is known), then tokens, then each bot's RunConfig.
  const entries: Array<{ name: string; entry?: BotEntry; error?: BotwardenError }> = file.bots.map((data, i) => {
    const name = typeof (data as { name?: unknown } | null)?.name === 'string' ? (data as { name: string }).name : `bots[${i}]`;
    try {
      return { name, entry: validateBotEntry(data, i, raw.path) };
    } catch (err) {
      return { name, error: asBotwardenError(err) };
    }
  });
  const tokenEnvNames = entries.flatMap((e) => (e.entry?.tokenEnv ? [e.entry.tokenEnv] : []));
  const seen = new Set<string>();
  const tokens = entries.map((e) => {
    if (!e.entry) return undefined;
    if (seen.has(e.name)) {
      e.error = new BotwardenError('CONFIG_INVALID', `config file ${raw.path}: bot "${e.name}" is listed twice`, { exit: 'usage', hint: 'give each bot a unique name' });
      return undefined;
    }
    seen.add(e.name);
    try {
      return readBotToken(e.entry, env, fileDir);
    } catch (err) {
      e.error = asBotwardenError(err);
      return undefined;
    }
  });
  const allTokens = tokens.filter((t): t is string => t !== undefined);
  // Each child sees only its own token (as BOT_TOKEN): hide every tokenEnv and any variable holding a bot token.
  const hide = new Set([...tokenEnvNames, ...Object.keys(env).filter((k) => allTokens.some((t) => env[k]?.includes(t)) || containsToken(env[k] ?? ''))]);

  const { bots: _bots, fleet, tokenFile: _tokenFile, ...defaults } = file;
  const botIds = new Map<number, string>();
  const bots: FleetBot[] = entries.map((e, i) => {
    const token = tokens[i];
    if (!e.entry || token === undefined) return { name: e.name, ...(e.error ? { error: e.error } : {}) };
    const { name, tokenEnv: _tokenEnv, tokenFile: _tf, ...overrides } = e.entry;
    if (overrides.command === undefined && defaults.command === undefined) {
      return { name, error: new BotwardenError('NO_COMMAND', `bot "${name}": no command`, { exit: 'usage', hint: 'set "command" for it: a string such as "node shop.js" or an array such as ["python3", "support.py"]' }) };
    }
    const merged = { ...defaults, ...overrides, ...(defaults.env || overrides.env ? { env: { ...defaults.env, ...overrides.env } } : {}) };
    try {
      const config = buildRunConfig({
        cli: { ...(cli.stateDir !== undefined ? { stateDir: stateDir } : {}) },
        commandArgs: [],
        file: { ...merged, stateDir },
        fileDir,
        env,
        cwd,
        token,
        configFile: raw.path,
        hideFromChild: [...hide],
        name,
      });
      const other = botIds.get(config.botId);
      if (other !== undefined) {
        return { name, error: new BotwardenError('CONFIG_INVALID', `bot "${name}" has the same token (bot id ${config.botId}) as bot "${other}"`, { exit: 'usage', hint: 'one entry per bot: remove the duplicate' }) };
      }
      botIds.set(config.botId, name);
      return { name, config: Object.freeze({ ...config, logFile: config.logFile ?? path.join(stateDir, 'logs', `${name}.log`), logLevel, json: cli.json ?? file.json ?? false }) };
    } catch (err) {
      const e2 = asBotwardenError(err);
      return { name, error: e2.message.startsWith(`bot "${name}"`) ? e2 : new BotwardenError(e2.code, `bot "${name}": ${e2.message}`, { exit: exitNameOf(e2), ...(e2.hint ? { hint: e2.hint } : {}) }) };
    }
  });
  return {
    configFile: raw.path,
    stateDir,
    healthPort,
    healthHost: cli.healthHost ?? file.healthHost ?? RUN_DEFAULTS.healthHost,
    healthAllowActions: file.healthAllowActions ?? false,
    logLevel,
    json: cli.json ?? file.json ?? false,
    fleet,
    bots,
  };
}

/** True when two resolved bots differ in anything that needs a restart on `reload` (the instance id does not count). */
export function botConfigChanged(a: RunConfig, b: RunConfig): boolean {
  const strip = ({ instanceId: _i, baseEnv: _b, ...rest }: RunConfig): unknown => rest;
  return JSON.stringify(strip(a)) !== JSON.stringify(strip(b));
}

function readBotToken(entry: BotEntry, env: NodeJS.ProcessEnv, fileDir: string): string {
  const label = `bot "${entry.name}"`;
  if (entry.tokenEnv !== undefined && entry.tokenFile !== undefined) {
    throw new BotwardenError('CONFIG_INVALID', `${label}: both "tokenEnv" and "tokenFile" are set`, { exit: 'usage', hint: 'keep one of them' });
  }
  if (entry.tokenEnv !== undefined) {
    const t = (env[entry.tokenEnv] ?? '').trim();
    if (!t) {
      throw new BotwardenError('NO_TOKEN', `${label}: no token: the environment variable ${entry.tokenEnv} (its "tokenEnv") is not set`, {
        exit: 'usage',
        hint: `export ${entry.tokenEnv}=<token from @BotFather> (or put it in the .env next to the config file)`,
      });
    }
    return t;
  }
  if (entry.tokenFile !== undefined) {
    const file = path.resolve(fileDir, entry.tokenFile);
    let t: string;
    try {
      t = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new BotwardenError('TOKEN_FILE', `${label}: tokenFile ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { exit: 'usage', hint: 'name a readable file that holds only the token', cause: err });
    }
    if (!t) throw new BotwardenError('TOKEN_FILE', `${label}: tokenFile ${file} is empty`, { exit: 'usage', hint: 'put the token from @BotFather in it, alone on one line' });
    return t;
  }
  throw new BotwardenError('NO_TOKEN', `${label}: no token: set "tokenEnv" (an environment variable's name) or "tokenFile"`, {
    exit: 'usage',
    hint: `e.g.  tokenEnv: ${entry.name.toUpperCase().replace(/-/g, '_')}_BOT_TOKEN  — never the token itself`,
  });
}

function asBotwardenError(err: unknown): BotwardenError {
  return err instanceof BotwardenError ? err : new BotwardenError('CONFIG_INVALID', err instanceof Error ? err.message : String(err), { exit: 'usage' });
}

function exitNameOf(err: BotwardenError): 'usage' | 'badToken' {
  return err.exitCode === 3 ? 'badToken' : 'usage';
}
