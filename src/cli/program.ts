// The commander command tree: declares every command, runs the one argv names and exits with its documented code
// (with entry.ts's fast path for `run`, the only place that exits the process).
import { Command, CommanderError } from './commander.js';
import { ExitCode } from '../errors.js';
import { exitCodeForError, finishedCode } from './exit.js';
import { VERSION } from '../version.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerEmulatorCommand } from './commands/emulator.js';
import { registerServiceCommand } from './commands/service.js';
import { registerRunCommand } from './commands/run.js';
import { registerStatusCommand } from './commands/status.js';
import { registerStopCommand } from './commands/stop.js';
import { registerUpCommand } from './commands/up.js';
import { registerLsCommand } from './commands/ls.js';
import { registerLogsCommand } from './commands/logs.js';
import { registerBotControlCommands } from './commands/bot-control.js';

/** Build the command tree. Each command module adds itself. */
export function buildProgram(): Command {
  const program = new Command('botwarden')
    .description('Run a Telegram bot as exactly one live instance: no 409 Conflict, no lost update.')
    .version(VERSION, '-V, --version', 'print the version and exit')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerRunCommand(program);
  registerStatusCommand(program);
  registerStopCommand(program);
  registerUpCommand(program);
  registerLsCommand(program);
  registerLogsCommand(program);
  registerBotControlCommands(program);
  registerDoctorCommand(program);
  registerEmulatorCommand(program);
  registerServiceCommand(program);
  return program;
}

/** Parse argv with the command tree, run the command, and exit with its documented code. */
export async function runProgram(argv: readonly string[]): Promise<never> {
  const program = buildProgram();
  let code: number;
  try {
    await program.parseAsync([...argv]);
    code = finishedCode();
  } catch (err) {
    code = exitCodeFor(err);
  }
  process.exit(code);
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version end here with code 0; usage errors were already printed by commander.
    return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  return exitCodeForError(err);
}
