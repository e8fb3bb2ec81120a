// botwarden's own log: levels, human or JSON lines, every line redacted. Child output goes through process/output.ts.
import { redact } from './util/redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
export const LOG_LEVELS = Object.keys(LEVELS) as LogLevel[];

/** Extra structured fields on a log line. Values are redacted like the message. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** Where log lines go; `write` receives one complete line with its newline. */
export interface LogSink {
  write(line: string): unknown;
}

export interface LoggerOptions {
  /** Lowest level written. Default `info`. */
  level?: LogLevel;
  /** JSON lines instead of human text. Default false. */
  json?: boolean;
  /** Destination. Default `process.stderr`. */
  sink?: LogSink;
  /** Component name shown on each line, e.g. `gateway`. */
  component?: string;
  /** Called with every line written (already redacted), e.g. for a status page's recent-lines buffer. */
  onLine?: (entry: LogEntry) => void;
  /** The bot this logger speaks for under `botwarden up` (kept by children): `[shop/lease]`, JSON field `bot`. */
  bot?: string;
}

export interface LogEntry {
  time: string;
  level: LogLevel;
  component: string | undefined;
  msg: string;
  fields: LogFields;
}

/** A small structured logger. `child()` shares sink and level, adds a component name. */
export class Logger {
  readonly level: LogLevel;
  readonly json: boolean;
  readonly component: string | undefined;
  readonly bot: string | undefined;
  private readonly sink: LogSink;
  private readonly onLine: ((entry: LogEntry) => void) | undefined;

  constructor(opts: LoggerOptions = {}) {
    this.level = opts.level ?? 'info';
    this.json = opts.json ?? false;
    this.sink = opts.sink ?? process.stderr;
    this.component = opts.component;
    this.bot = opts.bot;
    this.onLine = opts.onLine;
  }

  /** A logger for a sub-component: same sink, level and format. */
  child(component: string): Logger {
    return new Logger({
      level: this.level,
      json: this.json,
      sink: this.sink,
      component,
      ...(this.onLine ? { onLine: this.onLine } : {}),
      ...(this.bot !== undefined ? { bot: this.bot } : {}),
    });
  }

  /** A logger for one bot of `botwarden up`: same sink, level and format; lines name the bot. */
  forBot(bot: string): Logger {
    return new Logger({ level: this.level, json: this.json, sink: this.sink, bot, ...(this.onLine ? { onLine: this.onLine } : {}) });
  }

  enabled(level: LogLevel): boolean {
    return LEVELS[level] >= LEVELS[this.level];
  }

  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields);
  }

  log(level: LogLevel, msg: string, fields: LogFields = {}): void {
    if (!this.enabled(level)) return;
    const entry: LogEntry = { time: new Date().toISOString(), level, component: this.component, msg: redact(msg), fields: {} };
    for (const [k, v] of Object.entries(fields)) {
      if (v !== undefined) entry.fields[k] = typeof v === 'string' ? redact(v) : v;
    }
    this.sink.write(this.format(entry) + '\n');
    this.onLine?.(entry);
  }

  private format(e: LogEntry): string {
    if (this.json) {
      return JSON.stringify({ time: e.time, level: e.level, ...(this.bot !== undefined ? { bot: this.bot } : {}), ...(e.component ? { component: e.component } : {}), msg: e.msg, ...e.fields });
    }
    const extra = Object.entries(e.fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`)
      .join(' ');
    const scope = this.bot !== undefined ? (e.component ? `${this.bot}/${e.component}` : this.bot) : e.component;
    const comp = scope ? ` [${scope}]` : '';
    return `${e.time} ${e.level.toUpperCase().padEnd(5)}${comp} ${e.msg}${extra ? ' ' + extra : ''}`;
  }
}

/** A logger that writes nothing (tests, library use). */
export const silentLogger = new Logger({ level: 'error', sink: { write: () => true } });
