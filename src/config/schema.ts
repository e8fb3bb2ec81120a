// The config file's keys (everything `run` takes), validated with messages that name the key.
import type { z as Z } from 'zod';
import { BotwardenError } from '../errors.js';
import { transientRequire } from '../util/lazy-require.js';
import { parseDurationMs, parseSizeBytes } from './units.js';

/** Builds the schema of `botwarden.config.{json,yaml}` (keys mean what the `run` options of the same name mean). */
function buildSchema(z: typeof Z) {
  const duration = z.union([z.number(), z.string()]).refine((v) => parseDurationMs(v) !== undefined, {
    message: 'expected a duration: milliseconds as a number, or a string like "1500ms", "10s", "2m"',
  });
  const size = z.union([z.number(), z.string()]).refine((v) => parseSizeBytes(v) !== undefined, {
    message: 'expected a size: bytes as a number, or a string like "512M", "1G"',
  });
  const command = z.union([z.string().min(1), z.array(z.string()).min(1)]);
  return z.strictObject({
    apiRoot: z.url({ message: 'expected an http(s) URL such as "https://api.telegram.org"' }).optional(),
    tokenFile: z.string().min(1).optional(),
    stateDir: z.string().min(1).optional(),
    lease: z.string().min(1).optional(),
    leaseTtl: duration.optional(),
    workers: z.string().regex(/^rediss?:\/\/[^/]+/i, { message: 'expected a Redis URL such as "redis://127.0.0.1:6379/0"' }).optional(),
    partitions: z.number().int().min(1).max(1024).optional(),
    healthPort: z.number().int().min(0).max(65535).optional(),
    healthHost: z.string().min(1).optional(),
    healthAllowActions: z.boolean().optional(),
    restart: z.enum(['always', 'on-failure', 'never']).optional(),
    stopTimeout: duration.optional(),
    maxMemory: size.optional(),
    logFile: z.string().min(1).optional(),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).optional(),
    json: z.boolean().optional(),
    takeover: z.boolean().optional(),
    fallback: command.optional(),
    startupTimeout: duration.optional(),
    allowDropPending: z.boolean().optional(),
    drainQuiet: duration.optional(),
    standby: z.enum(['cold', 'hot']).optional(),
    command: command.optional(),
    cwd: z.string().min(1).optional(),
    env: z.record(z.string(), z.string()).optional(),
    /** `botwarden up`: the bots, each checked on its own by botSchema() (one bad entry does not stop the others). */
    bots: z.array(z.unknown()).optional(),
    /** `botwarden up` on several hosts: the name hosts sharing these bots register under (default: derived from the bot ids). */
    fleet: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'expected letters, digits, _ . - (at most 64)' }).optional(),
  });
}

/** Keys that belong to the host (one `up` process), not to one bot. */
const HOST_ONLY_KEYS = ['stateDir', 'healthPort', 'healthHost', 'healthAllowActions', 'logLevel', 'json', 'bots', 'fleet'] as const;

/** One entry of `bots:` in the config file: name, command, tokenEnv or tokenFile, and any `run` key as an override. */
function buildBotSchema(z: typeof Z) {
  const omit = Object.fromEntries(HOST_ONLY_KEYS.map((k) => [k, true])) as { [K in (typeof HOST_ONLY_KEYS)[number]]: true };
  return configFileSchema()
    .omit(omit)
    .extend({
      name: z.string().regex(/^[a-z0-9_-]{1,64}$/, { message: 'expected lower-case letters, digits, _ or - (at most 64), e.g. "shop"' }),
      tokenEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected the NAME of an environment variable, e.g. "SHOP_BOT_TOKEN"' }).optional(),
    });
}

/** zod, loaded on first use and dropped again by `releaseSchemas()`. */
let zod: { z: typeof Z; release: () => void } | undefined;
function loadZod(): typeof Z {
  if (!zod) {
    const loaded = transientRequire('zod');
    zod = { z: (loaded.exports as { z: typeof Z }).z, release: loaded.release };
  }
  return zod.z;
}

/**
 * Forget the schemas and zod itself (a daemon calls it once its config is read): nothing keeps zod's code and data
 * in memory for the daemon's life. The next validation loads it again.
 */
export function releaseSchemas(): void {
  schema = undefined;
  botSchemaCache = undefined;
  zod?.release();
  zod = undefined;
}

let botSchemaCache: ReturnType<typeof buildBotSchema> | undefined;
/** The schema of one `bots:` entry. */
export function botSchema(): ReturnType<typeof buildBotSchema> {
  return (botSchemaCache ??= buildBotSchema(loadZod()));
}

export type BotEntry = Z.infer<ReturnType<typeof buildBotSchema>>;

/** Validate one `bots:` entry; the error names the entry (by name when it has one) and the key. */
export function validateBotEntry(data: unknown, index: number, file: string): BotEntry {
  const label = data && typeof data === 'object' && typeof (data as { name?: unknown }).name === 'string' ? `bot "${(data as { name: string }).name}"` : `bots[${index}]`;
  if (data && typeof data === 'object' && !Array.isArray(data) && 'token' in data) {
    throw new BotwardenError('CONFIG_TOKEN', `config file ${file}: ${label}: key "token" is not allowed (config files get committed)`, {
      exit: 'usage',
      hint: 'name an environment variable with "tokenEnv", or a file with "tokenFile"',
    });
  }
  const parsed = botSchema().safeParse(data);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; a bot takes: ${Object.keys(botSchema().shape).join(', ')}`;
    }
    const key = issue.path.length ? issue.path.map(String).join('.') : '(the entry)';
    return `key "${key}": ${issue.message}`;
  });
  throw new BotwardenError('CONFIG_INVALID', `config file ${file}: ${label}: ${lines.join('; ')}`, { exit: 'usage', hint: 'fix the key(s) named above (see README "Many bots")' });
}

let schema: ReturnType<typeof buildSchema> | undefined;
/** The schema, built on first use: zod is loaded only when a config file exists (and dropped by releaseSchemas). */
export function configFileSchema(): ReturnType<typeof buildSchema> {
  return (schema ??= buildSchema(loadZod()));
}

export type ConfigFile = Z.infer<ReturnType<typeof buildSchema>>;

/** Validate parsed config-file data; the error names the file, the key, what was expected and what was found. */
export function validateConfigFile(data: unknown, file: string): ConfigFile {
  if (data && typeof data === 'object' && !Array.isArray(data) && 'token' in data) {
    throw new BotwardenError('CONFIG_TOKEN', `config file ${file}: key "token" is not allowed (config files get committed)`, {
      exit: 'usage',
      hint: 'remove it and put the token in BOT_TOKEN, a .env file next to the config, or a file named by "tokenFile"',
    });
  }
  const parsed = configFileSchema().safeParse(data);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const key = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
    if (issue.code === 'unrecognized_keys') {
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; known keys: ${Object.keys(configFileSchema().shape).join(', ')}`;
    }
    return `key "${key}": ${issue.message}`;
  });
  throw new BotwardenError('CONFIG_INVALID', `config file ${file}: ${lines.join('; ')}`, {
    exit: 'usage',
    hint: 'fix the key(s) named above (see README "Config file")',
  });
}
