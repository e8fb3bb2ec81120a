// The emulator's request parameters as the real server keeps them (docs/bot-api-semantics.md §1.2): strings by name,
// first occurrence wins, JSON non-strings as raw JSON text, uploaded files; bodies streamed and decoded, 413/415 as
// bare statuses. The wire formats themselves are read by telegram/wire-params (shared with the gateway).
import type { IncomingMessage } from 'node:http';
import { createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import { bodyEncoding, bodyFormat, lenientBool, lenientInt, MAX_FILES, MAX_PARAMS_BYTES, putJsonBody, putUrlEncoded, readMultipart } from '../telegram/wire-params.js';

/** A file part of a multipart request. */
export interface UploadedFile {
  filename: string;
  mime: string;
  data: Buffer;
}

/** Largest upload accepted per file (Telegram's cloud limit for bots). */
export const MAX_FILE_BYTES = 50 * 1024 * 1024;

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
    return v !== undefined && lenientBool(v);
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

/** Add every pair of an urlencoded string (`+` is a space). */
export function addUrlEncoded(params: Params, text: string): void {
  putUrlEncoded(text, (k, v) => params.add(k, v));
}

/** Add the members of a JSON body: strings unescaped, every other value as its raw JSON text (§1.2 item 3). */
export function addJson(params: Params, text: string): void {
  putJsonBody(text, (k, v) => params.add(k, typeof v === 'string' ? v : JSON.stringify(v)));
}

function decoded(req: IncomingMessage): Readable {
  const enc = bodyEncoding(req.headers['content-encoding']);
  if (enc === 'identity') return req;
  if (enc === 'gzip') return req.pipe(createGunzip());
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
  const format = bodyFormat(req.headers['content-type']);
  const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) {
    req.resume();
    return;
  }
  if (format === 'multipart') {
    await readMultipartParams(req, params);
    return;
  }
  const body = await readAll(decoded(req), MAX_PARAMS_BYTES);
  if (format === 'json') addJson(params, body.toString('utf8'));
  else if (format === 'urlencoded') addUrlEncoded(params, body.toString('utf8'));
}

/** A multipart body: fields and files into `params`, the server's limits (413 beyond them). */
async function readMultipartParams(req: IncomingMessage, params: Params): Promise<void> {
  let src: Readable;
  try {
    src = decoded(req);
  } catch (err) {
    req.resume();
    throw err;
  }
  let fieldBytes = 0;
  let failed: RawHttpError | undefined;
  await readMultipart(src, req.headers, { fieldSize: MAX_PARAMS_BYTES, files: MAX_FILES, fileSize: MAX_FILE_BYTES }, {
    field: (name, value) => {
      fieldBytes += name.length + value.length;
      if (fieldBytes > MAX_PARAMS_BYTES) failed ??= new RawHttpError(413);
      else params.add(name, value);
    },
    file: (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => {
        failed ??= new RawHttpError(413);
      });
      stream.on('end', () => {
        params.addFile(name, { filename: info.filename ?? name, mime: info.mimeType || 'application/octet-stream', data: Buffer.concat(chunks) });
      });
    },
    filesLimit: () => {
      failed ??= new RawHttpError(413);
    },
  });
  if (failed) throw failed;
}
