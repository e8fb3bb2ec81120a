// Worker-mode test helpers: `botwarden run --workers` instances (fleet.ts), their Redis keys and metrics. Messages over
// many chats and the per-chat order / loss / duplicate check are traffic.ts's (`chats`, `chatOrder`).
import path from 'node:path';
import type { Redis as RedisClient } from 'ioredis';
import { Redis } from 'ioredis';
import { startInstance, type Instance, type RunningEmulator } from '../helpers/fleet.js';
import { seededRandom } from '../helpers/random.js';

export const WORKER_ECHO = path.join(import.meta.dirname, '..', 'fixtures', 'bots', 'worker-echo.mjs');

/** The same seed, the same choices (test/helpers/random.ts). */
export const seeded = seededRandom;

/** Start one worker instance. */
export function startWorker(o: { name: string; emu: RunningEmulator; token: string; redis: string; ttlMs?: number; partitions?: number; handlerMs?: number; command?: string[] }): Promise<Instance> {
  return startInstance({
    name: o.name,
    apiRoot: o.emu.url,
    token: o.token,
    tokenVia: 'file',
    lease: o.redis,
    ttlMs: o.ttlMs ?? 3000,
    args: ['--stop-timeout', '3000', '--workers', o.redis, '--partitions', String(o.partitions ?? 8), '--restart', 'always'],
    command: o.command ?? ['/usr/bin/env', `HANDLER_MS=${o.handlerMs ?? 5}`, process.execPath, WORKER_ECHO],
  });
}

/** Delete a bot's worker keys and lease keys from a Redis (the bot id makes them unique to one test). */
export async function dropKeys(url: string, botId: number): Promise<void> {
  const r: RedisClient = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    for (const pattern of [`botwarden:workers:{${botId}}:*`, `botwarden:lease:${botId}*`]) {
      let cursor = '0';
      for (let i = 0; i < 1000; i++) {
        const [next, keys] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        if (keys.length) await r.del(...keys);
        cursor = next;
        if (cursor === '0') break;
      }
    }
  } catch {
    // best effort
  } finally {
    r.disconnect();
  }
}

/** Sum of a counter in a /metrics text (all label sets). */
export async function metricSum(inst: Instance, name: string): Promise<number> {
  try {
    const text = await (await fetch(`${inst.healthUrl}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    let sum = 0;
    for (const line of text.split('\n')) if (line.startsWith(name) && !line.startsWith('#')) sum += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
    return sum;
  } catch {
    return 0;
  }
}
