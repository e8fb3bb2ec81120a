// The Bot API's request-parameter wire formats, read as the server reads them (docs/bot-api-semantics.md §1.2): the
// query string, then an urlencoded, JSON or multipart body (content type matched by substring), gzip/deflate bodies,
// lenient integers and booleans. The gateway (parameters of getUpdates and webhook calls) and the emulator (every
// method) both read requests through these; each keeps its own parameter store.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type busboy from 'busboy';
import { lazyRequire } from '../util/lazy-require.js';

// busboy is loaded on the first multipart body: most bots send JSON, and a `botwarden run` that never needs it stays smaller.
const loadBusboy = (): typeof busboy => lazyRequire('busboy') as typeof busboy;

/** All non-file parameters of one request together may total this much (the server answers 413 beyond). */
export const MAX_PARAMS_BYTES = 1 << 20;
/** At most this many files per request. */
export const MAX_FILES = 50;

/** Where a body's parameters are, by its content type: matched by substring, so `application/json; charset=utf-8` is JSON. */
export type BodyFormat = 'json' | 'urlencoded' | 'multipart' | 'ignored';

export function bodyFormat(contentType: string | undefined): BodyFormat {
  const type = (contentType ?? '').toLowerCase();
  if (type.includes('application/json')) return 'json';
  if (type.includes('application/x-www-form-urlencoded')) return 'urlencoded';
  if (type.includes('multipart/form-data')) return 'multipart';
  return 'ignored';
}

/** A body's `content-encoding`, as the server accepts them; anything else it answers with a bare 415. */
export type BodyEncoding = 'identity' | 'gzip' | 'deflate' | 'unsupported';

export function bodyEncoding(header: string | undefined): BodyEncoding {
  const enc = (header ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return 'identity';
  if (enc === 'gzip' || enc === 'x-gzip') return 'gzip';
  if (enc === 'deflate') return 'deflate';
  return 'unsupported';
}

/** Each name/value pair of an urlencoded text (a query string without its `?`, or a body); `+` is a space. */
export function putUrlEncoded(text: string, put: (name: string, value: string) => void): void {
  if (text.length === 0) return;
  for (const [k, v] of new URLSearchParams(text)) put(k, v);
}

/**
 * Each member of a JSON body, its value as parsed (the server keeps a non-string as its raw JSON text: a store of
 * strings stringifies it again). A body that is a bare JSON string is one parameter named `content`; a broken body,
 * or one that is not an object, gives nothing (the server only logs it).
 */
export function putJsonBody(text: string, put: (name: string, value: unknown) => void): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    return;
  }
  if (typeof parsed === 'string') put('content', parsed);
  else if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) put(k, v);
  }
}

/** What a multipart reader does with each part. */
export interface MultipartHandlers {
  field(name: string, value: string): void;
  /** A file part; absent: files are read and dropped. */
  file?(name: string, stream: Readable, info: { filename: string | undefined; mimeType: string }): void;
  /** The request has more files than `limits.files`. */
  filesLimit?(): void;
}

/**
 * Read a multipart body (a whole Buffer, or a stream) into `on`. Resolves when it has been read; a malformed body or
 * header gives what was read before (never rejects), as the server does.
 */
export function readMultipart(
  source: Buffer | Readable,
  headers: IncomingHttpHeaders,
  limits: { fieldSize: number; files: number; fileSize?: number },
  on: MultipartHandlers,
): Promise<void> {
  return new Promise((resolve) => {
    let bb: busboy.Busboy;
    try {
      bb = loadBusboy()({ headers, limits });
    } catch {
      if (!Buffer.isBuffer(source)) source.resume();
      resolve(); // a malformed multipart header: no parameters, like a broken body
      return;
    }
    bb.on('field', (name, value) => on.field(name, value));
    bb.on('file', (name, stream, info) => (on.file ? on.file(name, stream, { filename: info.filename, mimeType: info.mimeType }) : stream.resume()));
    if (on.filesLimit) bb.on('filesLimit', on.filesLimit);
    bb.on('close', () => resolve());
    bb.on('error', () => resolve()); // broken multipart: keep what was read
    if (Buffer.isBuffer(source)) bb.end(source);
    else source.pipe(bb);
  });
}

/** An integer as the server reads it (`td::to_integer`): an optional `-`, then leading digits; `abc` → 0, `12x` → 12. */
export function lenientInt(v: string): number {
  let i = 0;
  let neg = false;
  if (v.charCodeAt(0) === 45 /* - */) {
    neg = true;
    i = 1;
  }
  let n = 0;
  for (; i < v.length; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
  }
  return neg ? -n : n;
}

/** A boolean as the server reads it (`to_bool`): `true`, `yes` or `1`, any case, trimmed; anything else is false. */
export function lenientBool(v: string): boolean {
  const t = v.trim().toLowerCase();
  return t === 'true' || t === 'yes' || t === '1';
}
