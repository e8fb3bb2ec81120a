// Turn the `run` options a user gave to `service install` back into argv for the definition's ExecStart.
import type { Command, Option } from 'commander';

/** Options never copied into a service definition: the token travels in the 0600 file, not on a command line. */
export const NOT_FORWARDED = new Set(['tokenFile', 'token']);

/**
 * The options of `cmd` the user set (on the command line or through an environment variable), as argv,
 * in declaration order, except `skip` (attribute names, e.g. service-only options) and `NOT_FORWARDED`.
 * Works for whatever options `run` declares, so new `run` options are forwarded without changes here.
 */
export function forwardedRunArgs(cmd: Command, skip: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const values = cmd.opts<Record<string, unknown>>();
  for (const opt of cmd.options as readonly Option[]) {
    const key = opt.attributeName();
    if (skip.has(key) || NOT_FORWARDED.has(key) || !opt.long) continue;
    const source = cmd.getOptionValueSource(key);
    if (source !== 'cli' && source !== 'env') continue;
    const value = values[key];
    if (opt.negate) {
      if (value === false) out.push(opt.long);
      continue;
    }
    if (value === true) {
      out.push(opt.long);
    } else if (Array.isArray(value)) {
      for (const v of value) out.push(opt.long, String(v));
    } else if (value !== undefined && value !== false) {
      out.push(opt.long, String(value));
    }
  }
  return out;
}
