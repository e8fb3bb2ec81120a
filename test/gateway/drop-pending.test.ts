// The bot's "drop pending updates" requests never reach the upstream unless --allow-drop-pending (drop-pending.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { Logger } from '../../src/log.js';
import { createMetrics, type Metrics } from '../../src/metrics/botwarden-metrics.js';
import { fakeLeader, startFakeUpstream, TOKEN, type FakeUpstream } from './fake-upstream.js';

async function setup(t: { after(fn: () => Promise<void>): void }, allowDropPending = false): Promise<{ up: FakeUpstream; gw: Gateway; lines: string[]; metrics: Metrics }> {
  const up = await startFakeUpstream();
  const lines: string[] = [];
  const logger = new Logger({ level: 'debug', sink: { write: (l: string) => lines.push(l) } });
  const metrics = createMetrics({ defaultMetrics: false });
  const gw = await startGateway({ upstreamRoot: up.url, token: TOKEN, leader: fakeLeader({ leader: true, msLeft: 120_000 }).view, logger, metrics, allowDropPending, shortPollHoldMs: 100 });
  t.after(async () => {
    await gw.close();
    await up.close();
  });
  return { up, gw, lines, metrics };
}

async function call(gw: Gateway, method: string, init: { body: string; type: string; query?: string }): Promise<{ status: number; body: { ok: boolean; result?: unknown; description?: string } }> {
  const res = await fetch(`${gw.root}/bot${TOKEN}/${method}${init.query ?? ''}`, { method: 'POST', headers: { 'content-type': init.type }, body: init.body });
  return { status: res.status, body: (await res.json()) as { ok: boolean; result?: unknown } };
}
const json = (o: Record<string, unknown>): { body: string; type: string } => ({ body: JSON.stringify(o), type: 'application/json' });

test('deleteWebhook drop_pending_updates=true goes upstream with false, in every encoding; counted, logged once', async (t) => {
  const c = await setup(t);
  const r1 = await call(c.gw, 'deleteWebhook', json({ drop_pending_updates: true }));
  assert.equal(r1.status, 200);
  assert.equal(r1.body.ok, true);
  const r2 = await call(c.gw, 'deleteWebhook', { body: 'drop_pending_updates=True', type: 'application/x-www-form-urlencoded' });
  assert.equal(r2.body.ok, true);
  await call(c.gw, 'deletewebhook', { body: '', type: 'application/json', query: '?drop_pending_updates=1' });
  const sent = c.up.requests.filter((r) => r.name.toLowerCase() === 'deletewebhook');
  assert.equal(sent.length, 3);
  for (const r of sent) assert.equal(r.json?.['drop_pending_updates'], false, JSON.stringify(r.json));
  const s = c.gw.snapshot();
  assert.equal(s.dropPendingKept.byMethod.deleteWebhook, 3);
  assert.equal(s.dropPendingKept.total, 3);
  assert.equal(c.lines.filter((l) => l.includes('drop_pending_updates=true')).length, 1, 'said once');
  assert.match(await c.metrics.registry.metrics(), /botwarden_drop_pending_kept_total\{method="deleteWebhook"\} 3/);
  // Without the flag (or with false) it is forwarded as it came and not counted.
  await call(c.gw, 'deleteWebhook', json({ drop_pending_updates: false }));
  await call(c.gw, 'deleteWebhook', json({}));
  assert.equal(c.gw.snapshot().dropPendingKept.total, 3);
});

test('"yes" drops too (the server reads true, yes and 1 in any case): kept from Telegram as well', async (t) => {
  const c = await setup(t);
  await call(c.gw, 'deleteWebhook', { body: 'drop_pending_updates=YES', type: 'application/x-www-form-urlencoded' });
  const sent = c.up.requests.filter((r) => r.name === 'deleteWebhook');
  assert.equal(sent.length, 1);
  assert.equal(sent[0]?.json?.['drop_pending_updates'], false, JSON.stringify(sent[0]?.json));
  assert.equal(c.gw.snapshot().dropPendingKept.byMethod.deleteWebhook, 1);
});

test('setWebhook keeps its parameters but not the drop; a certificate upload with the drop is refused with a reason', async (t) => {
  const c = await setup(t);
  const r = await call(c.gw, 'setWebhook', json({ url: 'https://example.org/hook', drop_pending_updates: 'true', max_connections: 5 }));
  assert.equal(r.body.ok, true);
  const sent = c.up.requests.find((x) => x.name === 'setWebhook');
  assert.deepEqual(sent?.json, { url: 'https://example.org/hook', drop_pending_updates: false, max_connections: 5 });
  const boundary = 'XyZ';
  const body = [
    `--${boundary}\r\nContent-Disposition: form-data; name="url"\r\n\r\nhttps://example.org/hook\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="drop_pending_updates"\r\n\r\ntrue\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="certificate"; filename="cert.pem"\r\nContent-Type: application/octet-stream\r\n\r\nPEM\r\n`,
    `--${boundary}--\r\n`,
  ].join('');
  const refused = await call(c.gw, 'setWebhook', { body, type: `multipart/form-data; boundary=${boundary}` });
  assert.equal(refused.status, 400);
  assert.match(refused.body.description ?? '', /--allow-drop-pending/);
  assert.equal(c.up.requests.filter((x) => x.name === 'setWebhook').length, 1, 'the refused call never went upstream');
});

test('getUpdates with a negative offset is answered [] at once and never forwarded; the next poll gets every pending update', async (t) => {
  const c = await setup(t);
  const ids = [c.up.push('a'), c.up.push('b'), c.up.push('c')];
  const r = await call(c.gw, 'getUpdates', json({ offset: -1, timeout: 1 }));
  assert.deepEqual(r.body.result, []);
  assert.equal(c.up.requests.filter((x) => x.name.toLowerCase() === 'getupdates').length, 0);
  assert.deepEqual(c.up.pendingIds(), ids, 'nothing forgotten upstream');
  const next = await call(c.gw, 'getUpdates', json({ offset: 1, timeout: 0 }));
  assert.deepEqual((next.body.result as { update_id: number }[]).map((u) => u.update_id), ids);
  assert.equal(c.gw.snapshot().dropPendingKept.byMethod.getUpdates, 1);
  assert.equal(c.lines.filter((l) => l.includes('negative offset')).length, 1);
});

test('--allow-drop-pending lets every drop request through unchanged', async (t) => {
  const c = await setup(t, true);
  c.up.push('a');
  c.up.push('b');
  await call(c.gw, 'deleteWebhook', json({ drop_pending_updates: true }));
  assert.equal(c.up.requests.find((x) => x.name === 'deleteWebhook')?.json?.['drop_pending_updates'], true);
  await call(c.gw, 'getUpdates', json({ offset: -1, timeout: 0 }));
  const polls = c.up.requests.filter((x) => x.name.toLowerCase() === 'getupdates');
  assert.equal(polls[0]?.json?.['offset'], -1);
  assert.equal(c.gw.snapshot().dropPendingKept.total, 0);
  assert.equal(c.lines.filter((l) => l.includes('--allow-drop-pending')).length, 0);
});
