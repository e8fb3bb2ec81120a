// `npm run demo`: the emulator, a sample bot under botwarden, a standby on the same host; the leader's "machine dies"
// (kill -9 of botwarden and its bot) and the standby answers. Offline, no token needed, ends by itself with exit 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = path.join(ROOT, 'dist', 'bin', 'botwarden.js');
const BOT = path.join(ROOT, 'examples', 'demo-bot.mjs');
const LEASE_TTL_MS = 3000;
const started = Date.now();
const children: ChildProcess[] = [];

function say(line: string): void {
  process.stdout.write(`[demo +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
}

function start(name: string, args: string[], env: NodeJS.ProcessEnv = {}): { proc: ChildProcess; output: () => string; waitFor: (re: RegExp, ms?: number) => Promise<RegExpMatchArray> } {
  const proc = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
  children.push(proc);
  let out = '';
  const onData = (d: Buffer): void => {
    out += d.toString();
    for (const line of d.toString().split('\n')) if (line.trim() && /leader|standby|taking over|orphan|health:|409|stopped/.test(line)) process.stdout.write(`    ${name} │ ${line.trim()}\n`);
  };
  proc.stdout?.on('data', onData);
  proc.stderr?.on('data', onData);
  const waitFor = (re: RegExp, ms = 20_000): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const timer = setInterval(() => {
        const m = re.exec(out);
        if (m) {
          clearInterval(timer);
          clearTimeout(t);
          resolve(m);
        }
      }, 20);
      const t = setTimeout(() => {
        clearInterval(timer);
        reject(new Error(`${name}: no ${String(re)} within ${ms} ms; output:\n${out}`));
      }, ms);
    });
  return { proc, output: () => out, waitFor };
}

async function json<T>(url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function main(): Promise<void> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'botwarden-demo-'));
  try {
    say('starting the Bot API emulator (plays api.telegram.org, offline)');
    const emu = start('emulator', ['emulator', '--port', '0']);
    const emuUrl = (await emu.waitFor(/(http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
    const bot = await json<{ id: number; token: string; username: string }>(`${emuUrl}/_emulator/bots`, { username: 'demo_bot' });
    say(`emulator at ${emuUrl}; created @${bot.username}`);

    const common = ['run', '--api-root', emuUrl, '--state-dir', stateDir, '--lease-ttl', String(LEASE_TTL_MS), '--health-port', '0', '--', process.execPath, BOT];
    say('starting instance A: botwarden run -- node examples/demo-bot.mjs');
    const a = start('A', common, { BOT_TOKEN: bot.token });
    await a.waitFor(/ready: @demo_bot/);
    const aHealth = (await a.waitFor(/health: (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
    say('starting instance B, the same command (a second copy would normally cause 409 Conflict)');
    const b = start('B', common, { BOT_TOKEN: bot.token });
    await b.waitFor(/standby/);

    const sentCount = async (): Promise<Array<{ text?: string }>> => (await json<{ messages: Array<{ text?: string }> }>(`${emuUrl}/_emulator/bots/${bot.id}/sent`)).messages;
    const send = async (text: string): Promise<void> => {
      await json(`${emuUrl}/_emulator/bots/${bot.id}/updates`, { text });
    };
    for (let i = 1; i <= 5; i++) await send(`hello ${i}`);
    await until('5 replies', async () => ((await sentCount()).length >= 5 ? true : undefined));
    say(`5 messages answered by A`);

    const aStatus = await json<{ child: { pid: number }; instance: { id: string } }>(`${aHealth}/status`);
    say(`A's machine dies: kill -9 of botwarden A (pid ${a.proc.pid}) and its bot (pid ${aStatus.child.pid})`);
    const killedAt = Date.now();
    process.kill(aStatus.child.pid, 'SIGKILL');
    a.proc.kill('SIGKILL');
    for (let i = 6; i <= 10; i++) await send(`hello ${i}`);
    await until('10 replies', async () => ((await sentCount()).length >= 10 ? true : undefined), 30_000);
    const failoverMs = Date.now() - killedAt;
    say(`B took over and answered the 5 messages sent meanwhile, ${failoverMs} ms after the kill`);

    const replies = (await sentCount()).map((m) => m.text ?? '');
    const stats = await json<{ conflicts: number; delivered: Record<string, number> }>(`${emuUrl}/_emulator/bots/${bot.id}/stats`);
    const byA = replies.filter((t) => t.includes(`(from ${aStatus.instance.id})`)).length;
    const dup = Object.values(stats.delivered).filter((n) => n > 1).length;
    const missing = Array.from({ length: 10 }, (_v, i) => `hello ${i + 1}`).filter((t) => !replies.some((r) => r.startsWith(`echo: ${t} `)));
    b.proc.kill('SIGTERM');
    const bCode = await new Promise<number | null>((r) => b.proc.once('exit', (c) => r(c)));
    emu.proc.kill('SIGTERM');
    await new Promise((r) => emu.proc.once('exit', r));

    process.stdout.write('\n── summary ──────────────────────────────────────────\n');
    process.stdout.write(`messages sent           10\n`);
    process.stdout.write(`answered                ${10 - missing.length} (A: ${byA}, B: ${replies.length - byA})\n`);
    process.stdout.write(`lost                    ${missing.length}\n`);
    process.stdout.write(`409 Conflict answered   ${stats.conflicts}\n`);
    process.stdout.write(`delivered twice         ${dup}\n`);
    process.stdout.write(`failover after kill -9  ${failoverMs} ms (lease TTL ${LEASE_TTL_MS} ms; a dead holder on this host is taken over at once)\n`);
    process.stdout.write(`B stopped with exit     ${bCode}\n`);
    process.stdout.write(`total                   ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    if (missing.length || stats.conflicts || bCode !== 0) throw new Error('the demo did not go as expected');
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const watchdog = setTimeout(() => {
  process.stderr.write('demo: took longer than 60 s; giving up\n');
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
}, 60_000);
main().then(
  () => {
    clearTimeout(watchdog);
    process.exit(0);
  },
  (err: unknown) => {
    clearTimeout(watchdog);
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
