// Token redaction: the one place that knows what a bot token looks like in text.

/** A bot token in plain text or URL-encoded form: `<digits>:<35 chars>` (`:` may appear as `%3A`). */
const TOKEN_PATTERN = /(\d{3,20})(:|%3[aA])[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/g;

/** What a redacted token looks like: the bot id stays (it is public), the secret goes. */
export const REDACTED_SECRET = '<redacted>';

/** Replace every bot token in `text` with `<id>:<redacted>`. */
export function redact(text: string): string {
  return text.replace(TOKEN_PATTERN, (_m, id: string, sep: string) => `${id}${sep}${REDACTED_SECRET}`);
}

/** Redact a known token (even one not in the usual format) and anything token-shaped. */
export function redactKnown(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 8) out = out.split(s).join(redactTokenValue(s));
  }
  return redact(out);
}

/** How a token value itself is shown: `123456:<redacted>`. */
export function redactTokenValue(token: string): string {
  const colon = token.indexOf(':');
  return colon > 0 ? `${token.slice(0, colon)}:${REDACTED_SECRET}` : REDACTED_SECRET;
}

/** True when `text` contains something token-shaped. */
export function containsToken(text: string): boolean {
  TOKEN_PATTERN.lastIndex = 0;
  const found = TOKEN_PATTERN.test(text);
  TOKEN_PATTERN.lastIndex = 0;
  return found;
}

/** Parse the bot id out of a token, or undefined when the token is not of the form `<digits>:<secret>`. */
export function botIdOf(token: string): number | undefined {
  const m = /^(\d{1,20}):[A-Za-z0-9_-]{30,}$/.exec(token);
  if (!m?.[1]) return undefined;
  const id = Number(m[1]);
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

/** Shortest run of a secret's private part that `redactSecrets` removes (a shorter piece is no usable secret). */
export const MIN_FRAGMENT_CHARS = 8;
const gramCache = new Map<string, Set<string>>();

/**
 * `redactKnown`, and also every run of at least `minChars` characters copied from a secret's private part (after the
 * `:` of a token): a bot that prints its token in two writes with other output in between leaves no usable piece.
 */
export function redactSecrets(text: string, secrets: readonly string[], minChars = MIN_FRAGMENT_CHARS): string {
  let out = redactKnown(text, secrets);
  for (const s of secrets) {
    const part = s.slice(s.indexOf(':') + 1);
    if (part.length >= minChars) out = redactFragments(out, part, minChars);
  }
  return out;
}

/** Replace each maximal run of `text` that is a substring of `part` and at least `minChars` long. */
function redactFragments(text: string, part: string, minChars: number): string {
  if (text.length < minChars) return text;
  const key = `${minChars}\0${part}`;
  let grams = gramCache.get(key);
  if (!grams) {
    grams = new Set<string>();
    for (let i = 0; i + minChars <= part.length; i++) grams.add(part.slice(i, i + minChars));
    if (gramCache.size > 16) gramCache.clear();
    gramCache.set(key, grams);
  }
  let out = '';
  let from = 0;
  for (let i = 0; i + minChars <= text.length; ) {
    if (!grams.has(text.slice(i, i + minChars))) {
      i += 1;
      continue;
    }
    let end = i + minChars;
    while (end < text.length && part.includes(text.slice(i, end + 1))) end += 1;
    out += text.slice(from, i) + REDACTED_SECRET;
    from = i = end;
  }
  return out + text.slice(from);
}
