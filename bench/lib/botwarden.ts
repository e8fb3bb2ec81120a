// The botwarden side of each benchmark: the built CLI (dist/bin/botwarden.js), detection of `run`, its /status.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StatusSnapshot } from '../../src/health/status.js';
import { runCmd, startProc, type Proc } from './proc.js';
import { shebangNodeFlags } from '../../src/util/shebang.js';
import { startFleetEmulator, type RunningEmulator } from '../../test/helpers/fleet.js';

/** Repository root (bench/lib → ../..). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built executable the benchmarks run; BENCH_BOTWARDEN_BIN=path measures another build (e.g. a release). */
export const BOTWARDEN_BIN = process.env.BENCH_BOTWARDEN_BIN ? path.resolve(process.env.BENCH_BOTWARDEN_BIN) : path.join(ROOT, 'dist', 'bin', 'botwarden.js');
/** Shown in botwarden's column while `botwarden run` is not in the build. */
export const RUN_NA = 'run not built yet';

let runAvailable: Promise<boolean> | undefined;
let emulatorAvailable: Promise<boolean> | undefined;

/** Whether `botwarden run --help` succeeds in the build (checked once). */
export function hasRun(): Promise<boolean> {
  runAvailable ??= helpWorks('run');
  return runAvailable;
}

/** Whether `botwarden emulator --help` succeeds in the build (checked once). */
export function hasEmulatorCommand(): Promise<boolean> {
  emulatorAvailable ??= helpWorks('emulator');
  return emulatorAvailable;
}

async function helpWorks(command: string): Promise<boolean> {
  if (!existsSync(BOTWARDEN_BIN)) return false;
  const r = await runCmd(process.execPath, [BOTWARDEN_BIN, command, '--help'], { timeoutMs: 15_000 });
  return r.code === 0 && r.output.includes(command);
}

/** Options for one `botwarden run` (docs/contract.md §2). */
export interface RunOptions {
  token: string;
  apiRoot: string;
  stateDir: string;
  /** The bot command, e.g. [process.execPath, 'bench/fixtures/idle.mjs']. */
  command: string[];
  lease?: string;
  leaseTtlMs?: number;
  restart?: 'always' | 'on-failure' | 'never';
  stopTimeoutMs?: number;
  /** Extra environment for botwarden (and so its child), e.g. STAMP_FILE. */
  env?: Record<string, string>;
  /** Further `run` options, e.g. ['--standby', 'hot']. */
  args?: string[];
}

/** A running `botwarden run`. */
export interface BotwardenRun {
  proc: Proc;
  /** Resolves with the health port once botwarden printed it. */
  healthPort(timeoutMs?: number): Promise<number>;
  /** GET /status (undefined when unreachable). */
  status(): Promise<BotwardenStatus | undefined>;
}

/** GET /status of `botwarden run` (its type from src/health/status.ts). */
export type BotwardenStatus = StatusSnapshot;

/** Start `node dist/bin/botwarden.js run … -- <command>` with a health port picked by the OS. */
export function startBotwardenRun(o: RunOptions): BotwardenRun {
  const args = [BOTWARDEN_BIN, 'run', '--api-root', o.apiRoot, '--state-dir', o.stateDir, '--health-port', '0'];
  if (o.lease) args.push('--lease', o.lease);
  if (o.leaseTtlMs !== undefined) args.push('--lease-ttl', String(o.leaseTtlMs));
  if (o.restart) args.push('--restart', o.restart);
  if (o.stopTimeoutMs !== undefined) args.push('--stop-timeout', String(o.stopTimeoutMs));
  args.push(...(o.args ?? []), '--', ...o.command);
  const env: Record<string, string | undefined> = { ...process.env, ...o.env, BOT_TOKEN: o.token };
  delete env.TELEGRAM_BOT_TOKEN;
  delete env.BOTWARDEN_API_ROOT;
  const proc = startProc(process.execPath, [...shebangFlags(), ...args], { cwd: ROOT, env });
  let port: number | undefined;
  const healthPort = async (timeoutMs = 15_000): Promise<number> => {
    if (port !== undefined) return port;
    const m = await proc.waitFor(/(?:health|status|metrics)[^\n]*?(?:127\.0\.0\.1|localhost):(\d+)/i, timeoutMs);
    port = Number(m[1]);
    return port;
  };
  const status = async (): Promise<BotwardenStatus | undefined> => {
    if (port === undefined) return undefined;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/status`, { signal: AbortSignal.timeout(2000) });
      return res.ok ? ((await res.json()) as BotwardenStatus) : undefined;
    } catch {
      return undefined;
    }
  };
  return { proc, healthPort, status };
}

/** Node flags the installed `botwarden` command runs with (its `#!/usr/bin/env -S node …` line), so the benchmarks measure that. */
export function shebangFlags(): string[] {
  return shebangNodeFlags(BOTWARDEN_BIN);
}

/** Why the emulator cannot be started (the build has no `botwarden emulator`), or undefined when it can. */
export async function emulatorMissing(): Promise<string | undefined> {
  return (await hasEmulatorCommand()) ? undefined : 'emulator not built yet';
}

/** `botwarden emulator` of the measured build, in its own process (its work is not measured with the harness's). */
export function startBenchEmulator(): Promise<RunningEmulator> {
  return startFleetEmulator({ process: { dist: BOTWARDEN_BIN } });
}
