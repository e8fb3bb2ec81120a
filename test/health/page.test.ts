// The status page handler in-process, over a real health server on 127.0.0.1: assets, the event stream, actions.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { startHealthServer, type HealthServer } from '../../src/health/server.js';
import { History } from '../../src/health/history.js';
import { RecentLines } from '../../src/health/recent-lines.js';
import { StatusPage, type PageAction, type PageActions, type PageFrame } from '../../src/health/page/index.js';
import { allAssets } from '../../src/health/page/assets.js';
import type { StatusSnapshot } from '../../src/health/status.js';
import { silentLogger } from '../../src/log.js';
import { eventually } from '../helpers/wait.js';
import { openSse } from './sse-reader.js';

const TOKEN = '5550001234:AAF-testTokenSecretPart_abcdefghijkl';
const SECRET = 'page-action-secret-0123456789';

function snapshot(role: StatusSnapshot['role']): StatusSnapshot {
  const now = Date.now();
  return {
    role,
    bot: { id: 5550001234, username: 'page_bot' },
    instance: { id: 'host-1-abc', host: 'host', pid: 1, startedAt: now - 60_000, version: '0.0.0' },
    child: { pid: role === 'leader' ? 4242 : null, restarts: 0, state: role === 'leader' ? 'running' : 'standby', startedAt: now - 5_000, lastExit: null, memoryBytes: 30_000_000 },
    conflicts: 2,
    conflictsByCause: { webhook: 0, 'other-poller': 2 },
    lease: { backend: 'file:/tmp/x', ttlMs: 10_000, fence: 3, msLeft: 8_000, holder: { botId: 5550001234, instanceId: 'host-1-abc', host: 'host', pid: 1, fence: 3, since: now - 60_000, expiresAt: now + 8_000 } },
    gateway: { root: 'http://127.0.0.1:1', used: true, polling: true, updatesForwarded: 7, lastGetUpdatesAt: now, lateDiscarded: 0, dropPendingKept: { total: 0, byMethod: {} } },
    api: { root: 'https://api.telegram.org', reachable: true },
    preflight: [{ id: 'token', label: 'token', state: 'ok', at: now, durationMs: 0, detail: 'format ok' }],
    stallAfterMs: 90_000,
  };
}

interface Setup {
  page: StatusPage;
  server: HealthServer;
  lines: RecentLines;
  performed: PageAction[];
  setRole(r: StatusSnapshot['role']): void;
  close(): Promise<void>;
}

async function setup(opts: { actions?: boolean; refuse?: string; frameEveryMs?: number } = {}): Promise<Setup> {
  let role: StatusSnapshot['role'] = 'standby';
  const lines = new RecentLines({ secrets: [TOKEN] });
  const performed: PageAction[] = [];
  const actions: PageActions = {
    secret: SECRET,
    perform: (a) => {
      performed.push(a);
      return opts.refuse ?? null;
    },
  };
  const page = new StatusPage({
    status: () => snapshot(role),
    history: new History({ intervalMs: 1000 }),
    lines,
    secrets: [TOKEN],
    ...(opts.actions ? { actions } : {}),
    logger: silentLogger,
    frameEveryMs: opts.frameEveryMs ?? 100,
  });
  const server = await startHealthServer({ port: 0, status: () => snapshot(role), metrics: () => Promise.resolve({ contentType: 'text/plain', body: '' }), extra: page.handle, logger: silentLogger });
  return {
    page,
    server,
    lines,
    performed,
    setRole: (r) => (role = r),
    close: async () => {
      page.close();
      await server.close();
    },
  };
}

let s: Setup;
before(async () => {
  s = await setup();
});
after(async () => {
  await s.close();
});

