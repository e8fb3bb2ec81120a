// Whether a process, or a process group, is still there: the one liveness check every module uses.
import { isDeadState, procStatFields, tryReadProcFile } from '../util/procfs.js';

const isLinux = process.platform === 'linux' || process.platform === 'android';

/**
 * True when a process with this pid is running: it exists (signal 0; EPERM means it exists but belongs to someone
 * else) and, on Linux, is not a zombie (exited, waiting for its parent to reap it: it will never run again).
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (!isLinux) return true;
  // A zombie, or its /proc entry vanished meanwhile: gone.
  const stat = tryReadProcFile(`/proc/${pid}/stat`);
  return stat !== undefined && !isDeadState(procStatFields(stat)?.[0]);
}

/** POSIX: whether any process (zombies included) is in process group `pgid` (EPERM: it exists, not ours). */
export function processGroupExists(pgid: number): boolean {
  if (!Number.isInteger(pgid) || pgid <= 0) return false;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
