// getUpdates through the gateway against a tiny upstream: fencing by leadership, caps, 409/5xx/429 absorption,
// late answers after a lost lease, one upstream poll at a time, stop/resume, confirmOffset, parameter formats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/gateway/index.js';
import { Logger, silentLogger } from '../../src/log.js';
import { createMetrics, type Metrics } from '../../src/metrics/botwarden-metrics.js';
import { fakeLeader, startFakeUpstream, TOKEN, until, type FakeUpstream } from './fake-upstream.js';

type Leader = ReturnType<typeof fakeLeader>;
interface Ctx {
  up: FakeUpstream;
  gw: Gateway;
  leader: Leader;
  metrics: Metrics;
  lines: string[];
}

const FAST = { conflictDelayMs: 100, shortPollHoldMs: 200, errorBackoffMs: 100, errorBackoffMaxMs: 400, leaderCheckMs: 10 } satisfies Partial<GatewayOptions>;

async function setup(
  t: { after(fn: () => Promise<void>): void },
  o: { leader?: boolean; msLeft?: number; gateway?: Partial<GatewayOptions> } = {},
): Promise<Ctx> {
  const up = await startFakeUpstream();
  const leader = fakeLeader({ leader: o.leader ?? true, msLeft: o.msLeft ?? 120_000 });
  const lines: string[] = [];
  const logger = new Logger({ level: 'debug', sink: { write: (l: string) => lines.push(l) } });
  const metrics = createMetrics({ defaultMetrics: false });
  const gw = await startGateway({ upstreamRoot: up.url, token: TOKEN, leader: leader.view, logger, metrics, ...FAST, ...o.gateway });
  t.after(async () => {
    await gw.close();
    await up.close();
  });
  return { up, gw, leader, metrics, lines };
}

interface PollResult {
  status: number;
  body: { ok: boolean; result?: { update_id: number }[]; error_code?: number; description?: string };
  ms: number;
}

async function poll(gw: Gateway, params: Record<string, unknown>, init: { signal?: AbortSignal } = {}): Promise<PollResult> {
  const t0 = Date.now();
  const res = await fetch(`${gw.root}/bot${TOKEN}/getUpdates`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
    ...init,
  });
  return { status: res.status, body: (await res.json()) as PollResult['body'], ms: Date.now() - t0 };
}

const upstreamPolls = (up: FakeUpstream): FakeUpstream['requests'] => up.requests.filter((r) => /^(test\/)?getupdates$/.test(r.name.toLowerCase()));

test('leader: getUpdates is forwarded with the bot offset; updates reach the bot; counters move', async (t) => {
  const c = await setup(t);
  const id = c.up.push('one');
  const before = Date.now();
  const r = await poll(c.gw, { offset: 1, timeout: 5, allowed_updates: [] });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.result?.map((u) => u.update_id), [id]);
  const sent = upstreamPolls(c.up)[0]!;
  assert.deepEqual(sent.json, { timeout: 5, offset: 1, allowed_updates: [] });
  const s = c.gw.snapshot();
  assert.equal(s.updatesForwarded, 1);
  assert.equal(s.highestUpdateId, id);
  assert.equal(s.ackedOffset, 1);
  assert.equal(s.lastOffsetSeen, 1);
  assert.ok(s.lastGetUpdatesAt !== null && s.lastGetUpdatesAt >= before && s.lastGetUpdatesAt <= Date.now(), 'lastGetUpdatesAt: during the poll');
  assert.equal(s.polling, true);
  // The next poll acknowledges it; the upstream drops it.
  const r2 = await poll(c.gw, { offset: id + 1, timeout: 0 });
  assert.deepEqual(r2.body.result, []);
  assert.deepEqual(c.up.pendingIds(), []);
  assert.equal(c.gw.snapshot().ackedOffset, id + 1);
  assert.equal(c.up.maxConcurrentPolls(), 1);
  assert.match(await c.metrics.registry.metrics(), /botwarden_updates_forwarded_total 1/);
  assert.match(await c.metrics.registry.metrics(), /botwarden_api_requests_total\{method="getUpdates",code="200"\} 2/);
});

