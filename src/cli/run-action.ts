// What `botwarden run` does once its arguments are read (by commander, or by run-argv.ts without it).
import { resolveRunConfig, type RunCliOptions } from '../config/index.js';
import { Logger, type LogEntry } from '../log.js';
import { checklistRenderer } from './checklist.js';

/** Run the bot until it is stopped; sets process.exitCode to the documented code. */
export async function runAction(args: string[], opts: RunCliOptions): Promise<void> {
  const config = resolveRunConfig(opts, args);
  // Loaded here, not at the top: other commands (and --help) do not pay for the daemon's modules.
  const { Daemon } = await import('../daemon/daemon.js');
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
}
