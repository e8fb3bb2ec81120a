// A commander-free reading of `botwarden run` arguments, for the one command that stays running: commander's code
// costs ~1.3 MB of RSS for the life of the process. It accepts only what commander would read the same way
// (the RUN_OPTIONS table, `--opt value`, `--opt=value`, positionals and `--`); anything else — help, a typo, a
// value that looks like an option — returns undefined and the CLI parses with commander, which explains the error.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { RunCliOptions } from '../config/index.js';
import { RUN_OPTIONS } from './run-options.js';

/** Parsed `run` arguments: the options and the bot command. */
export interface RunArgv {
  opts: RunCliOptions;
  command: string[];
}

/** `--lease-ttl <ms>` → `leaseTtl`, as commander names option values. */
function camel(long: string): string {
  return long.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

const OPTIONS: NonNullable<ParseArgsConfig['options']> = {};
const KEYS = new Map<string, string>();
for (const [flags] of RUN_OPTIONS) {
  const m = /^--([a-z][a-z-]*)(\s+<[^>]+>)?$/.exec(flags);
  if (!m?.[1]) throw new Error(`run option ${flags} has a shape the fast parser does not know`);
  OPTIONS[m[1]] = { type: m[2] ? 'string' : 'boolean' };
  KEYS.set(m[1], camel(m[1]));
}

/** The arguments after `run`, or undefined when commander must parse them (help, errors, anything unusual). */
export function parseRunArgv(args: readonly string[]): RunArgv | undefined {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options: OPTIONS, strict: true, allowPositionals: true, tokens: true });
  } catch {
    return undefined;
  }
  // A string option whose value starts with '-' (`--fallback -x`): commander reads it the same, but say it its way.
  for (const t of parsed.tokens ?? []) {
    if (t.kind === 'option' && t.value !== undefined && t.inlineValue === false && t.value.startsWith('-')) return undefined;
  }
  const opts: Record<string, string | boolean> = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    const key = KEYS.get(name);
    if (key === undefined || value === undefined || Array.isArray(value)) return undefined;
    opts[key] = value;
  }
  return { opts: opts as RunCliOptions, command: parsed.positionals };
}
