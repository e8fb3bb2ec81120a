// Finds and reads `botwarden.config.{json,yaml,yml}`, `.env` and `--env-file`; validation is schema.ts's job.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { parse as ParseDotenv } from 'dotenv';
import { lazyRequire } from '../util/lazy-require.js';
import { BotwardenError } from '../errors.js';

/** Config file names looked up in the working directory, in this order. */
export const CONFIG_FILE_NAMES = ['botwarden.config.json', 'botwarden.config.yaml', 'botwarden.config.yml'] as const;

/** A config file's parsed (not yet validated) content and where it came from. */
export interface RawConfigFile {
  path: string;
  data: unknown;
}

/** Read `explicit` (must exist) or the first of CONFIG_FILE_NAMES in `cwd` (may be absent). */
export function readConfigFile(explicit: string | undefined, cwd: string): RawConfigFile | undefined {
  let file: string | undefined;
  if (explicit !== undefined) {
    file = path.resolve(cwd, explicit);
    if (!existsSync(file)) {
      throw new BotwardenError('CONFIG_MISSING', `--config: ${file} does not exist`, { exit: 'usage', hint: 'pass the path of a botwarden.config.json or .yaml file' });
    }
  } else {
    file = CONFIG_FILE_NAMES.map((n) => path.join(cwd, n)).find((p) => existsSync(p));
    if (file === undefined) return undefined;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BotwardenError('CONFIG_UNREADABLE', `config file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      exit: 'usage',
      hint: 'check its permissions',
      cause: err,
    });
  }
  try {
    const data: unknown = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
    return { path: file, data: data ?? {} };
  } catch (err) {
    throw new BotwardenError('CONFIG_SYNTAX', `config file ${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(err as Error).message}`, {
      exit: 'usage',
      hint: 'fix the syntax error at the position shown',
      cause: err,
    });
  }
}

/** Variables from `<dir>/.env` (empty object when absent). They never override the real environment. */
export function readDotenv(dir: string): Record<string, string> {
  const file = path.join(dir, '.env');
  if (!existsSync(file)) return {};
  try {
    return parseDotenv(readFileSync(file));
  } catch (err) {
    throw new BotwardenError('DOTENV_UNREADABLE', `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { exit: 'usage', cause: err });
  }
}

/** Variables from `--env-file FILE` (dotenv syntax; `up` under launchd or Windows gets its tokens this way). It must exist. */
export function readEnvFile(file: string): Record<string, string> {
  try {
    return parseDotenv(readFileSync(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BotwardenError('ENV_FILE', `--env-file: ${file} cannot be read (${code ?? String(err)})`, {
      exit: 'usage',
      hint: code === 'ENOENT' ? 'pass the path of an existing file of NAME=value lines' : 'check its permissions: it must be readable by the user botwarden runs as',
      cause: err,
    });
  }
}

/** dotenv is loaded only when a .env exists. */
function parseDotenv(src: Buffer): Record<string, string> {
  return (lazyRequire('dotenv') as { parse: typeof ParseDotenv }).parse(src);
}

/** YAML is parsed by `yaml`, loaded only when a YAML config file exists. */
function parseYaml(text: string): unknown {
  return (lazyRequire('yaml') as { parse(t: string): unknown }).parse(text);
}
