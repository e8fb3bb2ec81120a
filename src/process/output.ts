// The bot's stdout/stderr: split into lines, redact the token, timestamp, write to botwarden's stdout and a rotating file.
import path from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { createStream as CreateStream, RotatingFileStream } from 'rotating-file-stream';
import { lazyRequire } from '../util/lazy-require.js';
import { redactSecrets } from '../util/redact.js';

/** Where formatted lines go (botwarden's stdout by default). `write` returning false means "wait for drain". */
export interface OutputSink {
  write(chunk: string): boolean;
  once?(event: 'drain', listener: () => void): unknown;
}

/** `--log-file`: a copy of the bot's output in a file rotated by size and age. */
export interface LogFileOptions {
  /** The file; rotated copies are `PATH.1` (newest) … `PATH.<keep>`. */
  path: string;
  /** Rotate when the file reaches this size (`rotating-file-stream` units B/K/M/G). Default `10M`. */
  size?: string;
  /** Also rotate after this much time (`1d`, `12h`, …). Default `1d`. Empty string: size only. */
  interval?: string;
  /** Rotated files kept. Default 5. */
  keep?: number;
}

/** One line of bot output, already redacted. */
export interface OutputLine {
  /** ISO 8601 time the line was complete. */
  time: string;
  stream: 'stdout' | 'stderr';
  pid: number;
  text: string;
}

/** How the bot's output is shown and kept. */
export interface OutputOptions {
  /** Where lines go. Default `process.stdout`. Pass `null` to write nowhere but the file and `onLine`. */
  sink?: OutputSink | null;
  /** `text`: `<time> stdout[<pid>] <line>`; `json`: one JSON object per line. Default `text`. */
  format?: 'text' | 'json';
  /** Also write to a rotating file. Default: none. */
  logFile?: LogFileOptions;
  /** Called with every line as written (formatted, redacted, no newline) and its parts; e.g. a recent-lines buffer. */
  onLine?: (line: string, entry: OutputLine) => void;
  /** Lines longer than this are split, characters. Default 16384. */
  maxLineChars?: number;
  /** The log file failed (disk full, permissions): it is closed and output continues without it. */
  onFileError?: (err: Error) => void;
}

export const DEFAULT_MAX_LINE_CHARS = 16_384;
const TOKEN_CHARS = /[A-Za-z0-9_:%-]/;

/**
 * Splits a character stream into lines: `\n` and `\r\n` end a line; a line longer than `maxLineChars` is cut, at a
 * separator when one is near, and never inside (or at a prefix of) a known secret, so each piece can be redacted
 * on its own. A token split across chunks is whole again before anyone sees it.
 */
export class LineSplitter {
  private pending = '';

  constructor(
    private readonly maxLineChars: number = DEFAULT_MAX_LINE_CHARS,
    private readonly secrets: readonly string[] = [],
  ) {
    if (!(maxLineChars >= 64)) throw new RangeError(`maxLineChars: expected ≥ 64, got ${maxLineChars}`);
  }

  /** Add text; returns the lines it completed. */
  push(text: string): string[] {
    const out: string[] = [];
    let buf = this.pending + text;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      this.emit(buf.slice(0, nl > 0 && buf.charCodeAt(nl - 1) === 13 ? nl - 1 : nl), out, true);
      buf = buf.slice(nl + 1);
    }
    this.pending = this.emit(buf, out, false);
    return out;
  }

  /** The stream ended: whatever is left is the last line. */
  end(): string[] {
    const rest = this.pending.endsWith('\r') ? this.pending.slice(0, -1) : this.pending;
    this.pending = '';
    const out: string[] = [];
    if (rest !== '') this.emit(rest, out, true);
    return out;
  }

  /** Push `line` (cut to size) onto `out`; when not `complete`, keep the short tail and return it. */
  private emit(line: string, out: string[], complete: boolean): string {
    let rest = line;
    while (rest.length > this.maxLineChars) {
      const cut = this.safeCut(rest);
      out.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    if (!complete) return rest;
    out.push(rest);
    return '';
  }

  private safeCut(text: string): number {
    const max = this.maxLineChars;
    let cut = max;
    // Prefer to cut right after a character that cannot be part of a token.
    for (let j = max; j > max - 256 && j > 0; j--) {
      if (!TOKEN_CHARS.test(text.charAt(j - 1))) {
        cut = j;
        break;
      }
    }
    for (const s of this.secrets) {
      if (s.length === 0 || s.length >= max) continue;
      // Not inside an occurrence …
      for (let i = text.indexOf(s, Math.max(0, cut - s.length + 1)); i >= 0 && i < cut; i = text.indexOf(s, i + 1)) {
        if (i + s.length > cut) cut = i > 0 ? i : i + s.length;
      }
      // … and not right after a prefix of one (its rest may arrive in the next chunk) — but a "prefix" inside a
      // whole occurrence that ends at or before the cut is that occurrence's tail (a token ending in the digit its
      // bot id starts with, printed twice in a row): moving the cut there would split the occurrence.
      const whole = text.lastIndexOf(s, cut - s.length);
      const tailFree = whole >= 0 ? cut - (whole + s.length) : cut;
      for (let k = Math.min(s.length - 1, cut - 1, tailFree); k >= 1; k--) {
        if (text.startsWith(s.slice(0, k), cut - k)) {
          cut -= k;
          break;
        }
      }
    }
    if (cut <= 0) cut = max;
    const code = text.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // keep a surrogate pair together
    return cut;
  }
}

