// A tiny Bot API upstream for gateway tests: records every request, long-polls getUpdates over a queue with offset
// semantics, and lets a test script answers (409, 5xx, delays) per method. Not an emulator: just enough to observe.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenLoopback } from '../../src/server.js';

export interface Recorded {
  method: string;
  url: string;
  /** Bot API method (path after the token), or `file:<path>`. */
  name: string;
  token: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** Parsed JSON body when it was JSON. */
  json?: Record<string, unknown>;
  /** The connection closed before we answered. */
  aborted: boolean;
  startedAt: number;
}

/** A scripted answer; return undefined from a hook to fall through to the default behaviour. */
export type Hook = (r: Recorded, req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export interface FakeUpstream {
  url: string;
  requests: Recorded[];
  /** Add an update to the queue; resolves a pending long poll. Returns its update_id. */
  push(text?: string): number;
  /** Updates still stored (not confirmed by an offset). */
  pendingIds(): number[];
  /** Highest offset seen in any getUpdates (what is confirmed). */
  confirmedOffset(): number;
  /** Most getUpdates served at the same time. */
  maxConcurrentPolls(): number;
  /** Intercept requests (first hook that returns true wins). */
  hooks: Hook[];
  close(): Promise<void>;
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const requests: Recorded[] = [];
  const hooks: Hook[] = [];
  let nextId = 100;
  let queue: { update_id: number; message: unknown }[] = [];
  let confirmed = 0;
  let concurrent = 0;
  let maxConcurrent = 0;
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const w of [...waiters]) w();
  };

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = req.url ?? '/';
    const m = /^\/(file\/)?bot([^/]+)\/(.*?)(\?.*)?$/.exec(url);
    const r: Recorded = {
      method: req.method ?? 'GET',
      url,
      name: m ? (m[1] ? `file:${m[3]}` : (m[3] ?? '')) : url,
      token: m?.[2] ? decodeURIComponent(m[2]) : '',
      headers: req.headers,
      body,
      aborted: false,
      startedAt: Date.now(),
    };
    if (String(req.headers['content-type'] ?? '').includes('json') && body.length > 0) {
      try {
        r.json = JSON.parse(body.toString()) as Record<string, unknown>;
      } catch {
        // not JSON
      }
    }
    res.on('close', () => {
      if (!res.writableFinished) r.aborted = true;
    });
    requests.push(r);
    for (const h of hooks) if (await h(r, req, res)) return;
    if (/^(test\/)?getupdates$/.test(r.name.toLowerCase())) return getUpdates(r, res);
    if (r.name.startsWith('file:')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '11' });
      res.end('file-bytes!');
      return;
    }
    const reply = JSON.stringify({ ok: true, result: { echoed: r.name, bytes: body.length, contentType: req.headers['content-type'] ?? null } });
    res.writeHead(200, { 'content-type': 'application/json', connection: 'keep-alive', 'keep-alive': 'timeout=5', 'x-upstream': 'yes' });
    res.end(reply);
  });

  async function getUpdates(r: Recorded, res: ServerResponse): Promise<void> {
    const p = r.json ?? {};
    const offset = Number(p.offset ?? 0);
    const timeout = Number(p.timeout ?? 0);
    const limit = Number(p.limit ?? 100);
    if (offset > 0) {
      confirmed = Math.max(confirmed, offset);
      queue = queue.filter((u) => u.update_id >= offset);
    }
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    try {
      const deadline = Date.now() + timeout * 1000;
      while (queue.length === 0 && Date.now() < deadline && !r.aborted) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, Math.max(0, deadline - Date.now()));
          function done(): void {
            clearTimeout(t);
            waiters.delete(done);
            res.off('close', done);
            resolve();
          }
          waiters.add(done);
          res.once('close', done);
        });
      }
      if (r.aborted) return;
      const result = queue.slice(0, Math.max(1, Math.min(100, limit)));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, result }));
    } finally {
      concurrent--;
    }
  }

  const addr = await listenLoopback(server, { port: 0 });
  return {
    url: addr.url,
    requests,
    hooks,
    push(text = 'hi') {
      const id = nextId++;
      queue.push({ update_id: id, message: { message_id: id, date: 0, chat: { id: 42, type: 'private' }, text } });
      wake();
      return id;
    },
    pendingIds: () => queue.map((u) => u.update_id),
    confirmedOffset: () => confirmed,
    maxConcurrentPolls: () => maxConcurrent,
    close: () => closeServer(server),
  };
}

/** A LeaderView a test can flip: leader or not, and how many ms of lease are left. */
export function fakeLeader(init: { leader?: boolean; msLeft?: number } = {}): {
  view: { isLeader(): boolean; msLeft(): number; fence(): number | undefined };
  set(s: { leader?: boolean; msLeft?: number }): void;
} {
  const s = { leader: init.leader ?? true, msLeft: init.msLeft ?? 120_000 };
  return {
    view: {
      isLeader: () => s.leader,
      msLeft: () => (s.leader ? s.msLeft : 0),
      fence: () => (s.leader ? 1 : undefined),
    },
    set(n) {
      if (n.leader !== undefined) s.leader = n.leader;
      if (n.msLeft !== undefined) s.msLeft = n.msLeft;
    },
  };
}

/** A syntactically real token (never a real bot's). */
export const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1';
export const OTHER_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw2';

/** Wait until `cond()` or fail after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
