// How the CLI ends: a documented exit code for every error (commander's own errors are handled in program.ts).
import { BotwardenError, ExitCode, describeError } from '../errors.js';

/** Print what went wrong (never a stack trace for an expected failure) and return its exit code. */
export function exitCodeForError(err: unknown): number {
  process.stderr.write(`botwarden: ${describeError(err)}\n`);
  if (err instanceof BotwardenError) return err.exitCode;
  return ExitCode.internal;
}

/** The code a finished command set (process.exitCode), else ok. */
export function finishedCode(): number {
  return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
}