/** A child's output stream as `attach` needs it. */
export interface OutputSource {
  pid: number;
  stdout: Readable | null;
  stderr: Readable | null;
}

/**
 * Streams every child of one botwarden run to the same sink and log file. `attach` one child after another
 * (restarts); `close` once at the end. Backpressure: when the sink or file asks to wait, the child's pipe is paused
 * until they drain (the child then blocks on its own writes, as it would on a slow terminal).
 */
export class ChildOutput {
  private readonly sink: OutputSink | null;
  private file: RotatingFileStream | null;
  private readonly maxLineChars: number;
  private closed: Promise<void> | undefined;

  constructor(
    private readonly opts: OutputOptions,
    private readonly secrets: readonly string[],
  ) {
    this.sink = opts.sink === undefined ? process.stdout : opts.sink;
    this.maxLineChars = opts.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
    this.file = opts.logFile ? openLogFile(opts.logFile) : null;
    this.file?.on('error', (err) => {
      const f = this.file;
      this.file = null;
      f?.destroy();
      opts.onFileError?.(err);
    });
  }

  /** Stream one child's stdout and stderr; resolves when both have ended (remainders flushed). */
  attach(source: OutputSource): Promise<void> {
    const streams: Array<Promise<void>> = [];
    if (source.stdout) streams.push(this.pump(source.stdout, 'stdout', source.pid));
    if (source.stderr) streams.push(this.pump(source.stderr, 'stderr', source.pid));
    return Promise.all(streams).then(() => undefined);
  }

  /** Flush and close the log file. Safe to call twice. */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      const f = this.file;
      this.file = null;
      if (!f || f.destroyed) {
        resolve();
        return;
      }
      f.once('error', () => resolve());
      f.end(() => resolve());
    });
    return this.closed;
  }

  private pump(stream: Readable, name: 'stdout' | 'stderr', pid: number): Promise<void> {
    const decoder = new StringDecoder('utf8');
    const splitter = new LineSplitter(this.maxLineChars, this.secrets);
    return new Promise<void>((resolve) => {
      const onData = (chunk: Buffer | string): void => {
        const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
        this.writeLines(splitter.push(text), name, pid, stream);
      };
      const finish = (): void => {
        stream.off('data', onData);
        stream.off('end', finish);
        stream.off('close', finish);
        stream.off('error', finish);
        this.writeLines(splitter.push(decoder.end()), name, pid, null);
        this.writeLines(splitter.end(), name, pid, null);
        resolve();
      };
      stream.on('data', onData);
      stream.once('end', finish);
      stream.once('close', finish);
      stream.once('error', finish);
    });
  }

  private writeLines(lines: string[], stream: 'stdout' | 'stderr', pid: number, source: Readable | null): void {
    if (lines.length === 0) return;
    let text = '';
    for (const raw of lines) {
      const line: OutputLine = { time: new Date().toISOString(), stream, pid, text: redactSecrets(raw, this.secrets) };
      const formatted = this.format(line);
      text += formatted + '\n';
      this.opts.onLine?.(formatted, line);
    }
    const waits: Array<(resume: () => void) => void> = [];
    if (this.sink && !this.sink.write(text) && this.sink.once) {
      const sink = this.sink;
      waits.push((resume) => sink.once?.('drain', resume));
    }
    const file = this.file;
    if (file && !file.write(text)) {
      // A file that fails or closes instead of draining must not leave the child paused forever.
      waits.push((resume) => {
        file.once('drain', resume);
        file.once('close', resume);
      });
    }
    if (waits.length === 0 || !source) return;
    source.pause();
    let left = waits.length;
    for (const wait of waits) {
      let done = false;
      wait(() => {
        if (done) return;
        done = true;
        left -= 1;
        if (left === 0) source.resume();
      });
    }
  }

  private format(line: OutputLine): string {
    if (this.opts.format === 'json') return JSON.stringify(line);
    return `${line.time} ${line.stream}[${line.pid}] ${line.text}`;
  }
}

function openLogFile(opts: LogFileOptions): RotatingFileStream {
  const dir = path.dirname(path.resolve(opts.path));
  const base = path.basename(opts.path);
  const interval = opts.interval ?? '1d';
  // Loaded only with --log-file: most runs stream to the terminal or a service manager's journal.
  const { createStream } = lazyRequire('rotating-file-stream') as { createStream: typeof CreateStream };
  return createStream((index: number | Date | null) => (index === null || index === undefined ? base : `${base}.${String(index)}`), {
    path: dir + path.sep,
    size: opts.size ?? '10M',
    ...(interval === '' ? {} : { interval }),
    rotate: opts.keep ?? 5,
    encoding: 'utf8',
    mode: 0o600,
  });
}
