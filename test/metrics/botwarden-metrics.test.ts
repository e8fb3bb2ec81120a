// botwarden's metrics on a private registry: every documented name, bounded method labels, never the token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics } from '../../src/metrics/botwarden-metrics.js';
import { canonicalMethod, methodLabel } from '../../src/telegram/methods.js';

test('createMetrics: every documented metric on a private registry', async () => {
  const m = createMetrics();
  m.up.set(1);
  m.leader.set(1);
  m.restarts.inc();
  m.updatesForwarded.inc(3);
  m.conflictsAbsorbed.labels('webhook').inc();
  m.lateDiscarded.inc();
  m.botMemoryBytes.set(12345);
  m.observeApiCall('sendMessage', 200, 0.002);
  const text = await m.registry.metrics();
  for (const name of [
    'botwarden_up 1',
    'botwarden_leader 1',
    'botwarden_restarts_total 1',
    'botwarden_updates_forwarded_total 3',
    'botwarden_conflicts_absorbed_total{cause="webhook"} 1',
    'botwarden_conflicts_absorbed_total{cause="other-poller"} 0',
    'botwarden_api_requests_total{method="sendMessage",code="200"} 1',
    'botwarden_api_request_duration_seconds_bucket{le="0.0025",method="sendMessage"} 1',
    'botwarden_api_request_duration_seconds_bucket{le="60",method="sendMessage"} 1',
    'botwarden_getupdates_late_discarded_total 1',
    'botwarden_bot_memory_bytes 12345',
    'botwarden_process_resident_memory_bytes',
  ]) {
    assert.ok(text.includes(name), `missing ${name}`);
  }
  // Two sets side by side do not collide and do not share values (one per daemon, several in one test process).
  const m2 = createMetrics();
  m2.up.set(0);
  const text2 = await m2.registry.metrics();
  assert.match(text2, /^botwarden_up 0$/m);
  assert.match(text2, /^botwarden_restarts_total 0$/m);
  assert.match(text, /^botwarden_up 1$/m);
});

test('method labels are bounded: canonical names, any case, unknown → other; never the token', async () => {
  assert.equal(canonicalMethod('setWebHook'), 'setWebhook');
  assert.equal(canonicalMethod('GETUPDATES'), 'getUpdates');
  assert.equal(methodLabel('sendmessage'), 'sendMessage');
  assert.equal(methodLabel('file'), 'file');
  assert.equal(methodLabel('123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1'), 'other');
  assert.equal(methodLabel('whatever-the-bot-sends'), 'other');
  const m = createMetrics({ defaultMetrics: false });
  m.observeApiCall('123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1', 'weird code', 1);
  m.observeApiCall('noSuchMethod', 999, -1);
  const text = await m.registry.metrics();
  assert.match(text, /botwarden_api_requests_total\{method="other",code="error"\} 2/);
  assert.ok(!text.includes('AAHdq'));
});
