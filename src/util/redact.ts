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
