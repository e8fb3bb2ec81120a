// Runs botwarden and bots with the real Windows node.exe under Wine (scripts/windows-under-wine.sh sets
// BOTWARDEN_WINE_NODE and WINEPREFIX). Wine's own limits, worked around here and nowhere in botwarden:
// - node.exe's stdio must be files, /dev/null or a terminal: a Linux pipe gives EBADF. Output goes to a file
//   that `waitFor` reads.
// - Wine 8 fails `connect` on a socket whose keep-alive was set before connecting, which Node's global fetch
//   does: every node.exe gets wine-keepalive-preload.cjs through NODE_OPTIONS.
// - A SIGTERM sent from Linux kills a Wine process outright (no console event): tests stop botwarden with
//   SIGINT (Wine turns it into Ctrl-C) or `botwarden stop`, as a Windows user would.
// - Wine's PowerShell is a stub that prints nothing, and its taskkill rejects /T: botwarden must (and does)
//   fall back on its own; the tests check the outcome, not the tool.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFleetEmulator, type RunningEmulator } from '../helpers/fleet.js';
import { eventually } from '../helpers/wait.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const WINE_NODE = process.env['BOTWARDEN_WINE_NODE'];
/** `skip` value for node:test: false under the Wine script, else one line saying how to run these tests. */
export const SKIP: string | false = WINE_NODE ? false : 'Windows tests run under Wine: bash scripts/windows-under-wine.sh';

const CLI = path.join(REPO_ROOT, 'dist', 'bin', 'botwarden.js');
const PRELOAD = path.join(REPO_ROOT, 'test', 'windows', 'wine-keepalive-preload.cjs');
const BOT_FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'bots');

/** A Linux path as Windows programs under Wine see it (drive Z: is the Linux root). */
export function winPath(p: string): string {
  return `Z:${path.resolve(p).replaceAll('/', '\\')}`;
}

/** A scratch folder for one test: a state dir and a private copy of the echo bot, so leftovers are findable. */
export interface Scratch {
  dir: string;
  stateDir: string;
  /** The echo bot's path inside this scratch folder (Linux path). */
  bot: string;
  /** Linux pids of processes whose command line names this scratch folder. */
  processes(): number[];
  /** Linux pids of the echo bots of this scratch folder (not botwarden). */
  botProcesses(): number[];
  remove(): void;
}

/** `fixture`: the echo bot to copy from test/fixtures/bots (default raw-echo.mjs), with the module it imports. */
export function scratch(fixture = 'raw-echo.mjs'): Scratch {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bw-wine-'));
  const bot = path.join(dir, 'echo-bot.mjs');
  copyFileSync(path.join(BOT_FIXTURES, fixture), bot);
  copyFileSync(path.join(BOT_FIXTURES, 'bot-api.mjs'), path.join(dir, 'bot-api.mjs')); // the fixture bots' shared loop
  const marker = path.basename(dir);
  const rows = (): Array<{ pid: number; args: string }> =>
    spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
      .stdout.split('\n')
      .map((l) => ({ pid: Number(l.trim().split(/\s+/)[0]), args: l }))
      .filter((r) => r.args.includes(marker) && Number.isInteger(r.pid) && r.pid !== process.pid);
  return {
    dir,
    stateDir: path.join(dir, 'state'),
    bot,
    processes: () => rows().map((r) => r.pid),
    botProcesses: () => rows().filter((r) => r.args.includes('echo-bot.mjs') && !r.args.includes('botwarden.js')).map((r) => r.pid),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A node.exe process under Wine whose output goes to a file. */
export interface WineProc {
  child: ChildProcess;
  output(): string;
  /** Resolve with the first match of `re` in the output; reject after `timeoutMs` (a bound, not a measurement). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited(): Promise<number | string>;
  /** Ctrl-C as Windows sees it (Wine turns a Linux SIGINT into a console event). */
  interrupt(): void;
  /** Last resort for cleanup: SIGKILL of the Wine process (its children live on under wineserver). */
  kill(): void;
}

/** The environment every node.exe under Wine gets. */
export function wineEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, WINEDEBUG: '-all', NODE_OPTIONS: `--require ${winPath(PRELOAD)}`, NODE_NO_WARNINGS: '1', ...extra };
}

