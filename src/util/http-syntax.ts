// HTTP/1.1 syntax shared by botwarden's hand-written HTTP (the client's answer parser, telegram/http-response.ts, and its
// request heads, telegram/http-pool.ts; the gateway's fast lane, gateway/fast-lane.ts): tokens (header names, methods)
// and header values without their surrounding spaces.

/** Characters of an HTTP token (RFC 9110 §5.6.2), by char code. */
const TOKEN_CHAR = (() => {
  const t = new Uint8Array(128);
  for (const c of "!#$%&'*+-.^_`|~") t[c.charCodeAt(0)] = 1;
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = t[c + 0x20] = 1;
  return t;
})();

/** `s[from, to)` is a non-empty token. */
export function isToken(s: string, from = 0, to = s.length): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN_CHAR[c] !== 1) return false;
  }
  return true;
}

/** `s[from, to)` without leading and trailing spaces and tabs (a header value's optional whitespace). */
export function trimOws(s: string, from: number, to: number): string {
  let a = from;
  let b = to;
  while (a < b && (s.charCodeAt(a) === 0x20 || s.charCodeAt(a) === 0x09)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 0x20 || s.charCodeAt(b - 1) === 0x09)) b--;
  return s.slice(a, b);
}
