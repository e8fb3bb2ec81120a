// `--lease` URLs: which backend, and a description safe to print (the password never appears).

/** A lease URL with its password removed, e.g. `redis://user@host:6379/0`, `postgres://postgres@host:5432/db`. */
export function safeUrl(url: URL): string {
  const user = url.username ? `${decodeURIComponent(url.username)}@` : '';
  const port = url.port ? `:${url.port}` : '';
  return `${url.protocol}//${user}${url.hostname}${port}${url.pathname === '/' ? '' : url.pathname}`;
}

/** Strip anything that looks like a password from a URL-ish string (`scheme://user:pass@…`), for error messages. */
export function stripPassword(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^@\s/]*@/gi, '$1:***@');
}
