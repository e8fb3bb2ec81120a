// Request parameters from the query string and urlencoded, JSON or multipart bodies, read as the real server does
// (docs/bot-api-semantics.md §1.2): first occurrence wins, JSON non-strings kept as raw JSON text, lenient numbers.
import type { IncomingMessage } from 'node:http';
import { createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import busboy from 'busboy';

/** A file part of a multipart request. */
export interface UploadedFile {
  filename: string;
  mime: string;
  data: Buffer;
}

/** All non-file parameters together may total this much (§1.2). */
export const MAX_PARAMS_BYTES = 1024 * 1024;
/** Largest upload accepted per file (Telegram's cloud limit for bots). */
export const MAX_FILE_BYTES = 50 * 1024 * 1024;
const MAX_FILES = 50;

/** A request whose body the server refuses with a bare status line (no JSON envelope). */
export class RawHttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** The parameters of one Bot API request. Names are case-sensitive; the first value of a name wins. */
export class Params {
  private readonly values = new Map<string, string>();
  readonly files = new Map<string, UploadedFile>();

  /** Add a value unless the name already has one (query string beats body). */
  add(name: string, value: string): void {
    if (!this.values.has(name)) this.values.set(name, value);
  }

  /** Add a file unless the name already has one. */
  addFile(name: string, file: UploadedFile): void {
    if (!this.files.has(name)) this.files.set(name, file);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** The raw string value, or undefined. */
  str(name: string): string | undefined {
    return this.values.get(name);
  }

  /** An integer read like td::to_integer: optional '-', then leading digits; anything else reads as 0. Missing → `def`. */
  int(name: string, def: number): number {
    const v = this.values.get(name);
    return v === undefined ? def : lenientInt(v);
  }

  /** True for `true`, `yes`, `1` (case-insensitive, trimmed), as the real server's to_bool. */
  bool(name: string): boolean {
    const v = this.values.get(name);
    if (v === undefined) return false;
    const t = v.trim().toLowerCase();
    return t === 'true' || t === 'yes' || t === '1';
  }

  /** The value parsed as JSON (lists and objects arrive as JSON text), or undefined when absent or unparsable. */
  json(name: string): unknown {
    const v = this.values.get(name);
    if (v === undefined) return undefined;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return undefined;
    }
  }

  /** Every name/value pair (for webhook-reply method calls and request logs). */
  entries(): IterableIterator<[string, string]> {
    return this.values.entries();
  }
}

/** td::to_integer: optional sign, then leading decimal digits; `abc` → 0, `12x` → 12. */
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

/** Add every pair of an urlencoded string (`+` is a space). */
export function addUrlEncoded(params: Params, text: string): void {
  if (text.length === 0) return;
  for (const [k, v] of new URLSearchParams(text)) params.add(k, v);
}

/** Add the members of a JSON body: strings unescaped, every other value as its raw JSON text (§1.2 item 3). */
export function addJson(params: Params, text: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    return; // the real server only logs a broken body and goes on without its parameters
  }
  if (typeof parsed === 'string') {
    params.add('content', parsed);
    return;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return;
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    params.add(k, typeof v === 'string' ? v : JSON.stringify(v));
  }
}

function decoded(req: IncomingMessage): Readable {
  const enc = (req.headers['content-encoding'] ?? '').toLowerCase().trim();
  if (enc === '' || enc === 'identity') return req;
  if (enc === 'gzip' || enc === 'x-gzip') return req.pipe(createGunzip());
  if (enc === 'deflate') return req.pipe(createInflate());
  throw new RawHttpError(415);
}

async function readAll(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const b = chunk as Buffer;
    total += b.length;
    if (total > max) throw new RawHttpError(413);
    chunks.push(b);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
}

/**
 * Read the body of `req` into `params` (the query string must already be in it). The content type is matched by
 * substring; other types are read and ignored. Throws RawHttpError for 413/415.
 */
export async function readBodyParams(req: IncomingMessage, params: Params): Promise<void> {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) {
    req.resume();
    return;
  }
  if (type.includes('multipart/form-data')) {
    await readMultipart(req, params);
    return;
  }
  const body = await readAll(decoded(req), MAX_PARAMS_BYTES);
  if (type.includes('application/json')) addJson(params, body.toString('utf8'));
  else if (type.includes('application/x-www-form-urlencoded')) addUrlEncoded(params, body.toString('utf8'));
}

function readMultipart(req: IncomingMessage, params: Params): Promise<void> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { fieldSize: MAX_PARAMS_BYTES, files: MAX_FILES, fileSize: MAX_FILE_BYTES } });
    } catch {
      req.resume();
      resolve(); // a malformed multipart header: no parameters, like a broken body
      return;
    }
    let fieldBytes = 0;
    let failed: RawHttpError | undefined;
    bb.on('field', (name, value) => {
      fieldBytes += name.length + value.length;
      if (fieldBytes > MAX_PARAMS_BYTES) failed ??= new RawHttpError(413);
      else params.add(name, value);
    });
    bb.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => {
        failed ??= new RawHttpError(413);
      });
      stream.on('end', () => {
        params.addFile(name, { filename: info.filename ?? name, mime: info.mimeType || 'application/octet-stream', data: Buffer.concat(chunks) });
      });
    });
    bb.on('filesLimit', () => {
      failed ??= new RawHttpError(413);
    });
    bb.on('close', () => (failed ? reject(failed) : resolve()));
    bb.on('error', () => resolve()); // broken multipart: keep what was read
    let src: Readable;
    try {
      src = decoded(req);
    } catch (err) {
      req.resume();
      reject(err as Error);
      return;
    }
    src.pipe(bb);
  });
}
