// The options of `botwarden run`, declared once: `run` parses them, `service install` forwards them into ExecStart.
import type { Command } from 'commander';
import { RUN_DEFAULTS } from '../config/index.js';

/** Every `run` option as `[flags, description]`: commander and the fast parser (run-argv.ts) read the same table. */
export const RUN_OPTIONS: ReadonlyArray<readonly [flags: string, description: string]> = [
  ['--config <path>', 'config file (default: ./botwarden.config.json, .yaml or .yml when present)'],
  ['--token-file <path>', 'file holding the bot token (default: BOT_TOKEN, then TELEGRAM_BOT_TOKEN)'],
  ['--api-root <url>', `upstream Bot API root (default: BOTWARDEN_API_ROOT or ${RUN_DEFAULTS.apiRoot})`],
  ['--state-dir <dir>', "this host's lock, state files and logs (default: the user's state directory)"],
  ['--lease <url>', 'file: (default, this host), redis://host:port[/db], postgres://user@host/db'],
  ['--lease-ttl <ms>', `lease time-to-live (default ${RUN_DEFAULTS.leaseTtlMs}); crash failover takes about this long`],
  ['--workers <url>', 'worker mode: redis://host:port[/db]; every instance runs the bot, updates are spread over them by chat (--lease defaults to it)'],
  ['--partitions <n>', `partitions of the updates in worker mode, the same on every worker (default ${RUN_DEFAULTS.partitions})`],
  ['--health-port <n>', 'serve /healthz /readyz /metrics /status on this port (default 0: pick a free one, printed)'],
  ['--health-host <host>', 'address the health server binds to (default 127.0.0.1)'],
  ['--health-allow-actions', 'let the status page restart the bot and step down (POST with a secret: BOTWARDEN_ACTIONS_SECRET, else generated into a 0600 file)'],
  ['--restart <policy>', 'always | on-failure | never (default always)'],
  ['--stop-timeout <ms>', `SIGTERM → SIGKILL grace for the bot's process tree (default ${RUN_DEFAULTS.stopTimeoutMs})`],
  ['--max-memory <size>', "restart the bot when its process tree's RSS passes this, e.g. 512M"],
  ['--log-file <path>', "also write the bot's output here, rotated by size (10 MB) and day"],
  ['--log-level <level>', "botwarden's own log level: debug, info, warn, error (default info)"],
  ['--json', "botwarden's own log lines as JSON"],
  ['--takeover', 'stop local processes that use this token outside botwarden (never without this flag)'],
  ['--fallback <command>', 'run this (a minimal bot) when the bot keeps crashing, instead of exiting'],
  ['--startup-timeout <ms>', `how long preflight retries an unreachable API or lease backend (default ${RUN_DEFAULTS.startupTimeoutMs})`],
  ['--drain-quiet <ms>', `on a graceful stop or planned restart, SIGTERM only once the bot made no Bot API call for this long, within --stop-timeout (default ${RUN_DEFAULTS.drainQuietMs}; 0 = no drain)`],
  ['--standby <mode>', 'cold (default: the bot starts on taking over) or hot (the bot runs all along; its getUpdates held until this instance leads)'],
  ['--allow-drop-pending', "let the bot's drop-pending requests through (deleteWebhook/setWebhook drop_pending_updates, getUpdates offset<0); by default the gateway keeps pending updates"],
];

/** Add every `run` option to `cmd` (values stay strings; src/config validates them). */
export function addRunOptions(cmd: Command): Command {
  for (const [flags, description] of RUN_OPTIONS) cmd.option(flags, description);
  return cmd;
}
