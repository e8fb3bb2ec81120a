// Process groups of the instances a test starts: every group is SIGCONT+SIGKILLed when the test process exits,
// whatever happened; freezing (SIGSTOP) and killing a "host" whole. POSIX only (process groups, /proc).
import { readdirSync, readFileSync } from 'node:fs';

const liveGroups = new Set<number>();
let exitHookInstalled = false;

/** Remember `pgid` so the exit hook kills it. */
export function trackGroup(pgid: number): void {
  liveGroups.add(pgid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const g of liveGroups) killGroup(g, 'SIGKILL');
  });
}

/** Signal a whole process group; false when it is gone. SIGKILL is preceded by SIGCONT (a stopped group dies either way, but its members' parents see a clean state). */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    if (signal === 'SIGKILL') process.kill(-pgid, 'SIGCONT');
    process.kill(-pgid, signal);
    return true;
  } catch {
    if (signal === 'SIGKILL') liveGroups.delete(pgid);
    return false;
  }
}

/** `pid` and all its descendants (Linux /proc). */
export function descendantsOf(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i] as number;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        for (const c of readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim().split(/\s+/)) if (c) out.push(Number(c));
      } catch {
        // the task ended meanwhile
      }
    }
  }
  return out;
}

/** The process group id of `pid` (Linux /proc), or undefined when it is gone. */
export function pgidOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[2]);
  } catch {
    return undefined;
  }
}

/** The distinct process groups of `pid` and its descendants (botwarden's own and its bot's). */
export function groupsOf(pid: number): number[] {
  const groups = new Set<number>();
  for (const p of descendantsOf(pid)) {
    const g = pgidOf(p);
    if (g !== undefined && g > 1) groups.add(g);
  }
  return [...groups];
}
