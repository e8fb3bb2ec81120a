// Test helpers for the process layer: fixture paths, a reaper that kills every pid a test started, polling.
import { fileURLToPath } from 'node:url';
import { isProcessAlive } from '../../src/process/liveness.js';
import { seededRandom } from '../helpers/random.js';

/** Absolute path of `test/fixtures/process/<name>`. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/process/${name}`, import.meta.url));
}

/** `[node, fixture, ...args]` */
export function nodeFixture(name: string, ...args: string[]): string[] {
  return [process.execPath, fixture(name), ...args];
}

const tokenRand = seededRandom();
let tokenSeq = 0;

/**
 * A bot-token-shaped value (never a real token): the secret is drawn from the suite's seeded generator (the same
 * sequence every run); the bot id holds this process's pid and a counter, so no other process on the machine (other
 * test files, other runs at the same time) holds the same token — the conflict scans look at every process.
 */
export function fakeToken(): string {
  const id = 100_000_000 + (process.pid % 100_000) * 1000 + (tokenSeq++ % 1000);
  let secret = '';
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
  for (let i = 0; i < 35; i++) secret += chars.charAt(Math.floor(tokenRand() * chars.length));
  return `${id}:${secret}`;
}

/** Remembers pids and process groups; `killAll()` SIGKILLs them all (call it in `after`). */
export class Reaper {
  private readonly pids = new Set<number>();
  private readonly groups = new Set<number>();

  pid(pid: number | null | undefined): void {
    if (pid) this.pids.add(pid);
  }

  group(pgid: number | null | undefined): void {
    if (pgid) this.groups.add(pgid);
  }

  killAll(): void {
    for (const g of this.groups) tryKill(-g);
    for (const p of this.pids) tryKill(p);
  }

  /** Pids still alive (for "nothing leaked" assertions). */
  alive(): number[] {
    return [...this.pids].filter(isProcessAlive);
  }
}

function tryKill(target: number): void {
  try {
    process.kill(target, 'SIGKILL');
  } catch {
    // gone
  }
}

/** Poll `check` every 5 ms until it returns a value other than undefined/false, or throw after `timeoutMs`. */
export async function until<T>(what: string | (() => string), check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Collects a stream's text; `waitFor(re)` resolves with the first match (rejects after `timeoutMs`). */
export function collect(stream: NodeJS.ReadableStream | null): { text(): string; waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray> } {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (d: string) => {
    text += d;
  });
  return {
    text: () => text,
    waitFor: (re, timeoutMs = 5_000) => until(() => `${re} in output (got ${JSON.stringify(text.slice(-300))})`, () => text.match(re) ?? undefined, timeoutMs),
  };
}
