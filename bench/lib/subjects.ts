// Starts the same fixture bots under each subject (botwarden, PM2, supervisord, bare node) the same way.
import path from 'node:path';
import { Pm2Peer } from '../peers/pm2.js';
import { SupervisordPeer } from '../peers/supervisord.js';
import { startBotwardenRun, type BotwardenRun, type RunOptions } from './botwarden.js';
import type { RunningEmulator } from '../../test/helpers/fleet.js';
import { startProc, type Proc } from './proc.js';
import { readStamps } from './stamps.js';

/** A fixture bot to supervise: a command line and its environment (STAMP_FILE etc.). */
export interface BotSpec {
  name: string;
  command: string[];
  env: Record<string, string>;
  /** The file the fixture stamps into; its pids are tracked for the reaper. */
  stampFile: string;
}

/** Bots running under one subject. */
export interface Launched {
  /** The supervisor's own processes (not the bots): what footprint measures and stop signals. */
  supervisorPids(): number[];
  /** Stop everything politely, then by force; safe twice. */
  close(): Promise<void>;
}

/** Make a BotSpec for fixture `file` (in bench/fixtures) stamping into `dir/<name>.stamps`. */
export function fixtureBot(fixturesDir: string, file: string, dir: string, name: string, env: Record<string, string> = {}): BotSpec {
  const stampFile = path.join(dir, `${name}.stamps`);
  return { name, command: [process.execPath, path.join(fixturesDir, file)], env: { ...env, STAMP_FILE: stampFile }, stampFile };
}

/** All pids the bots stamped so far (for the reaper). */
export function botPids(bots: readonly BotSpec[]): number[] {
  return [...new Set(bots.flatMap((b) => readStamps(b.stampFile).map((e) => e.pid)))].filter((p) => p > 0);
}

/** Bare `node bot.js`, no supervisor (the reference row). */
export function launchBare(bots: readonly BotSpec[]): Launched {
  const procs: Proc[] = bots.map((b) => startProc(b.command[0] as string, b.command.slice(1), { env: { ...process.env, ...b.env } }));
  return {
    supervisorPids: () => [],
    close: async () => {
      await Promise.all(procs.map((p) => p.stop(2000)));
    },
  };
}

/** PM2 options compared. */
export interface Pm2Options {
  restartDelayMs?: number;
  expBackoffRestartDelayMs?: number;
}

/** Bots as apps of an already running private PM2 daemon; close() deletes them (the daemon stays). */
export async function launchPm2(peer: Pm2Peer, bots: readonly BotSpec[], o: Pm2Options = {}): Promise<Launched> {
  await peer.startApps(
    bots.map((b) => ({
      name: b.name,
      script: b.command[0] as string,
      args: b.command.slice(1),
      env: b.env,
      restartDelayMs: o.restartDelayMs,
      expBackoffRestartDelayMs: o.expBackoffRestartDelayMs,
    })),
  );
  let closed = false;
  return {
    supervisorPids: () => {
      const pid = peer.daemonPid();
      return pid ? [pid] : [];
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await peer.deleteAll().catch(() => undefined);
    },
  };
}

/** Bots as programs of a fresh private supervisord; close() stops supervisord. */
export async function launchSupervisord(bots: readonly BotSpec[]): Promise<Launched & { peer: SupervisordPeer }> {
  const peer = await SupervisordPeer.start(bots.map((b) => ({ name: b.name, command: b.command, env: b.env, autorestart: 'true' })));
  return { peer, supervisorPids: () => [peer.pid], close: () => peer.close() };
}

/** Options for botwarden runs (beyond token/api root/state dir, which are made per bot). */
export type BotwardenOptions = Omit<RunOptions, 'token' | 'apiRoot' | 'stateDir' | 'command' | 'env'> & {
  /** Where botwarden reaches the Bot API (default: the emulator), e.g. an HTTPS front for it. */
  apiRoot?: string;
  /** Extra environment for botwarden (and so its bots), e.g. NODE_EXTRA_CA_CERTS. */
  env?: Record<string, string>;
};

/** One `botwarden run` per bot (botwarden supervises one bot per instance), each with its emulator bot and state dir. */
export async function launchBotwarden(
  emu: RunningEmulator,
  bots: readonly BotSpec[],
  stateDirOf: (name: string) => string,
  o: BotwardenOptions = {},
): Promise<Launched & { runs: BotwardenRun[] }> {
  const runs: BotwardenRun[] = [];
  try {
    for (const b of bots) {
      const bot = await emu.createBot(`${b.name.replace(/[^a-z0-9_]/gi, '_')}_bot`);
      runs.push(startBotwardenRun({ ...o, token: bot.token, apiRoot: o.apiRoot ?? emu.url, stateDir: stateDirOf(b.name), command: b.command, env: { ...b.env, ...o.env } }));
    }
  } catch (err) {
    await Promise.all(runs.map((r) => r.proc.stop(3000)));
    throw err;
  }
  return {
    runs,
    supervisorPids: () => runs.filter((r) => !r.proc.hasExited()).map((r) => r.proc.pid),
    close: async () => {
      await Promise.all(runs.map((r) => r.proc.stop(5000)));
    },
  };
}
