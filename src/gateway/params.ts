// getUpdates and webhook-call parameters as the gateway needs them: the body read whole (it is forwarded as read), the
// parameters parsed by telegram/wire-params into a Map whose JSON values stay parsed (no re-encoding on the poll path).
import type { IncomingMessage } from 'node:http';
import type zlib from 'node:zlib';
import { bodyEncoding, bodyFormat, lenientInt, MAX_FILES, MAX_PARAMS_BYTES, putJsonBody, putUrlEncoded, readMultipart } from '../telegram/wire-params.js';
import { lazyRequire } from '../util/lazy-require.js';

// zlib is loaded on the first compressed body: most bots send JSON uncompressed.
const loadZlib = (): typeof zlib => lazyRequire('node:zlib') as typeof zlib;

/** Parameters by name; the first occurrence wins (query string before body). JSON non-string values stay parsed. */
export type Params = Map<string, unknown>;

/** Raised when a body is larger than the gateway reads for a parameter-only call. */
export class BodyTooLargeError extends Error {
  constructor(limitBytes: number) {
    super(`request body larger than ${limitBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * Read the whole request body, at most `limitBytes` (default: the server's limit for non-file parameters), gzip and
 * deflate decoded. A body in another encoding is returned as it came (its parameters then read as none).
 */
export async function readBody(req: IncomingMessage, limitBytes = MAX_PARAMS_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limitBytes) throw new BodyTooLargeError(limitBytes);
    chunks.push(b);
  }
  const body = Buffer.concat(chunks, size);
  const enc = bodyEncoding(req.headers['content-encoding']);
  if (enc === 'gzip') return loadZlib().gunzipSync(body, { maxOutputLength: limitBytes });
  if (enc === 'deflate') return loadZlib().inflateSync(body, { maxOutputLength: limitBytes });
  return body;
}

/** Parse parameters from `search` (`?a=1…`) and `body` by content type; malformed bodies give what was read, never an error. */
export async function parseParams(search: string, body: Buffer, headers: IncomingMessage['headers']): Promise<Params> {
  const params: Params = new Map();
  const put = (k: string, v: unknown): void => {
    if (!params.has(k)) params.set(k, v);
  };
  if (search.length > 1) putUrlEncoded(search.slice(1), put);
  if (body.length === 0) return params;
  const format = bodyFormat(headers['content-type']);
  if (format === 'json') putJsonBody(body.toString('utf8'), put);
  else if (format === 'urlencoded') putUrlEncoded(body.toString('utf8'), put);
  else if (format === 'multipart') await readMultipart(body, headers, { fieldSize: MAX_PARAMS_BYTES, files: MAX_FILES }, { field: put });
  return params;
}

/**
 * An integer parameter read leniently like the server (`lenientInt`: leading digits count, the rest is ignored,
 * `"12x"` → 12, `"abc"` → 0); JSON numbers are truncated; a missing parameter gives undefined.
 */
export function intParam(params: Params, name: string): number | undefined {
  const v = params.get(name);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : 0;
  if (typeof v === 'string') return lenientInt(v);
  return 0;
}

/** `allowed_updates` as a list of strings (a JSON array, or a string holding one as PTB sends it), else undefined. */
export function listParam(params: Params, name: string): string[] | undefined {
  let v = params.get(name);
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return undefined;
  return v as string[];
}