test('the page is served with a strict CSP, small, with no external URL and no HTML injection sinks', async () => {
  const res = await fetch(`${s.server.url}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'/);
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  const html = await res.text();
  assert.match(html, /<script src="\/_page\/app\.js" defer><\/script>/);
  const js = await (await fetch(`${s.server.url}/_page/app.js`)).text();
  const css = await (await fetch(`${s.server.url}/_page/app.css`)).text();
  assert.ok(js.length > 1000 && css.length > 500);

  let total = 0;
  for (const [p, a] of Object.entries(allAssets())) {
    total += a.body.length;
    const text = a.body.toString('utf8');
    assert.doesNotMatch(text, /https?:\/\//i, `${p} holds an absolute URL`);
    assert.doesNotMatch(text, /(src|href)=["']?\/\//i, `${p} holds a protocol-relative URL`);
    assert.doesNotMatch(text, /@import|url\(/i, `${p} loads something`);
  }
  assert.ok(total < 40_000, `the page weighs ${total} bytes`);
  // Same-origin references only: every src/href is a local path (or an empty data: icon).
  for (const m of html.matchAll(/(?:src|href)="([^"]*)"/g)) assert.match(m[1]!, /^(\/_page\/|data:,$)/, m[1]);

  // The script renders text only, and it is valid JavaScript.
  assert.doesNotMatch(js, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  assert.doesNotThrow(() => new vm.Script(js));
  // Every element the script looks up exists in the HTML.
  const ids = new Set([...js.matchAll(/\$\('([a-z-]+)'\)|text\('([a-z-]+)'/g)].map((m) => m[1] ?? m[2]));
  for (const prefix of ['mem', 'upd']) for (const suffix of ['line', 'area', 'max', 'span']) ids.add(`${prefix}-${suffix}`);
  for (const id of ids) assert.match(html, new RegExp(`id="${id}"`), `#${id} is missing from the HTML`);
});

test('HEAD and other methods; unknown paths still 404 and /status still works', async () => {
  const head = await fetch(`${s.server.url}/`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
  assert.equal((await fetch(`${s.server.url}/`, { method: 'POST' })).status, 405);
  assert.equal((await fetch(`${s.server.url}/events`, { method: 'POST' })).status, 405);
  assert.equal((await fetch(`${s.server.url}/_page/nope.js`)).status, 404);
  assert.equal((await fetch(`${s.server.url}/actions/explode`, { method: 'POST' })).status, 405);
  assert.equal(((await (await fetch(`${s.server.url}/status`)).json()) as StatusSnapshot).role, 'standby');
});

test('/events: a first full frame, then new lines only, redacted; a role change is pushed at once', async () => {
  const own = await setup({ frameEveryMs: 60_000 });
  own.lines.push('bot', 'stdout', 'before the page opened');
  const sse = await openSse(`${own.server.url}/events`);
  try {
    assert.equal(sse.status, 200);
    assert.match(sse.headers.get('content-type') ?? '', /^text\/event-stream/);
    const first = await sse.next<PageFrame>();
    assert.equal(first.reset, true);
    assert.equal(first.actions, false);
    assert.equal(first.status.role, 'standby');
    assert.ok(first.history && first.history.windowMs === 900_000);
    assert.deepEqual(first.lines.map((l) => l.text), ['before the page opened']);
    assert.equal(own.page.connections, 1);

    own.lines.push('bot', 'stderr', `oops ${TOKEN}`);
    own.lines.push('bot', 'stdout', `half ${TOKEN.slice(0, 20)}`);
    own.lines.push('bot', 'stdout', `${TOKEN.slice(20)} rest`);
    own.setRole('leader');
    // The timer would send the next frame only after 60 s: a frame well before that is the notify's.
    const t0 = Date.now();
    own.page.notify();
    const second = await sse.next<PageFrame>(30_000);
    assert.ok(Date.now() - t0 < 30_000, 'pushed on notify, not on the 60 s timer');
    assert.equal(second.reset, false);
    assert.equal(second.status.role, 'leader');
    assert.equal(second.history, undefined, 'history is sent again only when it changed');
    assert.equal(second.lines.length, 3);
    assert.equal(second.lines[0]!.text, 'oops 5550001234:<redacted>');
    const secret = TOKEN.split(':')[1]!;
    for (let i = 0; i + 12 <= secret.length; i++) assert.ok(!sse.raw().includes(secret.slice(i, i + 12)), `a piece of the token reached the stream: ${secret.slice(i, i + 12)}`);
  } finally {
    sse.close();
    await own.close();
  }
});

test('/events sends a frame about every frameEveryMs; a closed client is forgotten; close() ends streams', async () => {
  const own = await setup({ frameEveryMs: 100 });
  const a = await openSse(`${own.server.url}/events`);
  const b = await openSse(`${own.server.url}/events`);
  try {
    await a.next();
    // Nothing notifies here: the frames come from the 100 ms timer (how regular they are is not judged).
    for (let i = 0; i < 3; i++) await a.next(30_000);
    assert.match(a.raw(), /^retry: 2000\n\n/);
    b.close();
    await eventually('the closed client to be forgotten', () => own.page.connections === 1, 10_000, 20).catch(() => undefined);
    assert.equal(own.page.connections, 1);
    own.page.close();
    assert.equal(await a.ended(10_000), true);
    assert.equal(own.page.connections, 0);
    assert.equal((await fetch(`${own.server.url}/events`)).status, 503);
  } finally {
    a.close();
    b.close();
    await own.close();
  }
});

test('actions are refused while off, even with a secret', async () => {
  const res = await fetch(`${s.server.url}/actions/restart`, { method: 'POST', headers: { 'x-botwarden-secret': SECRET } });
  assert.equal(res.status, 403);
  assert.match(((await res.json()) as { error: string }).error, /--health-allow-actions/);
  assert.deepEqual(s.performed, []);
});

test('actions: POST only, the secret in a header, same origin; then performed', async () => {
  const own = await setup({ actions: true });
  const post = (path: string, headers: Record<string, string> = {}): Promise<Response> => fetch(`${own.server.url}${path}`, { method: 'POST', headers });
  try {
    const host = new URL(own.server.url).host;
    assert.equal((await post('/actions/restart')).status, 401, 'no secret');
    assert.equal((await post('/actions/restart', { 'x-botwarden-secret': `${SECRET}x` })).status, 401, 'wrong secret');
    assert.equal((await post('/actions/restart', { 'x-botwarden-secret': TOKEN })).status, 401, 'the token is not the secret');
    assert.equal((await post('/actions/restart', { cookie: `x-botwarden-secret=${SECRET}` })).status, 401, 'a cookie is not enough');
    assert.equal((await post('/actions/restart', { 'x-botwarden-secret': SECRET, origin: 'http://evil.example' })).status, 403, 'cross-origin');
    assert.equal((await post('/actions/restart', { 'x-botwarden-secret': SECRET, 'sec-fetch-site': 'cross-site' })).status, 403, 'cross-site');
    assert.equal((await fetch(`${own.server.url}/actions/restart`, { headers: { 'x-botwarden-secret': SECRET } })).status, 405, 'GET');
    assert.deepEqual(own.performed, []);

    const ok = await post('/actions/restart', { 'x-botwarden-secret': SECRET, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' });
    assert.equal(ok.status, 202);
    assert.deepEqual(await ok.json(), { ok: true, action: 'restart' });
    assert.equal((await post('/actions/step-down', { 'x-botwarden-secret': SECRET })).status, 202);
    assert.deepEqual(own.performed, ['restart', 'step-down']);

    const sse = await openSse(`${own.server.url}/events`);
    try {
      assert.equal((await sse.next<PageFrame>()).actions, true);
      assert.ok(!sse.raw().includes(SECRET), 'the action secret never goes to the page');
    } finally {
      sse.close();
    }
  } finally {
    await own.close();
  }
});

test('an action that cannot be done now answers 409 with the reason', async () => {
  const own = await setup({ actions: true, refuse: 'no bot runs on this instance (standby)' });
  try {
    const res = await fetch(`${own.server.url}/actions/restart`, { method: 'POST', headers: { 'x-botwarden-secret': SECRET } });
    assert.equal(res.status, 409);
    assert.match(((await res.json()) as { error: string }).error, /standby/);
  } finally {
    await own.close();
  }
});
