// Bounded waiting on a condition: the one polling helper of the tests (prefer a real event when there is one — a
// log line through Spawned.waitFor, the emulator's `sent?min=N` — and use this for /status and the like).

/** Poll `fn` until it returns a truthy value (resolved with it) or `timeoutMs` passes (rejects naming `what` and the last error). */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, everyMs = 25): Promise<T> {
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
