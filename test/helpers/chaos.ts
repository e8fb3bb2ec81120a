// Chaos-test helpers: a recording proxy per instance ("host") in front of the emulator, a monitor of who claims to
// lead, and log-time helpers. Instances come from fleet.ts, traffic from traffic.ts, private servers from services.ts.
import http from 'node:http';
import type net from 'node:net';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI_SOURCE, spawnProcess } from './cli.js';
import type { Instance } from './fleet.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------------------
// A recording proxy between one instance and the emulator: what this "host" sent upstream, and when.

/** One upstream call an instance made, as its proxy saw it. */
export interface UpstreamCall {
  instance: string;
  method: string;
  /** Epoch ms: forwarded to the emulator, and answered by it (undefined while in flight). */
  start: number;
  end: number | undefined;
  /** Body of a sendMessage (its text) — lets a reply be attributed to the instance that sent it. */
  text?: string;
  /** getUpdates: the offset and timeout asked, and how many updates the answer carried. */
  offset?: number;
  timeout?: number;
  limit?: number;
  updates?: number;
  /** getUpdates: the update_ids of the answer. */
  updateIds?: number[];
}

/** A per-instance HTTP proxy to the emulator; `calls` is shared by all proxies of one journal. */
export class UpstreamJournal {
  readonly calls: UpstreamCall[] = [];
  private readonly servers: http.Server[] = [];
  private readonly agent = new http.Agent({ keepAlive: true });

  constructor(private readonly emulatorUrl: string) {}

  /** Start a proxy for `instance`; resolves with its root URL (use it as --api-root). */
  async proxy(instance: string): Promise<string> {
    const target = new URL(this.emulatorUrl);
    const server = http.createServer((req, res) => {
      const method = (req.url ?? '').split('?')[0]?.split('/').pop() ?? '';
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const call: UpstreamCall = { instance, method, start: Date.now(), end: undefined };
        const params = paramsOf(body, req.headers['content-type']);
        if (/^sendmessage$/i.test(method) && params.text !== undefined) call.text = String(params.text);
        if (/^getupdates$/i.test(method)) {
          if (params.offset !== undefined) call.offset = Number(params.offset);
          if (params.timeout !== undefined) call.timeout = Number(params.timeout);
          if (params.limit !== undefined) call.limit = Number(params.limit);
        }
        this.calls.push(call);
        const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
        const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent: this.agent }, (ur) => {
          const upChunks: Buffer[] = [];
          ur.on('data', (c: Buffer) => upChunks.push(c));
          ur.on('end', () => {
            call.end = Date.now();
            const out = Buffer.concat(upChunks);
            if (/^getupdates$/i.test(method)) {
              call.updateIds = [...out.toString('utf8').matchAll(/"update_id":(\d+)/g)].map((m) => Number(m[1]));
              call.updates = call.updateIds.length;
            }
            const h = { ...ur.headers, 'content-length': String(out.length) };
            delete h['transfer-encoding'];
            if (!res.destroyed) res.writeHead(ur.statusCode ?? 502, h).end(out);
          });
          ur.on('error', () => res.destroy());
        });
        up.on('error', () => {
          call.end ??= Date.now();
          res.destroy();
        });
        // The instance died or gave up: the emulator must see the disconnect too, as it would without a proxy.
        res.on('close', () => {
          if (call.end === undefined) {
            call.end = Date.now();
            up.destroy();
          }
        });
        up.end(body);
      });
    });
    this.servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address() as net.AddressInfo;
    return `http://127.0.0.1:${addr.port}`;
  }

  /** getUpdates intervals of different instances that overlapped in time (each pair once). */
  overlappingPolls(): Array<[UpstreamCall, UpstreamCall]> {
    const polls = this.calls.filter((c) => /^getupdates$/i.test(c.method)).sort((a, b) => a.start - b.start);
    const out: Array<[UpstreamCall, UpstreamCall]> = [];
    for (let i = 0; i < polls.length; i++) {
      const a = polls[i] as UpstreamCall;
      const aEnd = a.end ?? Infinity;
      for (let j = i + 1; j < polls.length; j++) {
        const b = polls[j] as UpstreamCall;
        if (b.start >= aEnd) break;
        if (b.instance !== a.instance) out.push([a, b]);
      }
    }
    return out;
  }

  /** The first sendMessage `instance` forwarded at or after `since` (epoch ms). */
  firstReplyBy(instance: string, since: number): UpstreamCall | undefined {
    return this.calls.find((c) => c.instance === instance && /^sendmessage$/i.test(c.method) && c.start >= since);
  }

  /** getUpdates calls `instance` sent upstream at or after `since` (epoch ms). */
  pollsBy(instance: string, since = 0): UpstreamCall[] {
    return this.calls.filter((c) => c.instance === instance && /^getupdates$/i.test(c.method) && c.start >= since);
  }

  /** Close every proxy (safe twice). */
  async close(): Promise<void> {
    const servers = this.servers.splice(0);
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    this.agent.destroy();
  }
}