test('parameters from urlencoded (NTBA), query string, multipart and PTB-style JSON strings', async (t) => {
  const c = await setup(t);
  const url = `${c.gw.root}/bot${TOKEN}/GetUpdates`;
  await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'offset=7&timeout=0&allowed_updates=%5B%22message%22%5D' })).json();
  await (await fetch(`${url}?offset=8&timeout=0`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"offset":999}' })).json();
  const form = new FormData();
  form.set('offset', '9');
  form.set('limit', '3');
  await (await fetch(url, { method: 'POST', body: form })).json();
  await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"timeout": "0", "offset": "10", "limit": "100", "allowed_updates": "[\\"message\\"]"}' })).json();
  const sent = upstreamPolls(c.up).map((r) => r.json);
  assert.deepEqual(sent, [
    { timeout: 0, offset: 7, allowed_updates: ['message'] },
    { timeout: 0, offset: 8 },
    { timeout: 0, offset: 9, limit: 3 },
    { timeout: 0, offset: 10, limit: 100, allowed_updates: ['message'] },
  ]);
});

test('the upstream long poll is capped to end ≥ 1 s before the lease runs out', async (t) => {
  const c = await setup(t, { msLeft: 4500 });
  c.up.hooks.push((r, _req, res) => {
    if (r.name !== 'getUpdates') return false;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"result":[]}');
    return true;
  });
  const r = await poll(c.gw, { offset: 3, timeout: 1 });
  assert.deepEqual(r.body.result, []);
  // Bot asked 1 s: forwarded as 1. Now ask 30 with 4.5 s of lease: at most 3.
  c.leader.set({ msLeft: 4500 });
  const ac = new AbortController();
  const p = poll(c.gw, { offset: 4, timeout: 30 }, { signal: ac.signal }).catch(() => undefined);
  await until(() => upstreamPolls(c.up).some((x) => x.json?.offset === 4), 10_000, 'the capped poll');
  ac.abort();
  await p;
  assert.equal(upstreamPolls(c.up).find((x) => x.json?.offset === 4)!.json!.timeout, 3);
});

test('too little lease left: nothing goes upstream, the bot gets [] at its timeout', async (t) => {
  const c = await setup(t, { msLeft: 600 });
  const r = await poll(c.gw, { offset: 1, timeout: 1 });
  assert.deepEqual(r.body, { ok: true, result: [] });
  assert.ok(r.ms >= 900, `held ${r.ms} ms`);
  assert.equal(upstreamPolls(c.up).length, 0);
});

test('standby: held until its timeout then []; nothing upstream; a short poll is held briefly', async (t) => {
  const c = await setup(t, { leader: false });
  c.up.push('waiting');
  const r = await poll(c.gw, { offset: 0, timeout: 1 });
  assert.deepEqual(r.body, { ok: true, result: [] });
  // Held to its 1 s timeout, not answered early; the upper bound only catches a poll held far past it.
  assert.ok(r.ms >= 950 && r.ms < 30_000, `held ${r.ms} ms`);
  const r0 = await poll(c.gw, { offset: 0, timeout: 0 });
  assert.ok(r0.ms >= 180, `short poll held ${r0.ms} ms`);
  assert.equal(upstreamPolls(c.up).length, 0);
  assert.equal(c.gw.snapshot().updatesForwarded, 0);
});

test('standby → leadership arrives while a poll is held: it is forwarded and gets the update', async (t) => {
  const c = await setup(t, { leader: false });
  const id = c.up.push('hello');
  const p = poll(c.gw, { offset: 0, timeout: 60 });
  // A window in which a standby that wrongly forwards would poll upstream (the quiet is what is checked).
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(upstreamPolls(c.up).length, 0);
  c.leader.set({ leader: true });
  // The held poll (60 s timeout) can only carry the update if leadership made it go upstream.
  const r = await p;
  assert.deepEqual(r.body.result?.map((u) => u.update_id), [id]);
});

