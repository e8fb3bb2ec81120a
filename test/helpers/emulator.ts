// The emulator for end-to-end tests: started in-process on 127.0.0.1, with typed helpers for its control API (docs/contract.md §9.1).
import { startEmulator } from '../../src/emulator/index.js';

export interface EmuBot {
  id: number;
  token: string;
  username: string;
}

export interface EmuStats {
  getUpdatesCalls: number;
  conflicts: number;
  delivered: Record<string, number>;
  confirmedUpTo: number;
  pending: number;
  webhook: { url: string };
}

export interface SentMessage {
  method: string;
  chat_id: number;
  text?: string;
  at: number;
}

/** A running emulator plus control-API helpers. */
export interface TestEmulator {
  url: string;
  createBot(username?: string): Promise<EmuBot>;
  sendText(botId: number, text: string, chatId?: number): Promise<number>;
  sent(botId: number): Promise<SentMessage[]>;
  stats(botId: number): Promise<EmuStats>;
  revoke(botId: number): Promise<void>;
  fault(body: { bot?: number; method?: string; status: number; count: number; retry_after?: number; delay_ms?: number }): Promise<void>;
  /** Call a Bot API method directly (as a second, unmanaged client would). */
  api<T = unknown>(token: string, method: string, params?: Record<string, unknown>): Promise<{ ok: boolean; result?: T; error_code?: number; description?: string }>;
  close(): Promise<void>;
}

async function post<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

async function get<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Start an emulator for one test file. */
export async function startTestEmulator(): Promise<TestEmulator> {
  const emu = await startEmulator({ host: '127.0.0.1', port: 0 });
  const base = emu.url;
  return {
    url: base,
    createBot: (username) => post<EmuBot>(`${base}/_emulator/bots`, username ? { username } : {}),
    sendText: async (botId, text, chatId) => (await post<{ update_id: number }>(`${base}/_emulator/bots/${botId}/updates`, { text, ...(chatId ? { chat_id: chatId } : {}) })).update_id,
    sent: async (botId) => (await get<{ messages: SentMessage[] }>(`${base}/_emulator/bots/${botId}/sent`)).messages,
    stats: (botId) => get<EmuStats>(`${base}/_emulator/bots/${botId}/stats`),
    revoke: async (botId) => {
      await post(`${base}/_emulator/bots/${botId}/revoke`, {});
    },
    fault: async (body) => {
      await post(`${base}/_emulator/faults`, body);
    },
    api: async (token, method, params = {}) => {
      const res = await fetch(`${base}/bot${token}/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) });
      return (await res.json()) as { ok: boolean; error_code?: number; description?: string };
    },
    close: () => emu.close(),
  };
}

/** Poll `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
