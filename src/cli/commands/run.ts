// `botwarden run [options] -- <command…>`: run one bot as exactly one live instance (docs/contract.md §2, ★).
import { Command } from '../commander.js';
import type { RunCliOptions } from '../../config/index.js';
import { addRunOptions } from '../run-options.js';
import { runAction } from '../run-action.js';

/** Register `botwarden run`. */
export function registerRunCommand(program: Command): void {
  const cmd = program
    .command('run')
    .description('run a bot (any language) as exactly one live instance: preflight, lock/lease, gateway, restarts, logs, health')
    .usage('[options] -- <command> [args…]')
    .argument('[command...]', 'the bot command, after --');
  addRunOptions(cmd);
  cmd.action((args: string[], opts: RunCliOptions) => runAction(args, opts));
}
