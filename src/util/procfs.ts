// Reading Linux /proc files through one reused buffer. procfs reports size 0, so fs.readFile allocates a fresh
// 64 KiB buffer per file: a scan of every process (3 files each) left megabytes of garbage and malloc fragments
// in a process that is meant to stay small. A /proc read is served from kernel memory, so a synchronous read is a
// few microseconds and never waits on a disk.
import { closeSync, openSync, readSync } from 'node:fs';

/** Kept between reads; a larger file (a big environ) grows it for that read only. */
const KEPT_BYTES = 16 * 1024;
const shared = Buffer.allocUnsafe(KEPT_BYTES);

/** The text of `/proc/…` file `file`; throws the fs error (ENOENT: the process is gone, EACCES: not ours). */
export function readProcFile(file: string, encoding: 'utf8' | 'latin1' = 'utf8'): string {
  const fd = openSync(file, 'r');
  let buf = shared;
  try {
    let len = 0;
    for (;;) {
      if (len === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, len);
        buf = bigger;
      }
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) return buf.toString(encoding, 0, len);
      len += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** Like readProcFile, but undefined instead of an error. */
export function tryReadProcFile(file: string, encoding: 'utf8' | 'latin1' = 'utf8'): string | undefined {
  try {
    return readProcFile(file, encoding);
  } catch {
    return undefined;
  }
}


/**
 * The fields of a `/proc/<pid>/stat` line after the command name: `[state, ppid, pgrp, …]` (proc(5) field 3 is index
 * 0, field 22 `starttime` is index 19). The name is in parentheses and may itself hold spaces and parentheses, so the
 * fields are counted from the LAST `)`. Undefined when the line has none.
 */
export function procStatFields(stat: string): string[] | undefined {
  const close = stat.lastIndexOf(')');
  return close < 0 ? undefined : stat.slice(close + 1).trim().split(/\s+/);
}

/** A process state (`procStatFields(…)[0]`) of a process that will never run again: zombie or dead. */
export function isDeadState(state: string | undefined): boolean {
  return state === 'Z' || state === 'X';
}
