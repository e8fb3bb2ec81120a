// `botwarden up [--config FILE] [--state-dir DIR] [--health-port N] [--env-file FILE]`: every bot of the config file in one process
// (docs/contract.md §6.1, ★), and `botwarden reload`, which makes a running `up` re-read that file.
import { Command } from '../commander.js';
import { resolveFleetConfig, resolveStateDir, type FleetCliOptions } from '../../config/index.js';
import { Logger } from '../../log.js';
import { BotwardenError, ExitCode } from '../../errors.js';
import { fleetCommand, liveFleet } from '../../control/fleet.js';

/** Register `botwarden up` and `botwarden reload`. */
export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('run every bot listed under "bots:" in the config file, in one process (each bot: own lease, gateway, restarts, logs)')
    .option('--config <path>', 'config file (default: ./botwarden.config.json, .yaml or .yml)')
    .option('--state-dir <dir>', "this host's leases, state files and logs (default: the user's state directory)")
    .option('--health-port <n>', 'serve /healthz /readyz /metrics /status (every bot) and the overview page on this port (default 0: pick one, printed)')
    .option('--health-host <host>', 'address the health server binds to (default 127.0.0.1)')
    .option('--log-level <level>', "botwarden's own log level: debug, info, warn, error (default info)")
    .option('--json', "botwarden's own log lines as JSON")
    .option('--env-file <path>', 'read variables (the bots\' tokenEnv) from this file of NAME=value lines; the real environment wins over it, it wins over the .env beside the config')
    .action((opts: FleetCliOptions) => upAction(opts));

  program
    .command('reload')
    .description('make the running "botwarden up" re-read its config file: start new bots, stop removed ones, restart changed ones, leave the rest')
    .option('--state-dir <dir>', 'the state directory "up" uses')
    .option('--config <path>', 'config file to read stateDir from')
    .action(async (opts: { stateDir?: string; config?: string }) => {
      const rec = await liveFleet(resolveStateDir(opts.stateDir, opts.config === undefined ? {} : { config: opts.config }));
      const r = await fleetCommand(rec, 'reload');
      const b = r.body;
      if (r.status !== 200) {
        throw new BotwardenError('RELOAD_FAILED', `reload: ${String(b['error'] ?? `HTTP ${r.status}`)} (the running bots are unchanged)`, {
          exit: 'usage',
          ...(typeof b['hint'] === 'string' ? { hint: b['hint'] } : { hint: `fix ${rec.configFile} and run "botwarden reload" again` }),
        });
      }
      const list = (k: string): string => ((b[k] as string[] | undefined) ?? []).join(', ') || '—';
      process.stdout.write(`reloaded ${rec.configFile}\n  started:   ${list('started')}\n  restarted: ${list('restarted')}\n  stopped:   ${list('stopped')}\n  unchanged: ${list('unchanged')}\n`);
      const invalid = (b['invalid'] as Array<{ name: string; reason: string }> | undefined) ?? [];
      for (const i of invalid) process.stdout.write(`  not valid: ${i.name}: ${i.reason}\n`);
      if (invalid.length) process.exitCode = ExitCode.failure;
    });
}

/** Run the bots until SIGTERM/SIGINT; sets process.exitCode. */
async function upAction(opts: FleetCliOptions): Promise<void> {
  const config = resolveFleetConfig(opts);
  const logger = new Logger({ level: config.logLevel, json: config.json, sink: process.stderr });
  const { Fleet } = await import('../../daemon/fleet.js');
  const fleet = new Fleet(config, {
    logger,
    announce: (line) => process.stdout.write(`${line}\n`),
    reread: () => resolveFleetConfig({ ...opts, config: config.configFile }),
  });
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupts += 1;
    if (interrupts === 1) {
      logger.info(`${sig}: stopping every bot and releasing their leases (${sig === 'SIGINT' ? 'press Ctrl-C again to force' : 'send SIGINT to force'})`);
      fleet.stop();
    } else if (sig === 'SIGINT' || interrupts > 2) {
      logger.warn(`${sig} again: forcing the stop`);
      fleet.stop({ force: true });
    }
  };
  const signals: NodeJS.Signals[] = process.platform === 'win32' ? ['SIGINT', 'SIGTERM', 'SIGBREAK'] : ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  try {
    process.exitCode = await fleet.run();
  } finally {
    for (const s of signals) process.removeListener(s, onSignal);
  }
}
