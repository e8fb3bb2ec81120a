// The one listen helper (src/server.ts): loopback by default, the URL reported, close that ends open connections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { closeServer, listenLoopback } from '../src/server.js';

test('listenLoopback binds 127.0.0.1 by default and reports the URL; closeServer ends open connections, safe twice', async () => {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial'); // never ended: a busy connection
  });
  const addr = await listenLoopback(server, { port: 0 });
  assert.equal(addr.host, '127.0.0.1');
  assert.ok(addr.port > 0);
  assert.equal(addr.url, `http://127.0.0.1:${addr.port}`);
  const got = new Promise<string>((resolve) => {
    const req = request(addr.url, (res) => {
      res.once('data', () => resolve('data'));
      res.on('error', () => undefined);
    });
    req.on('error', () => undefined);
    req.end();
  });
  assert.equal(await got, 'data');
  // The open response never ends by itself: the calls return only because closeServer ends it (a hang fails the test).
  await Promise.all([closeServer(server), closeServer(server)]);
  await closeServer(server);
  assert.equal(server.listening, false);
});

test('listenLoopback rejects when the port is taken', async () => {
  const a = createServer();
  const addr = await listenLoopback(a, { port: 0 });
  const b = createServer();
  await assert.rejects(listenLoopback(b, { port: addr.port }), /EADDRINUSE/);
  await closeServer(a);
  await closeServer(b);
});
