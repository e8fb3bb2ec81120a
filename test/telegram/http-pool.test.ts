// HttpPool (node:http keep-alive pool): bounded sockets reused, idle timeout, abort, cut-short answers, close().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { closeServer, listenLoopback } from '../../src/server.js';
import { HttpPool, HttpTimeoutError, networkReason, PoolClosedError } from '../../src/telegram/http-pool.js';

interface Srv {
  url: URL;
  /** Connections accepted so far, and the most open at once. */
  stats: { accepted: number; open: number; maxOpen: number; closedRequests: number };
}

async function serve(t: { after(fn: () => Promise<void>): void }, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Srv> {
  const stats = { accepted: 0, open: 0, maxOpen: 0, closedRequests: 0 };
  const server = createServer((req, res) => {
    res.on('close', () => {
      if (!res.writableFinished) stats.closedRequests++;
    });
    handler(req, res);
  });
  server.on('connection', (s: Socket) => {
    stats.accepted++;
    stats.maxOpen = Math.max(stats.maxOpen, ++stats.open);
    s.on('close', () => stats.open--);
  });
  const addr = await listenLoopback(server, { port: 0 });
  t.after(() => closeServer(server));
  return { url: new URL(addr.url), stats };
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('concurrent calls use at most maxSockets connections and reuse them (keep-alive)', async (t) => {
  const srv = await serve(t, (req, res) => {
    req.resume();
    // Answers a little later, so the eight calls overlap and must share the two sockets.
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(`{"path":${JSON.stringify(req.url)}}`), 20);
  });
  const pool = new HttpPool(srv.url, { maxSockets: 2 });
  t.after(() => pool.close());
  const answers = await Promise.all(
    Array.from({ length: 8 }, (_, i) => pool.roundTrip({ method: 'POST', path: `/m${i}`, headers: { 'content-type': 'application/json' }, body: '{}', idleTimeoutMs: 5000 })),
  );
  assert.deepEqual(
    answers.map((a) => JSON.parse(a.body.toString()) as { path: string }),
    Array.from({ length: 8 }, (_, i) => ({ path: `/m${i}` })),
  );
  assert.equal(answers[0]!.status, 200);
  assert.equal(answers[0]!.headers['content-type'], 'application/json');
  assert.equal(srv.stats.maxOpen, 2);
  const again = await pool.roundTrip({ method: 'GET', path: '/again', headers: {}, idleTimeoutMs: 5000 });
  assert.equal(again.status, 200);
  assert.equal(srv.stats.accepted, 2, 'sockets were kept alive and reused');
});

test('no traffic for idleTimeoutMs → HttpTimeoutError; the server sees the request closed', async (t) => {
  const srv = await serve(t, (req) => void req.resume()); // never answers
  const pool = new HttpPool(srv.url);
  t.after(() => pool.close());
  // The server never answers: the call can only end by the pool's own idle timeout.
  const err = await pool.roundTrip({ method: 'GET', path: '/', headers: {}, idleTimeoutMs: 150 }).catch((e: unknown) => e);
  assert.ok(err instanceof HttpTimeoutError);
  assert.equal(networkReason(err), 'no answer within 150 ms');
  await until(() => srv.stats.closedRequests === 1, 10_000);
});

test("an abort rejects with the signal's reason, before and after the headers; onHeaders sees the status first", async (t) => {
  const srv = await serve(t, (req, res) => {
    req.resume();
    if (req.url === '/headers-only') res.writeHead(203, { 'content-type': 'text/plain' }).write('part'); // body never ends
  });
  const pool = new HttpPool(srv.url);
  t.after(() => pool.close());
  const ac = new AbortController();
  const p = pool.roundTrip({ method: 'GET', path: '/never', headers: {}, idleTimeoutMs: 10_000, signal: ac.signal });
  setTimeout(() => ac.abort(new Error('shutting down')), 30);
  await assert.rejects(p, /shutting down/);

  const ac2 = new AbortController();
  let seen: number | undefined;
  const p2 = pool.roundTrip({
    method: 'GET',
    path: '/headers-only',
    headers: {},
    idleTimeoutMs: 10_000,
    signal: ac2.signal,
    onHeaders: (status) => {
      seen = status;
      setTimeout(() => ac2.abort(new Error('stop reading')), 20);
    },
  });
  await assert.rejects(p2, /stop reading/);
  assert.equal(seen, 203);
  await until(() => srv.stats.closedRequests === 2, 10_000);
});

test('connection refused and an answer cut short are rejected with a short reason', async (t) => {
  const refused = new HttpPool(new URL('http://127.0.0.1:9'));
  const err = await refused.roundTrip({ method: 'GET', path: '/', headers: {}, idleTimeoutMs: 5000 }).catch((e: unknown) => e);
  assert.equal(networkReason(err), 'ECONNREFUSED');
  refused.close();

  const srv = await serve(t, (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-length': '100' }).write('only a part');
    setTimeout(() => res.destroy(), 20);
  });
  const pool = new HttpPool(srv.url);
  t.after(() => pool.close());
  const cut = await pool.roundTrip({ method: 'GET', path: '/', headers: {}, idleTimeoutMs: 5000 }).catch((e: unknown) => e);
  assert.ok(cut instanceof Error);
  assert.match(networkReason(cut), /ECONNRESET|aborted|closed/);
});

test('close() fails calls in flight and later ones; safe twice', async (t) => {
  const srv = await serve(t, (req) => void req.resume());
  const pool = new HttpPool(srv.url);
  const inflight = pool.roundTrip({ method: 'GET', path: '/', headers: {}, idleTimeoutMs: 10_000 }).catch((e: unknown) => e);
  await until(() => srv.stats.accepted === 1, 10_000);
  pool.close();
  pool.close();
  assert.equal(pool.closed, true);
  assert.ok((await inflight) instanceof Error);
  const later = await pool.roundTrip({ method: 'GET', path: '/', headers: {}, idleTimeoutMs: 10_000 }).catch((e: unknown) => e);
  assert.ok(later instanceof PoolClosedError);
  await until(() => srv.stats.open === 0, 10_000);
});

test('a path prefix and IPv6 loopback hosts work', async (t) => {
  const server = createServer((req, res) => res.end(req.url));
  let addr;
  try {
    addr = await listenLoopback(server, { host: '::1', port: 0 });
  } catch {
    t.skip('no IPv6 loopback here');
    return;
  }
  t.after(() => closeServer(server));
  const pool = new HttpPool(new URL(`${addr.url}/prefix`));
  t.after(() => pool.close());
  assert.equal(pool.origin, addr.url);
  const a = await pool.roundTrip({ method: 'GET', path: '/prefix/x?y=1', headers: {}, idleTimeoutMs: 5000 });
  assert.equal(a.body.toString(), '/prefix/x?y=1');
});

test('an idle kept-alive socket does not keep the process alive (a client is never closed)', async (t) => {
  // Requests, not connections, are counted: on a busy machine another test's client may still knock on a port this
  // server got from the OS after that test's server closed it.
  const ours = { requests: 0 };
  const srv = await serve(t, (req, res) => {
    if (req.url === '/') ours.requests++;
    req.resume();
    res.end('{}');
  });
  const mod = new URL('../../src/telegram/http-pool.ts', import.meta.url).href;
  const code = `const { HttpPool } = await import(${JSON.stringify(mod)}); const p = new HttpPool(new URL(${JSON.stringify(srv.url.href)}), { keepAliveMs: 60000 }); const a = await p.roundTrip({ method: 'GET', path: '/', headers: {}, idleTimeoutMs: 5000 }); console.log('status', a.status);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [exitCode, signal] = (await new Promise((resolve) => child.once('exit', (c, s) => resolve([c, s])))) as [number | null, string | null];
  clearTimeout(timer);
  assert.equal(signal, null, 'the child had to be killed: the idle socket kept it alive');
  assert.equal(exitCode, 0);
  assert.match(out, /status 200/);
  assert.equal(ours.requests, 1);
});

/** A self-signed certificate for 127.0.0.1 (test only; valid until 2125). */
const TEST_KEY = [
  '-----BEGIN PRIVATE KEY-----',
  'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgbhE0SxZCYtVFbXNJ',
  'BQvMh8SZW7CFhxXLqa6ELva9/LWhRANCAATvBN/zLVP7DYalEJECUc8hziazEE3p',
  'xeMY9pNwwGlPtvT7GrxAjV3Bj3hhfEHvb+bKNzlHADpYFQtL2MqSvAma',
  '-----END PRIVATE KEY-----',
].join('\n');
const TEST_CERT = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBjzCCATagAwIBAgIUEt5G/rQ3mhfBwPbd9LWxLTigi5swCgYIKoZIzj0EAwIw',
  'FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyNjEwMjU0N1oYDzIxMjYxMTAy',
  'MTAyNTQ3WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO',
  'PQMBBwNCAATvBN/zLVP7DYalEJECUc8hziazEE3pxeMY9pNwwGlPtvT7GrxAjV3B',
  'j3hhfEHvb+bKNzlHADpYFQtL2MqSvAmao2QwYjAdBgNVHQ4EFgQUdDObluCJ6uin',
  'nzDHEMqPcL33WjkwHwYDVR0jBBgwFoAUdDObluCJ6uinnzDHEMqPcL33WjkwDwYD',
  'VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0cAMEQC',
  'ICsgG2Reb2PTcyeIAqVowoeYFmkPb0qZyGgSlGCPGTI4AiB70fNj0VlRiK0xqqTr',
  'B4/p0F5A/Kvq2GNZTody+Yv3JA==',
  '-----END CERTIFICATE-----',
].join('\n');

test('an https origin speaks TLS and verifies the certificate (a self-signed one is refused)', async (t) => {
  let reached = 0;
  const server = createTlsServer({ key: TEST_KEY, cert: TEST_CERT }, (_req, res) => {
    reached++;
    res.end('{}');
  });
  const addr = await listenLoopback(server, { port: 0 });
  t.after(() => closeServer(server));
  const pool = new HttpPool(new URL(`https://127.0.0.1:${addr.port}`));
  t.after(() => pool.close());
  const err = await pool.roundTrip({ method: 'GET', path: '/', headers: {}, idleTimeoutMs: 5000 }).catch((e: unknown) => e);
  assert.match(networkReason(err), /SELF_SIGNED|UNABLE_TO_VERIFY/);
  assert.equal(reached, 0, 'no request went over an unverified connection');
});
