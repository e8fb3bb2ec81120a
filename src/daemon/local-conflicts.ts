// Preflight "local conflicts": stop this bot's orphans left by a botwarden that died, then find other local
// processes holding the token; stop them only with --takeover.
import { BotwardenError } from '../errors.js';
import type { Logger } from '../log.js';
import { readHostInstances } from '../control/instances.js';
import { conflictsAmong, findTokenHolders, type TokenHolder } from '../process/conflicts.js';
import { stopTree } from '../process/tree.js';
import type { ProcessEntry } from '../process/table.js';
import type { Steps } from './steps.js';

/** Stop bots whose botwarden died (kill -9): the orphans this host's instance records name, stopped without asking. */
export async function stopOrphans(opts: { stateDir: string; botId: number; stopTimeoutMs: number; logger: Logger }): Promise<number[]> {
  const stopped: number[] = [];
  const { orphaned } = await readHostInstances(opts.stateDir, opts.botId);
  for (const rec of orphaned) {
    if (!rec.child) continue;
    opts.logger.warn(`stopping an orphaned bot process (pid ${rec.child.pid}) left running by botwarden pid ${rec.pid}, which is gone`);
    await stopTree(rec.child.pid, { graceMs: opts.stopTimeoutMs });
    stopped.push(rec.child.pid);
  }
  // Their records are stale now: the same rule removes them.
  if (stopped.length > 0) await readHostInstances(opts.stateDir, opts.botId);
  return stopped;
}

/** The whole step: orphans, then other holders of the token. Throws exit 7 when some remain and --takeover is off. */
export async function resolveLocalConflicts(opts: {
  token: string;
  stateDir: string;
  botId: number;
  takeover: boolean;
  stopTimeoutMs: number;
  steps: Steps;
  logger: Logger;
  /** Where the process table comes from (`up` shares one read between its bots); default: read it now. */
  table?: () => Promise<ProcessEntry[]>;
}): Promise<{ orphansStopped: number[]; takenOver: TokenHolder[] }> {
  opts.steps.start('conflicts', 'local conflicts');
  const orphansStopped = await stopOrphans(opts);
  const orphanNote = orphansStopped.length ? `stopped orphan bot pid ${orphansStopped.join(', ')}; ` : '';
  // Other botwarden instances of this bot and what they started are not conflicts: the lease arbitrates between them.
  const instances = (await readHostInstances(opts.stateDir, opts.botId)).live.map((r) => ({ pid: r.pid, instanceId: r.instanceId }));
  let holders: TokenHolder[];
  try {
    holders = await findTokenHolders(opts.token, { excludePids: [process.pid], instances, ...(opts.table ? { table: await opts.table() } : {}) });
  } catch (err) {
    opts.steps.warn('conflicts', `${orphanNote}not checked: ${err instanceof Error ? err.message : String(err)}`);
    return { orphansStopped, takenOver: [] };
  }
  // Which holders conflict is process/conflicts.ts's one definition (doctor reports the same ones).
  const conflicts = conflictsAmong(holders);
  if (conflicts.length === 0) {
    opts.steps.ok('conflicts', `${orphanNote}no other process holds this token`);
    return { orphansStopped, takenOver: [] };
  }
  const list = conflicts.map((c) => `pid ${c.pid}: ${c.command}`).join('; ');
  if (!opts.takeover) {
    opts.steps.fail('conflicts', `${conflicts.length} unmanaged process(es) hold this token: ${list}`);
    throw new BotwardenError('LOCAL_CONFLICT', `${conflicts.length} process(es) on this host use this bot's token outside botwarden and would cause 409 Conflict: ${list}`, {
      exit: 'conflict',
      hint: 'stop them yourself, or rerun with --takeover to have botwarden stop them (SIGTERM, then SIGKILL after --stop-timeout)',
    });
  }
  for (const c of conflicts) {
    opts.steps.progress('conflicts', `--takeover: stopping pid ${c.pid}`);
    const r = await stopTree(c.pid, { graceMs: opts.stopTimeoutMs });
    opts.logger.warn(`--takeover: stopped pid ${c.pid} (${c.command})${r.forced ? ' with SIGKILL' : ''}`);
  }
  opts.steps.warn('conflicts', `${orphanNote}--takeover stopped ${list}`);
  return { orphansStopped, takenOver: conflicts };
}
