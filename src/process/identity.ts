// Process identity that survives pid reuse: a pid plus the process's start time (Linux /proc, macOS ps, Windows PowerShell).
import { procStatFields, readProcFile } from '../util/procfs.js';
import { runCommand } from './command.js';
import { isProcessAlive } from './liveness.js';

/** How long the `ps` / PowerShell look-ups may take before we give up (ms). */
const COMMAND_TIMEOUT_MS = 5_000;

/**
 * The start time of process `pid` as an opaque string that differs between two processes that had the same pid,
 * or null when no such process exists (or its start time cannot be read).
 * Linux: field 22 (`starttime`, clock ticks since boot) of /proc/<pid>/stat; macOS/BSD: `ps -o lstart=`;
 * Windows: `(Get-Process -Id PID).StartTime.ToFileTimeUtc()`.
 */
export async function processStartTime(pid: number): Promise<string | null> {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  if (process.platform === 'linux' || process.platform === 'android') {
    try {
      return parseProcStatStartTime(readProcFile(`/proc/${pid}/stat`));
    } catch {
      return null;
    }
  }
  // Elsewhere a look-up spawns `ps`/PowerShell (10–500 ms): remember answers for a few seconds (a pid is not reused that fast).
  const cached = startCache.get(pid);
  if (cached && Date.now() - cached.at < CACHE_MS) return cached.value;
  const value = await spawnedStartTime(pid);
  if (value === null) startCache.delete(pid);
  else startCache.set(pid, { value, at: Date.now() });
  if (startCache.size > 256) startCache.clear();
  return value;
}

/** How long a start time read by spawning a command is reused (ms). */
const CACHE_MS = 5_000;
const startCache = new Map<number, { value: string; at: number }>();

async function spawnedStartTime(pid: number): Promise<string | null> {
  if (process.platform === 'win32') {
    const out = await trimmedOutput('powershell.exe', [
      '-NoProfile',
      '-NonInteractive',
      '-Command',
      `(Get-Process -Id ${pid} -ErrorAction Stop).StartTime.ToFileTimeUtc()`,
    ]);
    return out !== null && /^\d+$/.test(out) ? out : null;
  }
  // macOS, FreeBSD and other POSIX systems: the full start date, e.g. "Mon Jun  3 10:11:12 2024".
  const out = await trimmedOutput('ps', ['-o', 'lstart=', '-p', String(pid)]);
  return out ? out.replace(/\s+/g, ' ') : null;
}

/**
 * Field 22 (`starttime`) of a /proc/<pid>/stat line. The command name (field 2) is in parentheses and may itself
 * contain spaces and parentheses, so the fields are counted from the LAST `)`. Null when the line is malformed.
 */
export function parseProcStatStartTime(stat: string): string | null {
  const start = procStatFields(stat)?.[19];
  return start !== undefined && /^\d+$/.test(start) ? start : null;
}

/**
 * True when `pid` is alive AND is the process that was recorded with `startTime` (when known), i.e. not a newer
 * process that reuses the pid. When the start time cannot be read on this platform, a live pid counts as the same
 * process (the caller's TTL remains the backstop). That is the case under Wine: its PowerShell is a stub that prints
 * nothing, and its wmic has no `where` clause ("Command line not supported") and no CreationDate column ("Invalid
 * query"), so no Windows tool there can tell a process's start time.
 */
export async function isSameProcess(pid: number, startTime: string | null | undefined): Promise<boolean> {
  if (!isProcessAlive(pid)) return false;
  if (startTime === null || startTime === undefined || startTime === '') return true;
  const now = await processStartTime(pid);
  if (now === null) return isProcessAlive(pid);
  return now === startTime;
}

/** A command's trimmed stdout, or null on any failure (non-zero exit, missing binary, timeout) or when it printed nothing. */
async function trimmedOutput(cmd: string, args: string[]): Promise<string | null> {
  const out = await runCommand(cmd, args, { timeoutMs: COMMAND_TIMEOUT_MS }).then((s) => s.trim(), () => '');
  return out === '' ? null : out;
}
