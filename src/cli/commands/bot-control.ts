// `botwarden restart|start <name>` (and `stop <name>`, see stop.ts): one bot of the running `botwarden up`, gracefully.
import { Command } from '../commander.js';
import { resolveStateDir } from '../../config/index.js';
import { BotwardenError } from '../../errors.js';
import { fleetCommand, liveFleet } from '../../control/fleet.js';

/** Ask the running `up` to restart, stop or start one bot; prints what happened. */
export async function botControl(action: 'restart' | 'stop' | 'start', name: string, opts: { stateDir?: string; config?: string }): Promise<void> {
  const rec = await liveFleet(resolveStateDir(opts.stateDir, opts.config === undefined ? {} : { config: opts.config }));
  const r = await fleetCommand(rec, `bots/${encodeURIComponent(name)}/${action}`);
  if (r.status !== 200) {
    throw new BotwardenError('CONTROL_FAILED', `${action} ${name}: ${String(r.body['error'] ?? `HTTP ${r.status}`)}`, {
      exit: r.status === 404 ? 'usage' : 'failure',
      hint: r.status === 404 ? 'see "botwarden ls" for the bot names' : 'see "botwarden ls" and "botwarden logs <name>"',
    });
  }
  const note = typeof r.body['note'] === 'string' ? ` (${r.body['note']})` : '';
  const done = { restart: 'restarted', stop: 'stopped', start: 'started' }[action];
  process.stdout.write(`${name}: ${r.body['restarted'] === false ? 'not restarted' : done}${note}\n`);
}

/** Register `botwarden restart <name>` and `botwarden start <name>`. */
export function registerBotControlCommands(program: Command): void {
  for (const action of ['restart', 'start'] as const) {
    program
      .command(action)
      .description(action === 'restart' ? 'restart one bot of "botwarden up" gracefully (SIGTERM, then its stop timeout)' : 'start one bot of "botwarden up" that was stopped')
      .argument('<name>', 'the bot\'s name in the config file')
      .option('--state-dir <dir>', 'the state directory "up" uses')
      .option('--config <path>', 'config file to read stateDir from')
      .action((name: string, opts: { stateDir?: string; config?: string }) => botControl(action, name, opts));
  }
}
