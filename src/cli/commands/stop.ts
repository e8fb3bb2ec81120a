// `botwarden stop`: ask this host's running instance(s) to stop gracefully (bot stopped, offset confirmed, lease released).
import { Command } from '../commander.js';
import { resolveStateDir } from '../../config/index.js';
import { BotwardenError } from '../../errors.js';
import { liveInstances, requestStop, waitGone } from '../../control/instances.js';
import { parseDurationMs } from '../../config/index.js';
import { usageError } from '../../errors.js';
import { botControl } from './bot-control.js';

interface StopCliOptions {
  stateDir?: string;
  config?: string;
  bot?: string;
  timeout?: string;
}

/** Register `botwarden stop`. */
export function registerStopCommand(program: Command): void {
  program
    .command('stop')
    .description("stop this host's botwarden instance(s) gracefully and wait until they are gone; with a name, stop that bot of \"botwarden up\"")
    .argument('[name]', 'a bot of "botwarden up" (by its name in the config file): only that bot stops, "up" keeps the others')
    .option('--state-dir <dir>', 'the state directory the instances use')
    .option('--config <path>', 'config file to read stateDir from')
    .option('--bot <id>', 'only instances of this bot id')
    .option('--timeout <ms>', 'how long to wait for each to exit (default 30000)')
    .action(async (name: string | undefined, opts: StopCliOptions) => {
      if (name !== undefined) return botControl('stop', name, opts);
      const stateDir = resolveStateDir(opts.stateDir, opts.config === undefined ? {} : { config: opts.config });
      const timeoutMs = opts.timeout === undefined ? 30_000 : parseDurationMs(opts.timeout);
      if (timeoutMs === undefined) throw usageError('--timeout', 'milliseconds or a duration such as 30s', opts.timeout);
      const botId = opts.bot === undefined ? undefined : Number(opts.bot);
      const records = await liveInstances(stateDir, botId);
      if (records.length === 0) {
        throw new BotwardenError('NOT_RUNNING', `no running botwarden instance${botId ? ` for bot ${botId}` : ''} in ${stateDir}`, {
          exit: 'notRunning',
          hint: 'nothing to stop (pass --state-dir if it uses another state directory)',
        });
      }
      for (const rec of records) {
        const how = await requestStop(rec);
        process.stdout.write(`stopping botwarden pid ${rec.pid} (bot ${rec.botId}) via ${how === 'control' ? 'its control endpoint' : signalFallback()}…\n`);
      }
      const results = await Promise.all(records.map((rec) => waitGone(rec, timeoutMs)));
      const stuck = records.filter((_r, i) => !results[i]);
      if (stuck.length) {
        throw new BotwardenError('STOP_TIMEOUT', `botwarden pid ${stuck.map((r) => r.pid).join(', ')} still running after ${timeoutMs} ms`, {
          exit: 'failure',
          hint: 'its bot may ignore SIGTERM for longer than --stop-timeout; wait, or send SIGINT twice to force',
        });
      }
      process.stdout.write(`stopped ${records.length} instance(s)\n`);
    });
}

/**
 * How the fallback (no control endpoint answered) stops botwarden. Windows has no SIGTERM: Node's kill() there is
 * TerminateProcess, a hard kill, so botwarden cannot stop its bot or release the lease.
 */
function signalFallback(): string {
  if (process.platform !== 'win32') return 'SIGTERM';
  return 'a hard kill (its control endpoint did not answer, and Windows has no SIGTERM: the bot keeps running until the next `botwarden run` stops it, and a standby takes over only when the lease expires)';
}
