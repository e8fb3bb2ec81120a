// The status page's log: a ring of the last lines of the bot's output and botwarden's own log, redacted (again) on entry.
import { redactSecrets } from '../util/redact.js';

export { redactSecrets } from '../util/redact.js';

/** Where a line came from. */
export type LineSource = 'bot' | 'botwarden';

/** One line as the page shows it. `text` is redacted and untrusted (render it as text, never as markup). */
export interface RecentLine {
  /** Grows by one per line, from 1; a reader asks for lines after the last one it saw. */
  seq: number;
  /** Epoch ms. */
  at: number;
  source: LineSource;
  /** `info`, `warn`, … for botwarden's log; `stdout`/`stderr` for the bot. */
  level: string;
  text: string;
}

/** RecentLines options. */
export interface RecentLinesOptions {
  /** Lines kept. Default 100. */
  capacity?: number;
  /** Values that must never be kept (the bot token): replaced, with any piece of 12+ characters of their secret part. */
  secrets?: readonly string[];
  /** A longer line is cut to this many characters (then `…`). Default 2000. */
  maxLineChars?: number;
  /** Epoch-ms clock. Default `Date.now`. */
  now?: () => number;
}

/** A line as kept: cheap to add; redacted (once) when first read, since most lines are never read. */
interface Kept {
  seq: number;
  at: number;
  source: LineSource;
  level: string;
  raw: string;
  clean?: RecentLine;
}

/** A bounded buffer of recent log lines. */
export class RecentLines {
  private readonly capacity: number;
  private readonly secrets: readonly string[];
  private readonly maxLineChars: number;
  private readonly now: () => number;
  private readonly ring: Kept[] = [];
  private seq = 0;

  constructor(opts: RecentLinesOptions = {}) {
    this.capacity = Math.max(1, opts.capacity ?? 100);
    this.secrets = [...(opts.secrets ?? [])];
    this.maxLineChars = Math.max(16, opts.maxLineChars ?? 2000);
    this.now = opts.now ?? Date.now;
  }

  /** Add one line (a trailing newline is dropped; inner newlines stay); returns its `seq`. Nothing unredacted leaves. */
  push(source: LineSource, level: string, text: string, at: number = this.now()): number {
    // Kept a little longer than shown, so that a token across the cut is still whole when it is redacted.
    const raw = text.replace(/\r?\n$/, '').slice(0, this.maxLineChars + 128);
    this.ring.push({ seq: ++this.seq, at, source, level, raw });
    if (this.ring.length > this.capacity) this.ring.shift();
    return this.seq;
  }

  /** Lines with `seq` greater than `afterSeq` (default: all kept), oldest first, redacted (copies). */
  since(afterSeq = 0): RecentLine[] {
    const out: RecentLine[] = [];
    for (const k of this.ring) if (k.seq > afterSeq) out.push({ ...this.clean(k) });
    return out;
  }

  /** The `seq` of the newest line (0 when none yet). */
  lastSeq(): number {
    return this.seq;
  }

  /** Number of lines kept. */
  get size(): number {
    return this.ring.length;
  }

  private clean(k: Kept): RecentLine {
    if (!k.clean) {
      // Redact before cutting, so a cut can never leave half a token behind where redaction no longer sees it.
      let text = redactSecrets(k.raw, this.secrets);
      if (text.length > this.maxLineChars) text = `${text.slice(0, this.maxLineChars)}…`;
      k.clean = { seq: k.seq, at: k.at, source: k.source, level: redactSecrets(k.level, this.secrets).slice(0, 16), text };
      k.raw = '';
    }
    return k.clean;
  }
}
