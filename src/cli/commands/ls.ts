// `botwarden ls [--state-dir DIR] [--json]`: the bots of this host's `botwarden up`, as its /status lists them.
import { Command } from '../commander.js';
import { resolveStateDir } from '../../config/index.js';
import { fleetGet, liveFleet } from '../../control/fleet.js';
import type { FleetStatus } from '../../daemon/fleet.js';

/** Register `botwarden ls`. */
export function registerLsCommand(program: Command): void {
  program
    .command('ls')
    .description('list the bots of this host\'s "botwarden up": role, leader\'s host, pid, uptime, restarts, memory, 409s absorbed, updates/min')
    .option('--state-dir <dir>', 'the state directory "up" uses')
    .option('--config <path>', 'config file to read stateDir from')
    .option('--json', 'print the bots as a JSON array (the "bots" of /status)')
    .action(async (opts: { stateDir?: string; config?: string; json?: boolean }) => {
      const rec = await liveFleet(resolveStateDir(opts.stateDir, opts.config === undefined ? {} : { config: opts.config }));
      const status = await fleetGet<FleetStatus>(rec, '/status');
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(status.bots, null, 2)}\n`);
        return;
      }
      process.stdout.write(renderTable(status));
    });
}

/** The human table. */
export function renderTable(s: FleetStatus, now = Date.now()): string {
  const head = ['BOT', 'ROLE', 'LEADER', 'PID', 'UPTIME', 'RESTARTS', 'MEMORY', '409s', 'UPD/MIN'];
  const rows = s.bots.map((b) => [
    b.name + (b.bot.username ? ` (@${b.bot.username})` : ''),
    b.error ? `${b.role}: ${b.error}` : b.role,
    b.lease.holder ? `${b.lease.holder.host}:${b.lease.holder.pid}` : '—',
    b.child.pid === null ? '—' : String(b.child.pid),
    b.child.startedAt === null || b.child.pid === null ? '—' : duration(now - b.child.startedAt),
    String(b.child.restarts),
    b.child.memoryBytes === null ? '—' : `${(b.child.memoryBytes / 1048576).toFixed(1)} MB`,
    String(b.conflicts),
    String(b.updatesPerMin),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ') + '\n';
  const out = line(head) + rows.map(line).join('');
  return out;
}

function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`;
}
