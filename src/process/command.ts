// The one way botwarden runs a short system command (ps, PowerShell, wmic, taskkill) and reads what it printed.
import { execFile } from 'node:child_process';

export interface CommandOptions {
  /** Give up (and kill it) after this many ms. Default 10 000. */
  timeoutMs?: number;
  /** Largest stdout accepted, bytes. Default 16 MiB. */
  maxBuffer?: number;
}

/** Runs a command; resolves its stdout, rejects on a non-zero exit, a missing binary, the timeout or too much output. */
export type CommandRunner = (file: string, args: readonly string[], opts?: CommandOptions) => Promise<string>;

/** `execFile` without a shell, no console window on Windows, bounded in time and output. */
export const runCommand: CommandRunner = (file, args, opts = {}) =>
  new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { windowsHide: true, encoding: 'buffer', timeout: opts.timeoutMs ?? 10_000, maxBuffer: opts.maxBuffer ?? 16 * 1024 * 1024 },
      (err, stdout) => (err ? reject(err) : resolve(decodeOutput(stdout))),
    );
  });

/**
 * A command's output as text. Windows' wmic writes UTF-16LE (with a byte-order mark) to a pipe, everything else
 * here writes UTF-8 or ASCII.
 */
export function decodeOutput(out: Buffer): string {
  if (out.length >= 2 && out[0] === 0xff && out[1] === 0xfe) return out.subarray(2).toString('utf16le');
  return out.toString('utf8');
}
