// Where `doctor` and `service` read the token and API root until `src/config` (the only env reader) lands.
import { readFileSync } from 'node:fs';
import { BotwardenError } from '../errors.js';

/** The token as `run` reads it: `--token-file` (trimmed), else `BOT_TOKEN`, else `TELEGRAM_BOT_TOKEN`. */
export function readTokenSource(tokenFile: string | undefined): string | undefined {
  if (tokenFile !== undefined) {
    try {
      return readFileSync(tokenFile, 'utf8').trim();
    } catch (err) {
      throw new BotwardenError('TOKEN_FILE', `--token-file: ${tokenFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
        exit: 'usage',
        hint: 'pass a readable file that holds only the token',
        cause: err,
      });
    }
  }
  return process.env['BOT_TOKEN'] || process.env['TELEGRAM_BOT_TOKEN'] || undefined;
}

/** The Bot API root as `run` reads it: `--api-root`, else `BOTWARDEN_API_ROOT`, else https://api.telegram.org. */
export function readApiRoot(flag: string | undefined): string {
  return flag || process.env['BOTWARDEN_API_ROOT'] || 'https://api.telegram.org';
}
