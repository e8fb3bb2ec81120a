// `botwarden run [options] -- <command…>`: run one bot as exactly one live instance (DESIGN.md ★).
import { Command } from 'commander';
import { resolveRunConfig, RUN_DEFAULTS, type RunCliOptions } from '../../config/index.js';
import { Logger, type LogEntry } from '../../log.js';
import { checklistRenderer } from '../checklist.js';

/** Register `botwarden run`. */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run a bot (any language) as exactly one live instance: preflight, lock/lease, gateway, restarts, logs, health')
    .usage('[options] -- <command> [args…]')
    .argument('[command...]', 'the bot command, after --')
    .option('--config <path>', 'config file (default: ./botwarden.config.json, .yaml or .yml when present)')
    .option('--token-file <path>', 'file holding the bot token (default: BOT_TOKEN, then TELEGRAM_BOT_TOKEN)')
    .option('--api-root <url>', `upstream Bot API root (default: BOTWARDEN_API_ROOT or ${RUN_DEFAULTS.apiRoot})`)
    .option('--state-dir <dir>', "this host's lock, state files and logs (default: the user's state directory)")
    .option('--lease <url>', 'file: (default, this host), redis://host:port[/db], postgres://user@host/db')
    .option('--lease-ttl <ms>', `lease time-to-live (default ${RUN_DEFAULTS.leaseTtlMs}); crash failover takes about this long`)
    .option('--health-port <n>', 'serve /healthz /readyz /metrics /status on this port (default 0: pick a free one, printed)')
    .option('--health-host <host>', 'address the health server binds to (default 127.0.0.1)')
    .option('--health-allow-actions', 'let the status page restart the bot and step down (POST with a secret: BOTWARDEN_ACTIONS_SECRET, else generated into a 0600 file)')
    .option('--restart <policy>', 'always | on-failure | never (default always)')
    .option('--stop-timeout <ms>', `SIGTERM → SIGKILL grace for the bot's process tree (default ${RUN_DEFAULTS.stopTimeoutMs})`)
    .option('--max-memory <size>', "restart the bot when its process tree's RSS passes this, e.g. 512M")
    .option('--log-file <path>', "also write the bot's output here, rotated by size (10 MB) and day")
    .option('--log-level <level>', "botwarden's own log level: debug, info, warn, error (default info)")
    .option('--json', "botwarden's own log lines as JSON")
    .option('--takeover', 'stop local processes that use this token outside botwarden (never without this flag)')
    .option('--fallback <command>', 'run this (a minimal bot) when the bot keeps crashing, instead of exiting')
    .option('--startup-timeout <ms>', `how long preflight retries an unreachable API or lease backend (default ${RUN_DEFAULTS.startupTimeoutMs})`)
    .action(async (args: string[], opts: RunCliOptions) => {
      const config = resolveRunConfig(opts, args);
      // Loaded here, not at the top: other commands (and --help) do not pay for the daemon's modules.
      const { Daemon } = await import('../../daemon/daemon.js');
      // The status page shows botwarden's own recent log lines too: the daemon keeps them once it exists.
      const tap: { onLine?: (e: LogEntry) => void } = {};
      const logger = new Logger({ level: config.logLevel, json: config.json, sink: process.stderr, onLine: (e) => tap.onLine?.(e) });
      const tty = Boolean(process.stderr.isTTY) && !config.json;
      const daemon = new Daemon(config, {
        logger,
        onStep: checklistRenderer({ tty, out: process.stderr, logger: logger.child('preflight') }),
        announce: (line) => process.stdout.write(`${line}\n`),
      });
      tap.onLine = (e) => daemon.recordLogLine(e);
      let interrupts = 0;
      const onSignal = (sig: NodeJS.Signals): void => {
        interrupts += 1;
        if (interrupts === 1) {
          logger.info(`${sig}: stopping the bot and releasing the lease (${sig === 'SIGINT' ? 'press Ctrl-C again to force' : 'send SIGINT to force'})`);
          daemon.stop();
        } else if (sig === 'SIGINT' || interrupts > 2) {
          logger.warn(`${sig} again: forcing the stop`);
          daemon.stop({ force: true });
        }
      };
      const signals: NodeJS.Signals[] = process.platform === 'win32' ? ['SIGINT', 'SIGTERM', 'SIGBREAK'] : ['SIGINT', 'SIGTERM', 'SIGHUP'];
      for (const s of signals) process.on(s, onSignal);
      try {
        process.exitCode = await daemon.run();
      } finally {
        for (const s of signals) process.removeListener(s, onSignal);
      }
    });
}
