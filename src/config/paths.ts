// Where botwarden keeps this host's state (locks, state files, logs) when `--state-dir` is not given.
import os from 'node:os';
import path from 'node:path';

/**
 * The per-user state directory: `$XDG_STATE_HOME/botwarden` or `~/.local/state/botwarden` on Linux,
 * `~/Library/Application Support/botwarden` on macOS, `%LOCALAPPDATA%\botwarden` on Windows.
 */
export function defaultStateDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  const home = os.homedir();
  if (platform === 'win32') return path.win32.join(env['LOCALAPPDATA'] || path.win32.join(home, 'AppData', 'Local'), 'botwarden');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'botwarden');
  return path.join(env['XDG_STATE_HOME'] || path.join(home, '.local', 'state'), 'botwarden');
}
