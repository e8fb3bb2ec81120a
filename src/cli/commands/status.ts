// `botwarden status`: this host's instances (role, bot process, conflicts) and the lease holder as the backend sees it.
import { Command } from '../commander.js';
import { resolveStateDir } from '../../config/index.js';
import { BotwardenError } from '../../errors.js';
import { fetchStatus, liveInstances, type LiveInstance } from '../../control/instances.js';
import type { LeaseRecord } from '../../lease/types.js';

interface StatusCliOptions {
  stateDir?: string;
  config?: string;
  bot?: string;
  json?: boolean;
}

/** Register `botwarden status`. */
export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description("show this host's botwarden instances and who holds each bot's lease")
    .option('--state-dir <dir>', 'the state directory the instances use')
    .option('--config <path>', 'config file to read stateDir from')
    .option('--bot <id>', 'only this bot id')
    .option('--json', 'print JSON: [{instance, status, leaseHolder}]')
    .action(async (opts: StatusCliOptions) => {
      const stateDir = resolveStateDir(opts.stateDir, opts.config === undefined ? {} : { config: opts.config });
      const botId = opts.bot === undefined ? undefined : Number(opts.bot);
      const records = await liveInstances(stateDir, botId);
      if (records.length === 0) {
        throw new BotwardenError('NOT_RUNNING', `no running botwarden instance${botId ? ` for bot ${botId}` : ''} in ${stateDir}`, {
          exit: 'notRunning',
          hint: 'start one with  botwarden run -- <command>  (pass --state-dir if it uses another state directory)',
        });
      }
      const found = await Promise.all(records.map(fetchStatus));
      const holders = await Promise.all(found.map((f) => leaseHolder(f, stateDir)));
      if (opts.json) {
        process.stdout.write(JSON.stringify(found.map((f, i) => ({ instance: f.record.instanceId, pid: f.record.pid, status: f.status ?? null, error: f.error ?? null, leaseHolder: holders[i] ?? null })), null, 2) + '\n');
        return;
      }
      for (const [i, f] of found.entries()) process.stdout.write(render(f, holders[i] ?? null) + '\n');
    });
}

async function leaseHolder(f: LiveInstance, stateDir: string): Promise<LeaseRecord | null> {
  const { createLeaseBackend } = await import('../../lease/index.js');
  const backend = createLeaseBackend(f.record.lease, { stateDir });
  try {
    await backend.open(AbortSignal.timeout(3000));
    return await backend.holder(f.record.botId);
  } catch {
    return f.status?.lease.holder ?? null;
  } finally {
    await backend.close();
  }
}

function render(f: LiveInstance, holder: LeaseRecord | null): string {
  const r = f.record;
  const lines = [`@${r.username ?? '?'} (bot ${r.botId}) — instance ${r.instanceId}, botwarden pid ${r.pid}`];
  if (!f.status) {
    lines.push(`  status unavailable: ${f.error ?? 'unknown'}`);
  } else {
    const s = f.status;
    lines.push(`  role: ${s.role}`);
    lines.push(`  bot process: ${s.child.pid ? `pid ${s.child.pid}, ${s.child.state}` : s.child.state}, restarts ${s.child.restarts}${s.child.lastExit ? `, last exit ${s.child.lastExit.code ?? s.child.lastExit.signal} (${s.child.lastExit.reason})` : ''}`);
    lines.push(`  409s absorbed: ${s.conflicts}${Object.keys(s.conflictsByCause).length ? ` (${Object.entries(s.conflictsByCause).map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''}`);
    lines.push(`  gateway: ${s.gateway.root ?? '-'}${s.gateway.used ? `, ${s.gateway.updatesForwarded} updates forwarded` : s.role === 'leader' ? ' (not used by the bot yet: does it read TELEGRAM_API_ROOT?)' : ''}`);
    lines.push(`  health: ${r.healthUrl ?? '-'}`);
  }
  lines.push(
    holder
      ? `  lease (${r.lease}): held by ${holder.host} pid ${holder.pid}, fence ${holder.fence}, since ${new Date(holder.since).toISOString()}, expires ${new Date(holder.expiresAt).toISOString()}`
      : `  lease (${r.lease}): free`,
  );
  return lines.join('\n');
}
