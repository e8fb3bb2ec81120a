// Reading Bot API parameters the way the server does: query string first, then a urlencoded, JSON or multipart body.
import type { IncomingMessage } from 'node:http';
import type zlib from 'node:zlib';
import type busboy from 'busboy';
import { lazyRequire } from '../util/lazy-require.js';

// zlib and busboy are loaded on the first compressed or multipart body: most bots send JSON, and a `botwarden run`
// that never needs them stays ~0.7 MB smaller.
const loadZlib = (): typeof zlib => lazyRequire('node:zlib') as typeof zlib;
const loadBusboy = (): typeof busboy => lazyRequire('busboy') as typeof busboy;

/** Parameters by name; the first occurrence wins (query string before body). JSON non-string values stay parsed. */
export type Params = Map<string, unknown>;

/** Raised when a body is larger than the gateway reads for a parameter-only call. */
export class BodyTooLargeError extends Error {
  constructor(limitBytes: number) {
    super(`request body larger than ${limitBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Read the whole request body, at most `limitBytes` (default 1 MiB, the server's limit for non-file parameters). */
export async function readBody(req: IncomingMessage, limitBytes = 1 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limitBytes) throw new BodyTooLargeError(limitBytes);
    chunks.push(b);
  }
  const body = Buffer.concat(chunks, size);
  const enc = String(req.headers['content-encoding'] ?? '').toLowerCase();
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
  if (search.length > 1) for (const [k, v] of new URLSearchParams(search.slice(1))) put(k, v);
  if (body.length === 0) return params;
  const type = String(headers['content-type'] ?? '').toLowerCase();
  if (type.includes('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) put(k, v);
  } else if (type.includes('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    if (typeof parsed === 'string') put('content', parsed);
    else if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      for (const [k, v] of Object.entries(parsed)) put(k, v);
    }
  } else if (type.includes('multipart/form-data')) {
    await parseMultipart(body, headers, put);
  }
  return params;
}

function parseMultipart(body: Buffer, headers: IncomingMessage['headers'], put: (k: string, v: unknown) => void): Promise<void> {
  return new Promise((resolve) => {
    let bb: busboy.Busboy;
    try {
      bb = loadBusboy()({ headers, limits: { fieldSize: 1 << 20, files: 50 } });
    } catch {
      resolve();
      return;
    }
    bb.on('field', (name, value) => put(name, value));
    bb.on('file', (_name, stream) => stream.resume());
    bb.on('close', () => resolve());
    bb.on('error', () => resolve());
    bb.end(body);
  });
}

/**
 * An integer parameter read leniently like the server (`td::to_integer`): leading digits count, the rest is ignored
 * (`"12x"` → 12, `"abc"` → 0); numbers are truncated; a missing parameter gives undefined.
 */
export function intParam(params: Params, name: string): number | undefined {
  const v = params.get(name);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : 0;
  if (typeof v === 'string') {
    const m = /^\s*([+-]?)(\d+)/.exec(v);
    if (!m) return 0;
    const n = Number(m[2]);
    return m[1] === '-' ? -n : n;
  }
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
