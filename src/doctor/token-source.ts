// The token and API root for `doctor` and `service`, read exactly as `run` reads them (src/config owns the reading).
import { BotwardenError } from '../errors.js';
import { readToken, RUN_DEFAULTS } from '../config/index.js';
import { readEnv } from '../config/env.js';

/** The token as `run` reads it: `--token-file` (trimmed), else `BOT_TOKEN`, else `TELEGRAM_BOT_TOKEN`; undefined when none. */
export function readTokenSource(tokenFile: string | undefined): string | undefined {
  try {
    return readToken(tokenFile, readEnv());
  } catch (err) {
    if (err instanceof BotwardenError && err.code === 'NO_TOKEN') return undefined;
    throw err;
  }
}

/** The Bot API root as `run` reads it: `--api-root`, else `BOTWARDEN_API_ROOT`, else https://api.telegram.org. */
export function readApiRoot(flag: string | undefined): string {
  return flag || readEnv()['BOTWARDEN_API_ROOT'] || RUN_DEFAULTS.apiRoot;
}
