// The one way botwarden runs a short system command (ps, PowerShell, wmic, taskkill) and reads what it printed.
import { spawn } from 'node:child_process';

export interface CommandOptions {
  /** Give up (and kill it) after this many ms. Default 10 000. */
  timeoutMs?: number;
  /** Largest stdout accepted, bytes. Default 16 MiB. */
  maxBuffer?: number;
}

/** Runs a command; resolves its stdout, rejects on a non-zero exit, a missing binary, the timeout or too much output. */
export type CommandRunner = (file: string, args: readonly string[], opts?: CommandOptions) => Promise<string>;

/**
 * Runs `file` without a shell and without a console window. Its stdin is closed from the start: wmic waits for its
 * stdin to close before it exits (with a pipe there it runs into the timeout, on Windows and under Wine alike).
 * Output that starts with a UTF-16 byte-order mark (wmic writes UTF-16 to a file or, under Wine, to a pipe) is decoded
 * as UTF-16, anything else as UTF-8.
 */
export const runCommand: CommandRunner = (file, args, opts = {}) =>
  new Promise((resolve, reject) => {
    const maxBuffer = opts.maxBuffer ?? 16 * 1024 * 1024;
    const child = spawn(file, [...args], { stdio: ['ignore', 'pipe', 'ignore'], windowsHide: true });
    const chunks: Buffer[] = [];
    let size = 0;
    let failure: Error | undefined;
    const fail = (err: Error): void => {
      failure ??= err;
      child.kill();
    };
    const timer = setTimeout(() => fail(new Error(`${file} did not finish within ${opts.timeoutMs ?? 10_000} ms`)), opts.timeoutMs ?? 10_000);
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBuffer) fail(new Error(`${file} printed more than ${maxBuffer} bytes`));
      else chunks.push(chunk);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (failure) reject(failure);
      else if (code !== 0) reject(new Error(`${file} exited with ${code ?? signal}`));
      else resolve(decodeOutput(Buffer.concat(chunks)));
    });
  });

/** UTF-16LE when the bytes start with its byte-order mark, else UTF-8 (a UTF-8 BOM is dropped). */
export function decodeOutput(bytes: Buffer): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.toString('utf16le', 2);
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
