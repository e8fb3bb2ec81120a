// Shared by the service tests: check a written systemd unit with `systemd-analyze verify` where that tool exists.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** `systemd-analyze verify <unit>` (rejects on a syntax error); does nothing where systemd-analyze is missing. */
export async function verifySystemdUnit(unitFile: string): Promise<void> {
  try {
    await run('systemd-analyze', ['--version']);
  } catch {
    return;
  }
  await run('systemd-analyze', ['verify', unitFile]);
}
