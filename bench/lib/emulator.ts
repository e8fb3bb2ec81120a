// The Bot API emulator for benchmarks: `botwarden emulator --port 0` (the ★ contract) and its control API.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BOTWARDEN_BIN, ROOT, hasEmulatorCommand } from './botwarden.js';
import { startProc, type Proc } from './proc.js';

/** A bot created in the emulator. */
export interface EmuBot {
  id: number;
  token: string;
  username: string;
}

/** One message the bot sent, as the emulator recorded it. */
export interface EmuSent {
  method: string;
  chat_id: number;
  text?: string;
  at: number;
  /** sendMessage and the other send* methods: the new message's id (grows per chat and bot). */
  message_id?: number;
}

/** The emulator's per-bot statistics. */
export interface EmuStats {
  getUpdatesCalls: number;
  conflicts: number;
  delivered: Record<string, number>;
  confirmedUpTo: number;
  pending: number;
}

/** A running emulator plus typed helpers for its control API; `close()` is safe twice. */
export interface BenchEmulator {
  url: string;
  createBot(username?: string): Promise<EmuBot>;
  /** A private-chat text message; `chatId` picks the chat (and user), default the emulator's. */
  postUpdate(botId: number, text: string, chatId?: number): Promise<number>;
  sent(botId: number): Promise<EmuSent[]>;
  stats(botId: number): Promise<EmuStats>;
  close(): Promise<void>;
}

/** Why the emulator cannot be started, or undefined when it can. */
export async function emulatorMissing(): Promise<string | undefined> {
  if (!process.env.BENCH_EMULATOR_MODULE && (await hasEmulatorCommand())) return undefined;
  return moduleCandidate() ? undefined : 'emulator not built yet';
}

/** BENCH_EMULATOR_MODULE=path overrides everything: a module exporting startEmulator() (to check the harness). */
function moduleCandidate(): string | undefined {
  const override = process.env.BENCH_EMULATOR_MODULE;
  if (override) return path.resolve(override);
  for (const rel of ['src/emulator/index.ts', 'src/emulator/server.ts', 'src/emulator/emulator.ts']) {
    const p = path.join(ROOT, rel);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Start an emulator on 127.0.0.1 with an OS-picked port: the CLI when built, else `startEmulator` from src. */
export async function startBenchEmulator(): Promise<BenchEmulator> {
  let url: string;
  let closeFn: () => Promise<void>;
  if (!process.env.BENCH_EMULATOR_MODULE && (await hasEmulatorCommand())) {
    const proc: Proc = startProc(process.execPath, [BOTWARDEN_BIN, 'emulator', '--host', '127.0.0.1', '--port', '0'], { cwd: ROOT });
    try {
      const m = await proc.waitFor(/(http:\/\/127\.0\.0\.1:\d+)/, 15_000);
      url = m[1] as string;
    } catch (err) {
      await proc.stop();
      throw err;
    }
    closeFn = () => proc.stop(3000);
  } else {
    const file = moduleCandidate();
    if (!file) throw new Error('the emulator is not in the tree yet (neither `botwarden emulator` nor src/emulator/)');
    const mod = (await import(pathToFileURL(file).href)) as {
      startEmulator?: (o: { port: number; host?: string }) => Promise<{ url: string; close(): Promise<void> | void }>;
    };
    if (typeof mod.startEmulator !== 'function') throw new Error(`${file} does not export startEmulator()`);
    const emu = await mod.startEmulator({ port: 0, host: '127.0.0.1' });
    url = emu.url.replace(/\/$/, '');
    closeFn = async () => {
      await emu.close();
    };
  }
  let closed = false;
  const call = async <T>(method: string, p: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}${p}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new Error(`emulator ${method} ${p} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  };
  return {
    url,
    createBot: (username) => call<EmuBot>('POST', '/_emulator/bots', username ? { username } : {}),
    postUpdate: async (botId, text, chatId) => (await call<{ update_id: number }>('POST', `/_emulator/bots/${botId}/updates`, chatId === undefined ? { text } : { text, chat_id: chatId })).update_id,
    sent: async (botId) => (await call<{ messages: EmuSent[] }>('GET', `/_emulator/bots/${botId}/sent`)).messages,
    stats: (botId) => call<EmuStats>('GET', `/_emulator/bots/${botId}/stats`),
    close: async () => {
      if (closed) return;
      closed = true;
      await closeFn();
    },
  };
}
