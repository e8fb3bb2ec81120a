// Helpers shared by the suites: fixture paths, waiting on stamps, goal checks.
import path from 'node:path';
import { ROOT } from '../lib/botwarden.js';
import { pollUntil } from '../lib/proc.js';
import { readStamps, type StampEvent } from '../lib/stamps.js';
import type { SuiteContext } from '../lib/suite.js';

/** bench/fixtures. */
export const FIXTURES = path.join(ROOT, 'bench', 'fixtures');

/** The instance tag in a reply of the echo-bot fixture (`echo:<text> from:<instance>`). */
export const replyTag = (reply: string): string | undefined => /from:(\S+)/.exec(reply)?.[1];

/** Wait until `file` holds at least `count` events named `event`, bounded by `timeoutMs` and the suite's signal. */
export async function waitForEvents(ctx: SuiteContext, file: string, event: string, count: number, timeoutMs: number): Promise<StampEvent[]> {
  const end = Math.min(Date.now() + timeoutMs, ctx.deadline);
  const got = await pollUntil(
    () => {
      const evs = readStamps(file);
      if (evs.filter((e) => e.event === event).length >= count || ctx.signal.aborted) return evs;
      return undefined;
    },
    Math.max(0, end - Date.now()),
    10,
  );
  return got ?? readStamps(file);
}

/** Goal met when both values are known; null otherwise. */
export function goal(value: number | null | undefined, ok: (v: number) => boolean): boolean | null {
  return value == null || !Number.isFinite(value) ? null : ok(value);
}
