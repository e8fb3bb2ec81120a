// An incremental HTTP/1.1 response parser for the client side of one keep-alive connection (http-pool.ts): status
// line and headers, then the body framed by Content-Length, chunked transfer coding, or the end of the connection
// (RFC 9112 §6.3). Interim 1xx answers are skipped. Strict where a lenient reading could misframe the next answer on
// the same connection: a bad status line, a folded or nameless header, conflicting lengths, a bad chunk size.
import { isToken, trimOws } from '../util/http-syntax.js';

/** The answer broke HTTP/1.1 framing: the connection cannot be trusted for another request. */
export class HttpParseError extends Error {
  readonly code = 'EHTTPPARSE';
  constructor(detail: string) {
    super(`malformed HTTP answer: ${detail}`);
    this.name = 'HttpParseError';
  }
}

/** What the parser reports, in order: one head, any body chunks, then completion. */
export interface ResponseSink {
  /** The final (non-1xx) status and headers as `[name, value, …]`, the sender's spelling kept. */
  onHead(status: number, rawHeaders: string[]): void;
  /** A piece of the body, transfer coding removed (it may share memory with the chunk fed in: use it now). */
  onBody(chunk: Buffer): void;
  /** The whole answer arrived; `keepAlive`: the connection may carry another request. */
  onComplete(keepAlive: boolean): void;
}

/** Most bytes a head, a chunk-size line or the trailers may take. */
const MAX_HEAD_BYTES = 64 * 1024;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/;
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'until-close' | 'done';

/** Parses one answer fed to it in pieces; create one per request. */
export class ResponseParser {
  private state: State = 'head';
  /** Bytes of a head, chunk-size line or trailer section not complete yet. */
  private pending: Buffer | undefined;
  /** Body bytes still to come (Content-Length) or left in the current chunk. */
  private remaining = 0;
  private keepAlive = true;
  /** The server's `Keep-Alive: timeout=N`, in ms, when it sent one. */
  keepAliveTimeoutMs: number | undefined;
  /** Any byte of an answer arrived. */
  started = false;
  /** The answer is complete but not reported yet (bytes after it, in the same feed, still count against keep-alive). */
  private unreported = false;

  constructor(
    private readonly sink: ResponseSink,
    /** The request was HEAD: the answer has no body whatever its headers say. */
    private readonly headRequest = false,
  ) {}

  /** True once the whole answer was read. */
  get done(): boolean {
    return this.state === 'done';
  }

  /** Feed the next bytes from the connection. Throws HttpParseError. Bytes after the answer make it not keep-alive. */
  execute(data: Buffer): void {
    if (data.length > 0) this.started = true;
    let buf = data;
    while (buf.length > 0) {
      switch (this.state) {
        case 'head':
          buf = this.head(buf);
          break;
        case 'length':
          buf = this.bodyBytes(buf);
          if (this.remaining === 0) this.complete();
          break;
        case 'chunk-size':
          buf = this.chunkSize(buf);
          break;
        case 'chunk-data':
          buf = this.bodyBytes(buf);
          if (this.remaining === 0) this.state = 'chunk-end';
          break;
        case 'chunk-end':
          buf = this.chunkEnd(buf);
          break;
        case 'trailers':
          buf = this.trailers(buf);
          break;
        case 'until-close':
          this.sink.onBody(buf);
          buf = buf.subarray(buf.length);
          break;
        case 'done':
          // Nothing was asked: a server that sends more cannot be trusted with the next request.
          this.keepAlive = false;
          buf = buf.subarray(buf.length);
          break;
      }
    }
    this.report();
  }

  /** Hand up to `remaining` body bytes of `buf` to the sink; returns the rest. */
  private bodyBytes(buf: Buffer): Buffer {
    const n = Math.min(this.remaining, buf.length);
    this.remaining -= n;
    this.sink.onBody(n === buf.length ? buf : buf.subarray(0, n));
    return buf.subarray(n);
  }

  /** The connection ended. Completes an answer that runs until the close; throws when the answer was cut short. */
  finish(): void {
    if (this.state === 'done') return;
    if (this.state === 'until-close') {
      this.keepAlive = false;
      this.complete();
      this.report();
      return;
    }
    throw new Error(this.started ? 'the connection closed before the whole answer arrived' : 'the connection closed before any answer arrived');
  }

  /** Take `buf` into `pending` and return the bytes up to and including `sep`, or undefined (all kept) when not there yet. */
  private upTo(buf: Buffer, sep: Buffer, what: string): { line: Buffer; rest: Buffer } | undefined {
    const from = this.pending ? Math.max(0, this.pending.length - sep.length + 1) : 0;
    const all = this.pending ? Buffer.concat([this.pending, buf]) : buf;
    const at = all.indexOf(sep, from);
    if (at < 0) {
      if (all.length > MAX_HEAD_BYTES) throw new HttpParseError(`${what} longer than ${MAX_HEAD_BYTES} bytes`);
      this.pending = all === buf ? Buffer.from(buf) : all; // a copy: the caller's buffer may be reused
      return undefined;
    }
    this.pending = undefined;
    return { line: all.subarray(0, at + sep.length), rest: all.subarray(at + sep.length) };
  }

