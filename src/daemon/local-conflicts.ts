// Preflight "local conflicts": stop this bot's orphans left by a botwarden that died, then find other local
// processes holding the token; stop them only with --takeover.
import path from 'node:path';
import { BotwardenError } from '../errors.js';
import type { Logger } from '../log.js';
import { findTokenHolders, isBotwardenRun } from '../process/conflicts.js';
import { listDescendants, stopTree } from '../process/tree.js';
import { readInstanceRecords, removeInstanceRecord } from '../state/instance-file.js';
import { isSameProcess } from '../util/process-identity.js';
import type { Steps } from './steps.js';

/** A process that holds the token, is not ours and is not another botwarden or its bot. */
export interface LocalConflict {
  pid: number;
  command: string;
  via: string;
}

/** Processes that may hold the token without polling: shells and terminal multiplexers (they only pass the env on). */
const PASS_THROUGH = new Set(['sh', 'bash', 'zsh', 'fish', 'dash', 'ksh', 'tcsh', 'csh', 'tmux', 'screen', 'login', 'sudo', 'su', 'doas', 'cmd.exe', 'powershell.exe', 'pwsh', 'pwsh.exe', 'powershell']);


function isPassThrough(command: string): boolean {
  const first = command.trim().split(/\s+/)[0] ?? '';
  return PASS_THROUGH.has(path.basename(first.replace(/^-/, '')).toLowerCase());
}

/** Stop bots whose botwarden died (kill -9): recognised from this host's instance files, stopped without asking. */
export async function stopOrphans(opts: { stateDir: string; botId: number; stopTimeoutMs: number; logger: Logger }): Promise<number[]> {
  const stopped: number[] = [];
  for (const rec of readInstanceRecords(opts.stateDir, opts.botId)) {
    if (rec.pid === process.pid) continue;
    if (await isSameProcess(rec.pid, rec.pidStart)) continue;
    if (rec.child && (await isSameProcess(rec.child.pid, rec.child.start))) {
      opts.logger.warn(`stopping an orphaned bot process (pid ${rec.child.pid}) left running by botwarden pid ${rec.pid}, which is gone`);
      await stopTree(rec.child.pid, { graceMs: opts.stopTimeoutMs });
      stopped.push(rec.child.pid);
    }
    removeInstanceRecord(opts.stateDir, rec.botId, rec.instanceId);
  }
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
}): Promise<{ orphansStopped: number[]; takenOver: LocalConflict[] }> {
  opts.steps.start('conflicts', 'local conflicts');
  const orphansStopped = await stopOrphans(opts);
  const holders = await findTokenHolders(opts.token, { excludePids: [process.pid] });
  // Other botwarden instances and everything they started (their bots, helper processes such as tsx's esbuild
  // service that inherit the environment) are not conflicts: the lease arbitrates between instances.
  const instances = holders.filter((h) => isBotwardenRun(h.command)).map((h) => h.pid);
  const theirs = new Set((await Promise.all(instances.map((pid) => listDescendants(pid).catch(() => [] as number[])))).flat());
  const conflicts: LocalConflict[] = holders
    .filter((h) => h.managedBy === undefined && !isBotwardenRun(h.command) && !theirs.has(h.pid) && !isPassThrough(h.command))
    .map((h) => ({ pid: h.pid, command: h.command, via: h.via }));
  const orphanNote = orphansStopped.length ? `stopped orphan bot pid ${orphansStopped.join(', ')}; ` : '';
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
