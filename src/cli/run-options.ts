// The options of `botwarden run`, declared once: `run` parses them, `service install` forwards them into ExecStart.
import type { Command } from 'commander';
import { RUN_DEFAULTS } from '../config/index.js';

/** Add every `run` option to `cmd` (values stay strings; src/config validates them). */
export function addRunOptions(cmd: Command): Command {
  return cmd
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
    .option('--startup-timeout <ms>', `how long preflight retries an unreachable API or lease backend (default ${RUN_DEFAULTS.startupTimeoutMs})`);
}
