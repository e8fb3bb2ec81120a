// The one way botwarden writes a file others read: a temp file beside it, created with its final mode, then renamed
// over it, so a reader sees the old file or the new one, never half of one, and a secret is never readable by others.
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from './crypto-lite.js';
import { sleep } from './sleep.js';

/** Options of `writeFileAtomic` / `writeFileAtomicSync`. */
export interface AtomicWriteOptions {
  /**
   * The file's mode, set when the temp file is created (before any byte is in it) and again after (umask may have
   * removed bits). Default 0o600: owner only. `'umask'`: 0o666 less the process umask, for files other users of a
   * shared state directory read. On Windows chmod only toggles read-only.
   */
  mode?: number | 'umask';
  /** Create missing parent directories with this mode (0o700 for a folder of secrets); absent: the parent must exist. */
  dirMode?: number;
}

/** Windows refuses a rename for a moment while another process has the target open: retried this often, 5 ms apart. */
const RENAME_ATTEMPTS = 20;
const RENAME_RETRY_MS = 5;

function tempPath(file: string): string {
  return `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

function transient(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EPERM' || code === 'EBUSY' || code === 'EACCES';
}

/**
 * Write `data` to `file` atomically with `mode` (default 0600). On failure the temp file is removed and the error
 * thrown. The files written this way are small (lease records, service definitions): the temp file is created and
 * written synchronously (microseconds; the promise API allocates a file handle and buffers per call, which the file
 * lease pays on every renewal), and only the rename is awaited off the event loop: ext4 flushes the data of a file
 * renamed over another, which takes milliseconds.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const mode = opts.mode ?? 0o600;
  if (opts.dirMode !== undefined) await mkdir(dirname(file), { recursive: true, mode: opts.dirMode });
  const tmp = tempPath(file);
  try {
    writeTemp(tmp, data, mode);
    for (let attempt = 1; ; attempt++) {
      try {
        await rename(tmp, file);
        return;
      } catch (err) {
        if (attempt >= RENAME_ATTEMPTS || !transient(err)) throw err;
        await sleep(RENAME_RETRY_MS);
      }
    }
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** Write the temp file beside the target (it must not exist yet), with `mode` set exactly unless it is 'umask'. */
function writeTemp(tmp: string, data: string | Uint8Array, mode: number | 'umask'): void {
  if (mode === 'umask') writeFileSync(tmp, data, { flag: 'wx' });
  else {
    writeFileSync(tmp, data, { mode, flag: 'wx' });
    chmodSync(tmp, mode);
  }
}

/** `writeFileAtomic` for callers that cannot await (state files written from synchronous code). */
export function writeFileAtomicSync(file: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  const mode = opts.mode ?? 0o600;
  if (opts.dirMode !== undefined) mkdirSync(dirname(file), { recursive: true, mode: opts.dirMode });
  const tmp = tempPath(file);
  try {
    writeTemp(tmp, data, mode);
    for (let attempt = 1; ; attempt++) {
      try {
        renameSync(tmp, file);
        return;
      } catch (err) {
        if (attempt >= RENAME_ATTEMPTS || !transient(err)) throw err;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, RENAME_RETRY_MS);
      }
    }
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