test('holdWhenStandbyMs caps the hold', async (t) => {
  const c = await setup(t, { leader: false, gateway: { holdWhenStandbyMs: 150 } });
  const r = await poll(c.gw, { offset: 0, timeout: 60 });
  assert.deepEqual(r.body.result, []);
  // The bound only tells "capped" from "held to the 60 s timeout"; it is no speed goal.
  assert.ok(r.ms < 30_000, `held ${r.ms} ms`);
});

test('409 from upstream never reaches the bot: [] after a delay, counted by cause, one warning per interval', async (t) => {
  const c = await setup(t);
  const texts = [
    'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
  ];
  c.up.hooks.push((r, _req, res) => {
    if (r.name !== 'getUpdates' || texts.length === 0) return false;
    const description = texts.shift()!;
    res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error_code: 409, description }));
    return true;
  });
  for (let i = 0; i < 3; i++) {
    const r = await poll(c.gw, { offset: 5, timeout: 5 });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { ok: true, result: [] });
    assert.ok(r.ms >= 90, `answered after ${r.ms} ms`);
  }
  const s = c.gw.snapshot();
  assert.deepEqual(s.conflictsAbsorbed, { total: 3, byCause: { webhook: 1, 'other-poller': 2 } });
  const warns = c.lines.filter((l) => l.includes('409 Conflict'));
  assert.equal(warns.length, 1, warns.join('\n'));
  assert.match(warns[0]!, /another process polls this token elsewhere/);
  const m = await c.metrics.registry.metrics();
  assert.match(m, /botwarden_conflicts_absorbed_total\{cause="other-poller"\} 2/);
  assert.match(m, /botwarden_conflicts_absorbed_total\{cause="webhook"\} 1/);
});

test('upstream 5xx and network failures: the bot gets [] after a hold, never the error; it recovers', async (t) => {
  const c = await setup(t);
  let failures = 2;
  c.up.hooks.push((r, req, res) => {
    if (r.name !== 'getUpdates' || failures === 0) return false;
    failures--;
    if (failures === 1) res.writeHead(502, { 'content-type': 'text/html' }).end('<html>502 Bad Gateway</html>');
    else req.socket.destroy();
    return true;
  });
  const r = await poll(c.gw, { offset: 1, timeout: 0 });
  assert.deepEqual(r.body, { ok: true, result: [] });
  assert.equal(c.gw.snapshot().upstreamReachable, false);
  const id = c.up.push('after the outage');
  const r2 = await poll(c.gw, { offset: 1, timeout: 3 });
  assert.deepEqual(r2.body.result?.map((u) => u.update_id), [id]);
  assert.equal(c.gw.snapshot().upstreamReachable, true);
  assert.ok(c.lines.some((l) => /did not answer getUpdates/.test(l)));
});

test('429 with retry_after: the gateway waits it out, holding the bot poll', async (t) => {
  const c = await setup(t);
  let once = true;
  c.up.hooks.push((r, _req, res) => {
    if (r.name !== 'getUpdates' || !once) return false;
    once = false;
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}');
    return true;
  });
  const id = c.up.push('x');
  const r = await poll(c.gw, { offset: 0, timeout: 5 });
  assert.deepEqual(r.body.result?.map((u) => u.update_id), [id]);
  const polls = upstreamPolls(c.up);
  assert.equal(polls.length, 2);
  assert.ok(polls[1]!.startedAt - polls[0]!.startedAt >= 950, 'waited retry_after');
});

test('other refusals (401) are passed through to the bot unchanged', async (t) => {
  const c = await setup(t);
  c.up.hooks.push((r, _req, res) => {
    if (r.name !== 'getUpdates') return false;
    res.writeHead(401, { 'content-type': 'application/json' }).end('{"ok":false,"error_code":401,"description":"Unauthorized"}');
    return true;
  });
  const r = await poll(c.gw, { offset: 0, timeout: 5 });
  assert.equal(r.status, 401);
  assert.deepEqual(r.body, { ok: false, error_code: 401, description: 'Unauthorized' });
});

