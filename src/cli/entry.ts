// The executable's first stop: `botwarden run` with plain arguments starts without loading commander (it stays
// running, and commander would stay in its memory); every other command, help and any argument error go through
// the commander command tree in program.ts.
import { exitCodeForError, finishedCode } from './exit.js';
import { parseRunArgv } from './run-argv.js';

/** Run the CLI for `argv` (process.argv shape) and exit with the documented code. */
export async function start(argv: readonly string[]): Promise<never> {
  const fast = argv[2] === 'run' ? parseRunArgv(argv.slice(3)) : undefined;
  if (fast === undefined) {
    const { runProgram } = await import('./program.js');
    return runProgram(argv);
  }
  let code: number;
  try {
    const { runAction } = await import('./run-action.js');
    await runAction(fast.command, fast.opts);
    code = finishedCode();
  } catch (err) {
    code = exitCodeForError(err);
  }
  process.exit(code);
}
