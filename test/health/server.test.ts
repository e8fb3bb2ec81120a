// The health server answers only to loopback names while bound to loopback (DNS rebinding), any name when bound wider.
// (Tests bind 127.0.0.1 only: the wider case is checked on the decision function.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { hostHeaderAllowed, isLoopbackHost, startHealthServer } from '../../src/health/server.js';
import { silentLogger } from '../../src/log.js';
import type { StatusSnapshot } from '../../src/health/status.js';

function get(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

const metrics = (): Promise<{ contentType: string; body: string }> => Promise.resolve({ contentType: 'text/plain', body: 'm 1\n' });

test('hostHeaderAllowed: loopback names with or without a port; other names refused', () => {
  for (const h of ['127.0.0.1:8080', '127.0.0.1', 'localhost:1', 'LOCALHOST', '[::1]:9000', '[::1]', '127.1.2.3:5', undefined, '']) assert.equal(hostHeaderAllowed(h), true, String(h));
  for (const h of ['evil.example', 'evil.example:8080', '10.0.0.5:80', 'localhost.evil.example', '127.0.0.1.evil.example', '[::2]:80']) assert.equal(hostHeaderAllowed(h), false, h);
});

test('bound to loopback: a foreign Host gets 403 with a reason; loopback names are served', async () => {
  const server = await startHealthServer({ port: 0, status: () => ({}) as StatusSnapshot, metrics, logger: silentLogger });
  try {
    const bad = await get(server.port, '/metrics', `rebind.example:${server.port}`);
    assert.equal(bad.status, 403);
    assert.match(bad.body, /not a loopback name/);
    assert.doesNotMatch(bad.body, /m 1/);
    assert.equal((await get(server.port, '/healthz', `127.0.0.1:${server.port}`)).status, 200);
    assert.equal((await get(server.port, '/metrics', `localhost:${server.port}`)).body, 'm 1\n');
  } finally {
    await server.close();
  }
});

test('the check applies to a loopback binding only: bound wider (--health-host 0.0.0.0, e.g. Kubernetes probes), any Host is served', () => {
  for (const h of ['127.0.0.1', 'localhost', '::1', '127.0.0.2']) assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['0.0.0.0', '::', '192.168.1.5', 'bots.internal']) assert.equal(isLoopbackHost(h), false, h);
});
