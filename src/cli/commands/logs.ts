// `botwarden logs [name] [-f] [--lines N]`: the bots' output as `botwarden up` wrote it (already redacted), one
// bot or all of them interleaved by time, each line prefixed with its bot's name.
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { Command } from '../commander.js';
import { resolveStateDir } from '../../config/index.js';
import { BotwardenError, usageError } from '../../errors.js';
import { redact } from '../../util/redact.js';
import { fleetGet, liveFleet } from '../../control/fleet.js';
import type { FleetStatus } from '../../daemon/fleet.js';
import { readFleetRecord } from '../../state/fleet-file.js';

interface LogsOptions {
  stateDir?: string;
  config?: string;
  follow?: boolean;
  lines?: string;
}

/** Register `botwarden logs`. */
export function registerLogsCommand(program: Command): void {
  program
    .command('logs')
    .description('print the output of one bot of "botwarden up" (or of all, interleaved by time); -f to follow')
    .argument('[name]', "the bot's name in the config file (default: every bot)")
    .option('-f, --follow', 'keep printing new lines until interrupted')
    .option('--lines <n>', 'how many of the last lines to print first (default 50)')
    .option('--state-dir <dir>', 'the state directory "up" uses')
    .option('--config <path>', 'config file to read stateDir from')
    .action((name: string | undefined, opts: LogsOptions) => logsAction(name, opts));
}

async function logsAction(name: string | undefined, opts: LogsOptions): Promise<void> {
  const lines = opts.lines === undefined ? 50 : Number(opts.lines);
  if (!Number.isInteger(lines) || lines < 0) throw usageError('--lines', 'a whole number ≥ 0', opts.lines);
  const stateDir = resolveStateDir(opts.stateDir, opts.config === undefined ? {} : { config: opts.config });
  const files = await logFiles(stateDir);
  const chosen = name === undefined ? files : files.filter((f) => f.name === name);
  if (chosen.length === 0) {
    throw new BotwardenError('NO_LOGS', name === undefined ? `no bot logs in ${path.join(stateDir, 'logs')}` : `no log for a bot named "${name}" (known: ${files.map((f) => f.name).join(', ') || 'none'})`, {
      exit: name === undefined ? 'notRunning' : 'usage',
      hint: 'start the bots with "botwarden up" (pass --state-dir if it uses another state directory)',
    });
  }
  const prefix = chosen.length > 1 || name === undefined;
  const tail: Array<{ at: string; text: string }> = [];
  const offsets = new Map<string, number>();
  for (const f of chosen) {
    const { text, size } = readFrom(f.file, Math.max(0, sizeOf(f.file) - Math.max(64 * 1024, lines * 1024)));
    offsets.set(f.file, size);
    const all = text.split('\n').filter((l) => l !== '');
    // The first line may be cut where reading started: drop it unless the whole file was read.
    if (size > text.length && all.length > 0) all.shift();
    for (const l of all.slice(-lines)) tail.push({ at: l.slice(0, 24), text: prefix ? `${f.name} | ${l}` : l });
  }
  tail.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  for (const l of tail.slice(-lines)) process.stdout.write(`${redact(l.text)}\n`);
  if (!opts.follow) return;
  const partial = new Map<string, string>();
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      clearInterval(timer);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const timer = setInterval(() => {
      for (const f of chosen) {
        const size = sizeOf(f.file);
        let from = offsets.get(f.file) ?? 0;
        if (size < from) from = 0; // rotated: the new file starts from the beginning
        if (size === from) continue;
        const { text, size: end } = readFrom(f.file, from);
        offsets.set(f.file, end);
        const chunk = (partial.get(f.file) ?? '') + text;
        const parts = chunk.split('\n');
        partial.set(f.file, parts.pop() ?? '');
        for (const l of parts) if (l !== '') process.stdout.write(`${redact(prefix ? `${f.name} | ${l}` : l)}\n`);
      }
    }, 250);
  });
}

/** The bots' log files: from the running `up` (a bot may set its own logFile), else `<stateDir>/logs/*.log`. */
async function logFiles(stateDir: string): Promise<Array<{ name: string; file: string }>> {
  if (readFleetRecord(stateDir)) {
    try {
      const status = await fleetGet<FleetStatus>(await liveFleet(stateDir), '/status');
      const out = status.bots.flatMap((b) => (b.logFile ? [{ name: b.name, file: b.logFile }] : []));
      if (out.length) return out.filter((f) => existsSync(f.file));
    } catch {
      // not running: read the directory
    }
  }
  const dir = path.join(stateDir, 'logs');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.log'));
  } catch {
    return [];
  }
  return names.sort().map((n) => ({ name: n.slice(0, -'.log'.length), file: path.join(dir, n) }));
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function readFrom(file: string, from: number): { text: string; size: number } {
  const size = sizeOf(file);
  if (size <= from) return { text: '', size };
  const buf = Buffer.alloc(size - from);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, from);
  } finally {
    closeSync(fd);
  }
  return { text: buf.toString('utf8'), size };
}
