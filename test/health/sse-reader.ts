// Test helper: read a server-sent event stream frame by frame over a real connection.

/** A connected event stream. */
export interface SseReader {
  status: number;
  headers: Headers;
  /** Everything received so far, as text. */
  raw(): string;
  /** The next `data:` frame parsed as JSON (rejects after `timeoutMs`, or when the stream ends first). */
  next<T = unknown>(timeoutMs?: number): Promise<T>;
  /** Resolves true when the server ends the stream within `timeoutMs`. */
  ended(timeoutMs?: number): Promise<boolean>;
  close(): void;
}

/** Open `url` as an event stream. */
export async function openSse(url: string): Promise<SseReader> {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal, headers: { accept: 'text/event-stream' } });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let raw = '';
  let buf = '';
  const frames: string[] = [];
  let done = false;
  let wake: (() => void) | undefined;
  const pump = (async () => {
    try {
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        const text = decoder.decode(r.value, { stream: true });
        raw += text;
        buf += text;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          if (data) frames.push(data);
        }
        wake?.();
      }
    } catch {
      // aborted by close()
    } finally {
      done = true;
      wake?.();
    }
  })();
  const waitFor = async <T>(pick: () => T | undefined, timeoutMs: number, what: string): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = pick();
      if (v !== undefined) return v;
      if (done) throw new Error(`stream ended while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  };
  return {
    status: res.status,
    headers: res.headers,
    raw: () => raw,
    next: async <T>(timeoutMs = 5000) => JSON.parse(await waitFor(() => frames.shift(), timeoutMs, 'frame')) as T,
    ended: async (timeoutMs = 5000) => {
      try {
        return await waitFor(() => (done ? true : undefined), timeoutMs, 'end of stream');
      } catch {
        return false;
      }
    },
    close: () => {
      ac.abort();
      void pump;
    },
  };
}