test('an answer arriving after leadership was lost is discarded; the update is delivered again later', async (t) => {
  const c = await setup(t);
  const p = poll(c.gw, { offset: 0, timeout: 5 });
  await until(() => upstreamPolls(c.up).length === 1, 10_000, 'the upstream poll');
  c.leader.set({ leader: false });
  const id = c.up.push('late');
  const r = await p;
  assert.deepEqual(r.body, { ok: true, result: [] });
  assert.equal(c.gw.snapshot().lateDiscarded, 1);
  assert.equal(c.gw.snapshot().updatesForwarded, 0);
  assert.deepEqual(c.up.pendingIds(), [id], 'still unconfirmed upstream');
  c.leader.set({ leader: true });
  const again = await poll(c.gw, { offset: 0, timeout: 5 });
  assert.deepEqual(again.body.result?.map((u) => u.update_id), [id]);
  assert.match(await c.metrics.registry.metrics(), /botwarden_getupdates_late_discarded_total 1/);
});

test('a second getUpdates from the bot: the first gets [] at once and its upstream poll ends; never a 409', async (t) => {
  const c = await setup(t);
  const first = poll(c.gw, { offset: 0, timeout: 60 });
  await until(() => upstreamPolls(c.up).length === 1, 10_000, 'the first upstream poll');
  const second = poll(c.gw, { offset: 0, timeout: 60 });
  const r1 = await first;
  assert.deepEqual(r1.body, { ok: true, result: [] });
  assert.ok(r1.ms < 30_000, 'answered at once, not at its 60 s timeout');
  await until(() => upstreamPolls(c.up).length === 2, 10_000, 'the second upstream poll');
  assert.ok(upstreamPolls(c.up)[0]!.aborted, 'the first upstream poll was ended');
  const id = c.up.push('for the second');
  const r2 = await second;
  assert.deepEqual(r2.body.result?.map((u) => u.update_id), [id]);
});

test('the bot going away aborts the upstream poll', async (t) => {
  const c = await setup(t);
  const ac = new AbortController();
  const p = poll(c.gw, { offset: 0, timeout: 20 }, { signal: ac.signal }).catch(() => 'aborted');
  await until(() => upstreamPolls(c.up).length === 1, 10_000, 'the upstream poll');
  ac.abort();
  assert.equal(await p, 'aborted');
  await until(() => upstreamPolls(c.up)[0]!.aborted, 10_000, 'the upstream poll to be aborted');
});

test('stopPolling answers held polls [] now, aborts the upstream poll, holds new ones; resumePolling forwards again', async (t) => {
  const c = await setup(t);
  const p = poll(c.gw, { offset: 0, timeout: 60 });
  await until(() => upstreamPolls(c.up).length === 1, 10_000, 'the upstream poll');
  await c.gw.stopPolling();
  const r = await p;
  assert.deepEqual(r.body.result, []);
  assert.ok(r.ms < 30_000, 'answered at the stop, not at its 60 s timeout');
  await until(() => upstreamPolls(c.up)[0]!.aborted, 10_000, 'the upstream poll to be aborted');
  assert.equal(c.gw.snapshot().polling, false);
  const id = c.up.push('after resume');
  const held = poll(c.gw, { offset: 0, timeout: 10 });
  // A window in which a stopped gateway that wrongly forwards would poll upstream (the quiet is what is checked).
  await new Promise((res) => setTimeout(res, 200));
  assert.equal(upstreamPolls(c.up).length, 1, 'nothing upstream while stopped');
  c.gw.resumePolling();
  const r2 = await held;
  assert.deepEqual(r2.body.result?.map((u) => u.update_id), [id]);
  await c.gw.stopPolling();
  await c.gw.stopPolling();
});