function paramsOf(body: Buffer, contentType: string | undefined): Record<string, unknown> {
  try {
    if (contentType?.includes('json')) return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    if (contentType?.includes('x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  } catch {
    // not ours to judge
  }
  return {};
}

/** A compact timeline of the journal for failure messages: `A getUpdates off=… t=… +start..+end n=…`. */
export function describeCalls(calls: readonly UpstreamCall[], since = 0): string {
  const t0 = calls[0]?.start ?? 0;
  return calls
    .filter((c) => c.start >= since)
    .map((c) => `${new Date(c.start).toISOString().slice(11)} ${c.instance} ${c.method}${c.offset !== undefined ? ` off=${c.offset}` : ''}${c.timeout !== undefined ? ` t=${c.timeout}` : ''}${c.text ? ` "${c.text}"` : ''} +${c.start - t0}..${c.end === undefined ? '∞' : `+${c.end - t0}`}${c.updates !== undefined ? ` n=${c.updates}` : ''}`)
    .join('\n');
}

/**
 * Samples every instance's /status while a test runs: who claimed to be leader with polling on, at the same time,
 * and the sequence of (instance, fence) leaderships, so a test can assert "never two" and "fences only grow".
 */
export class RoleMonitor {
  /** Samples in which two or more instances said they may poll (leader, polling on, lease time left). */
  readonly doubleLeaders: Array<{ at: number; names: string[] }> = [];
  /** Each new leadership term as first seen: instance and fence. */
  readonly terms: Array<{ at: number; name: string; fence: number | null }> = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly insts: readonly Instance[],
    everyMs = 25,
  ) {
    this.loop = (async () => {
      while (this.running) {
        const snaps = await Promise.all(this.insts.map((i) => i.probe(300)));
        const at = Date.now();
        // "May poll now" as the gateway judges it: role leader, polling on, and time left on the monotonic deadline (a
        // process just woken from SIGSTOP can answer /status before its deadline timer has demoted it).
        const leaders = snaps.flatMap((s, i) => (s?.role === 'leader' && s.gateway.polling && s.lease.msLeft > 0 ? [{ name: this.insts[i]?.name ?? '?', fence: s.lease.fence }] : []));
        if (leaders.length > 1) this.doubleLeaders.push({ at, names: leaders.map((l) => l.name) });
        for (const l of leaders) {
          const last = this.terms.at(-1);
          if (!last || last.name !== l.name || (l.fence !== null && last.fence !== l.fence)) this.terms.push({ at, name: l.name, fence: l.fence });
        }
        await sleep(everyMs);
      }
    })();
  }

  /** Fences in order of leadership; true when each is larger than the one before. */
  fencesGrow(): boolean {
    const f = this.terms.map((t) => t.fence);
    return f.every((v, i) => v !== null && (i === 0 || v > (f[i - 1] ?? Infinity)));
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/** `botwarden status --state-dir <dir>` (text), from source. */
export async function statusCommand(stateDir: string): Promise<{ code: number | string; out: string }> {
  const p = spawnProcess(process.execPath, ['--import', 'tsx', CLI_SOURCE, 'status', '--state-dir', stateDir]);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
  const code = await p.exited();
  clearTimeout(timer);
  return { code, out: p.stdout() + p.stderr() };
}

/** With CHAOS_DEBUG=1: write the upstream timeline and every instance's log to a temp file and name it in a diagnostic. */
export function dumpTimeline(t: { name: string; diagnostic(msg: string): void }, journal: UpstreamJournal, insts: readonly Instance[]): void {
  if (!process.env.CHAOS_DEBUG) return;
  const file = path.join(os.tmpdir(), `bw-chaos-${t.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.log`);
  writeFileSync(file, `${describeCalls(journal.calls)}\n\n${insts.map((i) => `==== ${i.name}\n${i.stderr()}`).join('\n')}`);
  t.diagnostic(`timeline: ${file}`);
}

/** Epoch ms of the first botwarden log line matching `re` (its ISO timestamp), or undefined. */
export function logTime(log: string, re: RegExp): number | undefined {
  const line = log.split('\n').find((l) => re.test(l));
  const iso = line?.match(/^(\d{4}-\d\d-\d\dT[\d:.]+Z)/)?.[1];
  return iso ? Date.parse(iso) : undefined;
}

/** Milliseconds between the first log lines matching `a` (in logA) and `b` (in logB). */
export function logGapMs(logA: string, a: RegExp, logB: string, b: RegExp): number | undefined {
  const ta = logTime(logA, a);
  const tb = logTime(logB, b);
  return ta === undefined || tb === undefined ? undefined : tb - ta;
}
