// Errors that stop botwarden: a stable code, a message that names the thing, a hint saying what to do, an exit code.
import { redact } from './util/redact.js';

/** Documented exit codes; each failure that stops botwarden has its own (README "Exit codes"). */
export const ExitCode = {
  ok: 0,
  /** generic failure; `doctor` found a problem */
  failure: 1,
  /** bad command line, option or config file */
  usage: 2,
  /** the token is malformed, or Telegram rejected it (401) */
  badToken: 3,
  /** the Bot API could not be reached (after retries) */
  apiUnreachable: 4,
  /** the bot crashed too often in a row and no fallback was given */
  crashLoop: 5,
  /** the lease backend (Redis, PostgreSQL, state dir) could not be reached or used */
  leaseUnreachable: 6,
  /** processes outside botwarden use this token and `--takeover` was not given */
  conflict: 7,
  /** the bot command could not be started (not found, not executable) */
  spawnFailed: 8,
  /** no running botwarden instance was found (status/stop) */
  notRunning: 9,
  /** an unexpected internal error (a bug: please report it) */
  internal: 70,
} as const;
export type ExitCodeName = keyof typeof ExitCode;

/** A failure botwarden expected and can explain: shown as message + hint, never as a stack trace. */
export class BotwardenError extends Error {
  /** Stable machine-readable code, e.g. `TOKEN_REJECTED`. */
  readonly code: string;
  /** What the user should do about it. */
  readonly hint: string | undefined;
  /** The process exit code this failure maps to. */
  readonly exitCode: number;

  constructor(code: string, message: string, opts: { hint?: string; exit?: ExitCodeName; cause?: unknown } = {}) {
    super(redact(message), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'BotwardenError';
    this.code = code;
    this.hint = opts.hint === undefined ? undefined : redact(opts.hint);
    this.exitCode = ExitCode[opts.exit ?? 'failure'];
  }
}

/** A usage/config error: names the option, what was expected and what was received. */
export function usageError(option: string, expected: string, received: unknown, hint?: string): BotwardenError {
  const got = typeof received === 'string' ? JSON.stringify(received) : String(received);
  return new BotwardenError('USAGE', `${option}: expected ${expected}, got ${got}`, {
    exit: 'usage',
    ...(hint === undefined ? {} : { hint }),
  });
}

/** Render any error for a human: message and hint; stack only for unexpected errors. */
export function describeError(err: unknown): string {
  if (err instanceof BotwardenError) return redact(err.hint ? `${err.message}\n  → ${err.hint}` : err.message);
  if (err instanceof Error) return redact(err.stack ?? err.message);
  return redact(String(err));
}