test('stopPolling while Telegram is already answering: the answer still goes to the bot (no second delivery later)', async (t) => {
  const c = await setup(t);
  let headersSent = false;
  c.up.hooks.push((r, _req, res) => {
    if (r.name !== 'getUpdates') return false;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    headersSent = true;
    // The body follows 1.5 s after the headers (within the gateway's 2 s grace for an answer already arriving).
    setTimeout(() => res.end('{"ok":true,"result":[{"update_id":777,\n"message":{"message_id":1,"date":0,"chat":{"id":42,"type":"private"},"text":"x"}}]}'), 1500);
    return true;
  });
  const p = poll(c.gw, { offset: 0, timeout: 20 });
  await until(() => headersSent, 10_000, 'the answer to start');
  // The gateway notes "answering" when the headers reach it (in this process, no event a test can see): a margin
  // for that socket read, well inside the 1.5 s the body takes.
  await new Promise((r) => setTimeout(r, 300));
  await c.gw.stopPolling();
  const r = await p;
  assert.deepEqual(r.body.result?.map((u) => u.update_id), [777]);
  assert.equal(c.gw.snapshot().updatesForwarded, 1);
  assert.equal(c.gw.snapshot().lateDiscarded, 0);
});

test('confirmOffset sends the acknowledged offset upstream once, only while leader', async (t) => {
  const c = await setup(t);
  const a = c.up.push('a');
  const r = await poll(c.gw, { offset: 0, timeout: 1 });
  assert.deepEqual(r.body.result?.map((u) => u.update_id), [a]);
  assert.deepEqual(await c.gw.confirmOffset(), { sent: false }, 'nothing acknowledged beyond what went upstream');
  await c.gw.stopPolling();
  // The bot processed `a` and asks for more while polling is stopped: held, not forwarded.
  const held = poll(c.gw, { offset: a + 1, timeout: 0 });
  await held;
  assert.equal(c.gw.snapshot().ackedOffset, a + 1);
  assert.deepEqual(c.up.pendingIds(), [a]);
  const res = await c.gw.confirmOffset();
  assert.deepEqual(res, { sent: true, offset: a + 1 });
  assert.deepEqual(upstreamPolls(c.up).at(-1)!.json, { offset: a + 1, timeout: 0, limit: 1 });
  assert.deepEqual(c.up.pendingIds(), []);
  assert.equal(c.up.confirmedOffset(), a + 1);
  assert.deepEqual(await c.gw.confirmOffset(), { sent: false });
  // Not leader: never sent.
  await poll(c.gw, { offset: a + 5, timeout: 0 });
  c.leader.set({ leader: false });
  const n = upstreamPolls(c.up).length;
  assert.equal((await c.gw.confirmOffset()).sent, false);
  assert.equal(upstreamPolls(c.up).length, n);
});

test('the test environment has its own relay and path', async (t) => {
  const c = await setup(t);
  const res = await fetch(`${c.gw.root}/bot${TOKEN}/test/getUpdates`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"timeout":0}' });
  assert.deepEqual(await res.json(), { ok: true, result: [] });
  assert.equal(upstreamPolls(c.up)[0]!.url, `/bot${TOKEN}/test/getUpdates`);
});

test('/bot<token>/ with a method parameter naming getUpdates is fenced too', async (t) => {
  const c = await setup(t, { leader: false });
  const res = await fetch(`${c.gw.root}/bot${TOKEN}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"method":"getUpdates","timeout":0}' });
  assert.deepEqual(await res.json(), { ok: true, result: [] });
  assert.equal(c.up.requests.length, 0);
  const res2 = await fetch(`${c.gw.root}/bot${TOKEN}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"method":"getMe"}' });
  assert.equal(res2.status, 200);
  await res2.arrayBuffer();
  assert.equal(c.up.requests.length, 1);
  assert.equal(c.up.requests[0]!.body.toString(), '{"method":"getMe"}');
});

test('silent logger: getUpdates works without metrics too', async (t) => {
  const up = await startFakeUpstream();
  const gw = await startGateway({ upstreamRoot: `${up.url}/`, token: TOKEN, leader: fakeLeader().view, logger: silentLogger });
  t.after(async () => {
    await gw.close();
    await up.close();
  });
  const id = up.push();
  const r = await poll(gw, { timeout: 1 });
  assert.deepEqual(r.body.result?.map((u) => u.update_id), [id]);
});