/** Start `node.exe <args>` under Wine with stdout+stderr to `<dir>/<name>.log`. */
export function startNodeExe(args: readonly string[], opts: { dir: string; name: string; env?: NodeJS.ProcessEnv }): WineProc {
  if (!WINE_NODE) throw new Error('BOTWARDEN_WINE_NODE is not set');
  const logPath = path.join(opts.dir, `${opts.name}.log`);
  writeFileSync(logPath, '');
  const fd = openSync(logPath, 'a');
  const child = spawn('wine', [WINE_NODE, ...args], { cwd: REPO_ROOT, env: wineEnv(opts.env), stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exit = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const output = (): string => readFileSync(logPath, 'utf8');
  return {
    child,
    output,
    exited: () => exit,
    waitFor: async (re, timeoutMs = 60_000) => {
      const until = Date.now() + timeoutMs;
      let ended = false;
      void exit.then(() => (ended = true));
      for (;;) {
        const m = output().match(re);
        if (m) return m;
        if (ended || Date.now() > until) throw new Error(`${opts.name}: ${ended ? 'exited' : `no ${re} within ${timeoutMs} ms`}; output:\n${output()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    interrupt: () => {
      child.kill('SIGINT');
    },
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}

/** `botwarden <args>` under Wine. */
export function botwardenExe(args: readonly string[], opts: { dir: string; name: string; env?: NodeJS.ProcessEnv }): WineProc {
  return startNodeExe([winPath(CLI), ...args], opts);
}

/** `botwarden run` of the scratch echo bot (node.exe) under Wine against `apiRoot`. */
export function runEchoBot(s: Scratch, opts: { token: string; apiRoot: string; name: string; args?: string[]; command?: string[]; env?: NodeJS.ProcessEnv }): WineProc {
  const command = opts.command ?? [winPath(WINE_NODE ?? ''), winPath(s.bot)];
  return botwardenExe(['run', '--api-root', opts.apiRoot, '--state-dir', winPath(s.stateDir), '--health-port', '0', ...(opts.args ?? []), '--', ...command], {
    dir: s.dir,
    name: opts.name,
    env: { BOT_TOKEN: opts.token, ...opts.env },
  });
}

/** Run `botwarden <args>` under Wine to its end; its exit code and output. */
export async function botwardenOnce(args: readonly string[], opts: { dir: string; name: string; env?: NodeJS.ProcessEnv }): Promise<{ code: number | string; output: string }> {
  const p = botwardenExe(args, opts);
  const code = await p.exited();
  return { code, output: p.output() };
}

/** An emulator and a scratch folder for one test; every Wine process pushed to `started` is killed afterwards. */
export async function withSetup(fn: (emu: RunningEmulator, s: Scratch, started: WineProc[]) => Promise<void>): Promise<void> {
  const emu = await startFleetEmulator();
  const s = scratch();
  const started: WineProc[] = [];
  try {
    await fn(emu, s, started);
  } finally {
    for (const p of started) p.kill();
    await emu.close();
    s.remove();
  }
}

/** Send `texts` one after another; resolve once each got its echo (in any order). */
export async function sendAndAwaitEchoes(emu: RunningEmulator, botId: number, texts: string[], timeoutMs = 60_000): Promise<void> {
  for (const t of texts) await emu.sendText(botId, t);
  await eventually(`echoes of ${texts.join(', ')}`, async () => {
    const sent = await emu.sent(botId);
    return texts.every((t) => sent.some((m) => m.text === `echo: ${t}`));
  }, timeoutMs);
}