  private head(buf: Buffer): Buffer {
    const got = this.upTo(buf, HEAD_END, 'the header section');
    if (!got) return buf.subarray(buf.length);
    const text = got.line.toString('latin1', 0, got.line.length - 2); // every line, each ending in \r\n
    let eol = text.indexOf('\r\n');
    const statusLine = text.slice(0, eol);
    const m = STATUS_LINE.exec(statusLine);
    if (!m) throw new HttpParseError(`status line ${JSON.stringify(statusLine.slice(0, 40))}`);
    const minor = m[1] as string;
    const status = Number(m[2]);
    const raw: string[] = [];
    let length: number | undefined;
    let chunked = false;
    let coded = false;
    let close = minor === '0';
    for (let at = eol + 2; at < text.length; at = eol + 2) {
      eol = text.indexOf('\r\n', at);
      const colon = text.indexOf(':', at);
      if (colon <= at || colon > eol || !isToken(text, at, colon)) {
        const c = text.charCodeAt(at);
        throw new HttpParseError(c === 0x20 || c === 0x09 ? 'a folded header line' : 'a header line without a name');
      }
      const name = text.slice(at, colon);
      const value = trimOws(text, colon + 1, eol);
      raw.push(name, value);
      const len = colon - at;
      switch (len === 10 || len === 14 || len === 17 ? name.toLowerCase() : '') {
        case 'content-length': {
          if (!/^\d{1,15}$/.test(value)) throw new HttpParseError('a bad Content-Length');
          const n = Number(value);
          if (length !== undefined && length !== n) throw new HttpParseError('two different Content-Lengths');
          length = n;
          break;
        }
        case 'transfer-encoding': {
          const codings = value.toLowerCase().split(',').map((s) => s.trim()).filter(Boolean);
          coded = true;
          chunked = codings[codings.length - 1] === 'chunked';
          break;
        }
        case 'connection': {
          for (const t of value.toLowerCase().split(',')) {
            const token = t.trim();
            if (token === 'close') close = true;
            else if (token === 'keep-alive' && minor === '0') close = false;
          }
          break;
        }
        case 'keep-alive': {
          const t = /(?:^|[,\s])timeout=(\d+)/i.exec(value);
          if (t) this.keepAliveTimeoutMs = Number(t[1]) * 1000;
          break;
        }
        default:
      }
    }
    if (status < 200) {
      if (status === 101) throw new HttpParseError('an unasked protocol switch (101)');
      return got.rest; // interim (100 Continue, 103 Early Hints): the real answer follows
    }
    this.keepAlive = !close;
    this.sink.onHead(status, raw);
    if (this.headRequest || status === 204 || status === 304) {
      this.complete();
    } else if (coded) {
      if (chunked) this.state = 'chunk-size';
      else this.untilClose(); // a coding other than chunked last: only the close ends it
    } else if (length !== undefined) {
      this.remaining = length;
      this.state = 'length';
      if (length === 0) this.complete();
    } else {
      this.untilClose();
    }
    return got.rest;
  }

  private untilClose(): void {
    this.keepAlive = false;
    this.state = 'until-close';
  }

  private chunkSize(buf: Buffer): Buffer {
    const got = this.upTo(buf, CRLF, 'a chunk-size line');
    if (!got) return buf.subarray(buf.length);
    const text = got.line.toString('latin1', 0, got.line.length - 2);
    const end = text.search(/[;\s]/);
    const hex = end < 0 ? text : text.slice(0, end);
    if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new HttpParseError('a bad chunk size');
    const size = parseInt(hex, 16);
    if (size === 0) this.state = 'trailers';
    else {
      this.remaining = size;
      this.state = 'chunk-data';
    }
    return got.rest;
  }

  private chunkEnd(buf: Buffer): Buffer {
    const got = this.upTo(buf, CRLF, 'a chunk end');
    if (!got) return buf.subarray(buf.length);
    if (got.line.length !== 2) throw new HttpParseError('chunk data longer than its size');
    this.state = 'chunk-size';
    return got.rest;
  }

  private trailers(buf: Buffer): Buffer {
    // Either an empty line at once (no trailers) or trailer lines ending in an empty line; trailers are dropped.
    const all = this.pending ? Buffer.concat([this.pending, buf]) : buf;
    if (all.length >= 2 && all[0] === 0x0d && all[1] === 0x0a) {
      this.pending = undefined;
      this.complete();
      return all.subarray(2);
    }
    if (all.length < 2) {
      this.pending = Buffer.from(all);
      return buf.subarray(buf.length);
    }
    this.pending = undefined;
    const got = this.upTo(all, HEAD_END, 'the trailer section');
    if (!got) return buf.subarray(buf.length);
    this.complete();
    return got.rest;
  }

  private complete(): void {
    this.state = 'done';
    this.unreported = true;
  }

  private report(): void {
    if (!this.unreported) return;
    this.unreported = false;
    this.sink.onComplete(this.keepAlive);
  }
}
