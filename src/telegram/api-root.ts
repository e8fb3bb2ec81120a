// Where Bot API calls go: the API root and the token checked once, for the client and the gateway's upstream.
import { usageError } from '../errors.js';

/** A checked Bot API root: the URL (origin for the socket pool) and its path prefix without a trailing `/`. */
export interface ApiRoot {
  url: URL;
  /** `''` for `https://api.telegram.org`; `/tg` for a root served under a path. */
  basePath: string;
}

/**
 * Check `apiRoot` (an http: or https: URL; errors name the option `option`) and `token` (non-empty, no `/`: it goes
 * into request paths). The token is never shown in an error.
 */
export function checkApiRoot(option: string, apiRoot: string, token: string): ApiRoot {
  let url: URL;
  try {
    url = new URL(apiRoot);
  } catch {
    throw usageError(option, 'an http(s) URL such as https://api.telegram.org', apiRoot);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(option, 'an http: or https: URL', apiRoot);
  if (typeof token !== 'string' || token.length === 0 || token.includes('/')) throw usageError('token', 'a bot token such as 123456:ABC…', '<hidden>');
  return { url, basePath: url.pathname.replace(/\/+$/, '') };
}
