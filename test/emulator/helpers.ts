// Helpers for the emulator's tests: an emulator per test, raw Bot API calls, control-API calls.
import { startEmulator, type ControlStats, type CreatedBot, type Emulator, type EmulatorOptions, type InjectedMessage } from '../../src/emulator/index.js';

/** What a raw call returned: the HTTP status, headers and parsed body (or the text when not JSON). */
export interface Raw<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  body: { ok: boolean; result?: T; error_code?: number; description?: string; parameters?: { retry_after?: number } };
}

/** A test emulator with one bot. */
export interface Fixture {
  emu: Emulator;
  url: string;
  bot: { id: number; token: string; username: string };
  /** POST JSON to a Bot API method of the fixture bot (or `token`). */
  call<T = unknown>(method: string, params?: Record<string, unknown>, o?: { token?: string; signal?: AbortSignal }): Promise<Raw<T>>;
  /** A control-API request (JSON in, JSON out). */
  control<T = Record<string, unknown>>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T>;
  /** Inject a private text message; returns its update_id. */
  send(text: string, extra?: Record<string, unknown>): Promise<number>;
  stats(): Promise<ControlStats>;
}

/** Parse a fetch Response as a Raw. */
export async function toRaw<T>(res: Response): Promise<Raw<T>> {
  const text = await res.text();
  let body: Raw<T>['body'];
  try {
    body = JSON.parse(text) as Raw<T>['body'];
  } catch {
    body = { ok: false };
  }
  return { status: res.status, headers: res.headers, text, body };
}

/** Start an emulator (closed after the test) and create one bot. */
export async function fixture(t: { after(fn: () => Promise<void> | void): void }, opts: EmulatorOptions = {}): Promise<Fixture> {
  const emu = await startEmulator({ firstUpdateId: 1000, ...opts });
  t.after(() => emu.close());
  const control = async <T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${emu.url}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  const bot = await control<CreatedBot>('POST', '/_emulator/bots', { username: 'fixture_bot' });
  return {
    emu,
    url: emu.url,
    bot,
    call: async (method, params = {}, o = {}) =>
      toRaw(
        await fetch(`${emu.url}/bot${o.token ?? bot.token}/${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(params),
          ...(o.signal ? { signal: o.signal } : {}),
        }),
      ),
    control,
    send: async (text, extra = {}) => (await control<InjectedMessage>('POST', `/_emulator/bots/${bot.id}/updates`, { text, ...extra })).update_id,
    stats: () => control('GET', `/_emulator/bots/${bot.id}/stats`),
  };
}

/** Resolve after `ms`. */
export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `fn` until truthy or `timeoutMs` passes (then throw naming `what`). */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(everyMs);
  }
}
