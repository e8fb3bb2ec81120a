// Which gateway paths exist, and whether they carry the managed bot's token (compared in constant time).
import { constantTimeEqual } from '../util/crypto-lite.js';

/** A request the gateway understood. `rawRest` is the undecoded path after the token (method or file path). */
export type Route =
  | { kind: 'method'; env: '' | '/test'; method: string; rawRest: string; search: string }
  | { kind: 'file'; rawRest: string; search: string }
  | { kind: 'unauthorized' }
  | { kind: 'not-found' };

/** Compares presented tokens with the managed one without leaking, through timing, how much of it matched. */
export class TokenCheck {
  private readonly expected: Buffer;
  constructor(token: string) {
    this.expected = Buffer.from(token, 'utf8');
  }
  /** True when `candidate` is the managed token. Only the length (public: `<id>:<35 chars>`) may show in timing. */
  matches(candidate: string): boolean {
    return constantTimeEqual(this.expected, Buffer.from(candidate, 'utf8'));
  }
}

/**
 * Parse `/bot<token>/<method>`, `/bot<token>/test/<method>` and `/file/bot<token>/<path>` (the path is URL-decoded
 * as the Bot API server does). A wrong token → unauthorized; anything else, or a `..` segment → not-found.
 */
export function parseRoute(url: string, check: TokenCheck): Route {
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const search = q < 0 ? '' : url.slice(q);
  let isFile = false;
  let rest: string;
  if (rawPath.startsWith('/bot')) rest = rawPath.slice(4);
  else if (rawPath.startsWith('/file/bot')) {
    isFile = true;
    rest = rawPath.slice(9);
  } else return { kind: 'not-found' };
  const slash = rest.indexOf('/');
  if (slash < 0) return { kind: 'not-found' };
  const token = decode(rest.slice(0, slash));
  if (token === undefined) return { kind: 'not-found' };
  if (!check.matches(token)) return { kind: 'unauthorized' };
  const rawRest = rest.slice(slash + 1);
  const decodedRest = decode(rawRest);
  if (decodedRest === undefined || decodedRest.split('/').some((seg) => seg === '..' || seg === '.') || decodedRest.startsWith('/')) {
    return { kind: 'not-found' };
  }
  if (isFile) return decodedRest === '' ? { kind: 'not-found' } : { kind: 'file', rawRest, search };
  if (decodedRest.startsWith('test/')) return { kind: 'method', env: '/test', method: decodedRest.slice(5), rawRest: rawRest.slice(rawRest.indexOf('/') + 1), search };
  return { kind: 'method', env: '', method: decodedRest, rawRest, search };
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** True when `method` names getUpdates (any case, trailing slashes ignored): the one method the gateway does not simply forward. */
export function isGetUpdates(method: string): boolean {
  return method.replace(/\/+$/, '').toLowerCase() === 'getupdates';
}
