// What `service install --up` reads from `up`'s config file: each bot and where its token comes from (a variable of
// this environment, the .env beside the file, a file, or nowhere yet), and the longest stop timeout of the bots.
// Nothing is started and no token is checked against Telegram; the entries are validated as `up` validates them.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { BotwardenError } from '../errors.js';
import { readEnv } from './env.js';
import { readConfigFile, readDotenv } from './file.js';
import { validateBotEntry, validateConfigFile } from './schema.js';
import { parseDurationMs } from './units.js';
import { RUN_DEFAULTS } from './run-config.js';

/** Where one bot's token comes from. */
export type TokenSource =
  /** `tokenEnv` set in this environment: `value` goes into the service's protected file. */
  | { kind: 'env'; variable: string; value: string }
  /** `tokenEnv` set only in the `.env` beside the config file: `up` reads it there itself. */
  | { kind: 'dotenv'; variable: string; dotenvFile: string }
  /** `tokenEnv` set nowhere here. */
  | { kind: 'missing'; variable: string }
  /** `tokenFile`, absolute (relative paths are resolved from the config file's folder, as `up` does). */
  | { kind: 'file'; file: string; readable: boolean };

/** A config file's bots for a service definition. */
export interface FleetSources {
  /** Absolute path of the config file. */
  configFile: string;
  bots: Array<{ name: string; token: TokenSource }>;
  /** The longest `stopTimeout` of any bot (unit: ms): the service manager must wait longer than that. */
  maxStopTimeoutMs: number;
}

/**
 * Read `up`'s config file (`--config`, else the one in `cwd`) for `service install --up`. Throws a usage error
 * (exit 2) naming the file and every bad entry: a service should not be installed for a file `up` would half refuse.
 */
export function readFleetSources(configFlag: string | undefined, ctx: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): FleetSources {
  const cwd = ctx.cwd ?? process.cwd();
  const env = ctx.env ?? readEnv();
  const raw = readConfigFile(configFlag, cwd);
  if (!raw) {
    throw new BotwardenError('NO_CONFIG', `service install --up: no config file (looked for botwarden.config.json, .yaml, .yml in ${cwd})`, {
      exit: 'usage',
      hint: 'pass --config FILE, or run it in the folder of your botwarden.config.yaml (see README "Many bots")',
    });
  }
  const file = validateConfigFile(raw.data, raw.path);
  if (!file.bots || file.bots.length === 0) {
    throw new BotwardenError('NO_BOTS', `config file ${raw.path}: no bots: "service install --up" needs a "bots:" list with at least one bot`, {
      exit: 'usage',
      hint: 'add a "bots:" list, or install one bot with "botwarden service install -- <command>"',
    });
  }
  const fileDir = path.dirname(raw.path);
  const dotenvFile = path.join(fileDir, '.env');
  const dotenv = readDotenv(fileDir);
  const problems: string[] = [];
  const bots: FleetSources['bots'] = [];
  let maxStopTimeoutMs = stopTimeoutOf(file.stopTimeout);
  file.bots.forEach((data, i) => {
    try {
      const entry = validateBotEntry(data, i, raw.path);
      if (entry.tokenEnv !== undefined && entry.tokenFile !== undefined) throw new Error(`bot "${entry.name}": both "tokenEnv" and "tokenFile" are set; keep one`);
      let token: TokenSource;
      if (entry.tokenEnv !== undefined) {
        const variable = entry.tokenEnv;
        const value = (env[variable] ?? '').trim();
        if (value) token = { kind: 'env', variable, value };
        else if ((dotenv[variable] ?? '').trim()) token = { kind: 'dotenv', variable, dotenvFile };
        else token = { kind: 'missing', variable };
      } else if (entry.tokenFile !== undefined) {
        const abs = path.resolve(fileDir, entry.tokenFile);
        token = { kind: 'file', file: abs, readable: isReadable(abs) };
      } else {
        throw new Error(`bot "${entry.name}": no token: set "tokenEnv" (an environment variable's name) or "tokenFile"`);
      }
      if (bots.some((b) => b.name === entry.name)) throw new Error(`bot "${entry.name}" is listed twice`);
      bots.push({ name: entry.name, token });
      maxStopTimeoutMs = Math.max(maxStopTimeoutMs, stopTimeoutOf(entry.stopTimeout ?? file.stopTimeout));
    } catch (err) {
      problems.push(err instanceof Error ? err.message.replace(`config file ${raw.path}: `, '') : String(err));
    }
  });
  if (problems.length) {
    throw new BotwardenError('CONFIG_INVALID', `config file ${raw.path}: ${problems.join('; ')}`, {
      exit: 'usage',
      hint: 'fix the entries named above (see README "Many bots"), then install the service',
    });
  }
  return { configFile: raw.path, bots, maxStopTimeoutMs };
}

function stopTimeoutOf(v: string | number | undefined): number {
  return v === undefined ? RUN_DEFAULTS.stopTimeoutMs : (parseDurationMs(v) ?? RUN_DEFAULTS.stopTimeoutMs);
}

function isReadable(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
