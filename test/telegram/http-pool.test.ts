// HttpPool (own keep-alive HTTP/1.1 client): bounded sockets reused, idle timeout, abort, cut-short answers, close(), streams both ways, keep-alive ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { closeServer, listenLoopback } from '../../src/server.js';
import { HttpPool, HttpTimeoutError, networkReason, PoolClosedError, type Exchange } from '../../src/telegram/http-pool.js';
import { HttpParseError } from '../../src/telegram/http-response.js';
import { createServer as createNetServer } from 'node:net';
import { Readable } from 'node:stream';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';

interface Srv {
  url: URL;
  /** Connections accepted so far, and the most open at once. */
  stats: { accepted: number; open: number; maxOpen: number; closedRequests: number };
  /** The server side of every open connection. */
  sockets: Set<Socket>;
}

async function serve(t: { after(fn: () => Promise<void>): void }, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Srv> {
  const stats = { accepted: 0, open: 0, maxOpen: 0, closedRequests: 0 };
  const server = createServer((req, res) => {
    res.on('close', () => {
      if (!res.writableFinished) stats.closedRequests++;
    });
    handler(req, res);
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    stats.accepted++;
    stats.maxOpen = Math.max(stats.maxOpen, ++stats.open);
    s.on('close', () => stats.open--);
  });
  const addr = await listenLoopback(server, { port: 0 });
  t.after(() => closeServer(server));
  return { url: new URL(addr.url), stats, sockets };
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

test('a stream body of unknown length goes chunked and arrives whole; a large answer is read with backpressure', async (t) => {
  const srv = await serve(t, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const got = Buffer.concat(chunks);
      res.writeHead(200, { 'x-te': String(req.headers['transfer-encoding']), 'x-len': String(got.length) });
      res.end(Buffer.alloc(3 * 1024 * 1024, 7)); // 3 MB back
    });
  });
  const pool = new HttpPool(srv.url);
  t.after(() => pool.close());
  const parts = Array.from({ length: 40 }, (_, i) => Buffer.alloc(16 * 1024, i));
  let received = 0;
  let paused = 0;
  let x: Exchange | undefined;
  const result = await new Promise<{ status: number; raw: string[] }>((resolve, reject) => {
    let head: { status: number; raw: string[] } | undefined;
    x = pool.exchange({ method: 'POST', path: '/upload', headers: {}, idleTimeoutMs: 10_000 }, Readable.from(parts), {
      onResponse: (status, raw) => void (head = { status, raw }),
      onData: (c) => {
        received += c.length;
        if (received > paused * 512 * 1024 + 512 * 1024) {
          paused++;
          setImmediate(() => x?.resume()); // stop reading for a moment every 512 KB
          return false;
        }
        return true;
      },
      onEnd: () => resolve(head!),
      onError: reject,
    });
  });
  assert.equal(result.status, 200);
  const h = Object.fromEntries(Array.from({ length: result.raw.length / 2 }, (_, i) => [result.raw[2 * i]!.toLowerCase(), result.raw[2 * i + 1]]));
  assert.equal(h['x-te'], 'chunked');
  assert.equal(h['x-len'], String(40 * 16 * 1024));
  assert.equal(received, 3 * 1024 * 1024);
  assert.ok(paused >= 5, 'reading was paused and resumed');
});

test('keep-alive ends: Connection: close is not reused, an idle socket the server closed is replaced, HEAD and 204 need no body', async (t) => {
  const srv = await serve(t, (req, res) => {
    req.resume();
    if (req.url === '/close') res.setHeader('connection', 'close');
    if (req.url === '/empty') return void res.writeHead(204).end();
    res.end('body');
  });
  const pool = new HttpPool(srv.url, { keepAliveMs: 60_000 });
  t.after(() => pool.close());
  const get = (path: string, method = 'GET') => pool.roundTrip({ method, path, headers: {}, idleTimeoutMs: 5000 });
  assert.equal((await get('/close')).body.toString(), 'body');
  assert.equal((await get('/a')).body.toString(), 'body');
  assert.equal(srv.stats.accepted, 2, 'the socket the server closed was not reused');
  assert.equal((await get('/a', 'HEAD')).body.length, 0);
  assert.equal((await get('/empty')).status, 204);
  assert.equal((await get('/a')).body.toString(), 'body');
  assert.equal(srv.stats.accepted, 2, 'HEAD and 204 left the socket reusable');

  // The server's idle keep-alive timeout closes our idle socket: the next call gets a new one, no error.
  const short = await serve(t, (req, res) => {
    req.resume();
    res.end('ok');
  });
  const pool2 = new HttpPool(short.url, { keepAliveMs: 60_000 });
  t.after(() => pool2.close());
  await pool2.roundTrip({ method: 'GET', path: '/', headers: {}, idleTimeoutMs: 5000 });
  // Close the server side of every idle connection, as a server's keep-alive timeout does.
  await until(() => short.stats.open === 1, 5000);
  for (const s of short.sockets) s.end();
  await until(() => short.stats.open === 0, 5000);
  const again = await pool2.roundTrip({ method: 'GET', path: '/', headers: {}, idleTimeoutMs: 5000 });
  assert.equal(again.body.toString(), 'ok');
  assert.equal(short.stats.accepted, 2);
});

test('a malformed answer fails with HttpParseError and its connection is closed, not reused', async (t) => {
  let accepted = 0;
  const server = createNetServer((s) => {
    accepted++;
    s.once('data', () => s.write(accepted === 1 ? 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nok' : 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const pool = new HttpPool(new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}`));
  t.after(() => pool.close());
  const err = await pool.roundTrip({ method: 'GET', path: '/', headers: {}, idleTimeoutMs: 5000 }).catch((e: unknown) => e);
  assert.ok(err instanceof HttpParseError, String(err));
  const ok = await pool.roundTrip({ method: 'GET', path: '/', headers: {}, idleTimeoutMs: 5000 });
  assert.equal(ok.body.toString(), 'ok');
  assert.equal(accepted, 2);
});

test('a path or header that would split the request is refused before anything is sent', async (t) => {
  const srv = await serve(t, (_req, res) => res.end());
  const pool = new HttpPool(srv.url);
  t.after(() => pool.close());
  assert.throws(() => pool.exchange({ method: 'GET', path: '/a b', headers: {}, idleTimeoutMs: 1000 }, undefined, { onResponse() {}, onData: () => true, onEnd() {}, onError() {} }), /invalid request path/);
  await assert.rejects(pool.roundTrip({ method: 'GET', path: '/', headers: { 'x-a': 'one\r\nx-b: two' }, idleTimeoutMs: 1000 }), /invalid value for header x-a/);
  await assert.rejects(pool.roundTrip({ method: 'GET', path: '/', headers: ['Host', 'h', 'Bad Name', 'v'], idleTimeoutMs: 1000 }), /invalid header name/);
  assert.equal(srv.stats.accepted, 0);
});

test('https: a certificate the machine trusts is accepted (IP in its SAN), answers arrive, and a new connection resumes the TLS session', async (t) => {
  const conns: boolean[] = [];
  const server = createTlsServer({ key: TEST_KEY, cert: TEST_CERT }, (req, res) => {
    req.resume();
    if (req.url === '/close') res.setHeader('connection', 'close'); // the next call needs a new connection
    res.end(`{"path":${JSON.stringify(req.url)}}`);
  });
  server.on('secureConnection', (s: TLSSocket) => conns.push(s.isSessionReused()));
  const addr = await listenLoopback(server, { port: 0 });
  t.after(() => closeServer(server));
  // The test certificate is trusted the way a user would trust one: NODE_EXTRA_CA_CERTS, in a process of its own.
  const dir = mkdtempSync(path.join(tmpdir(), 'botwarden-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ca = path.join(dir, 'ca.pem');
  writeFileSync(ca, TEST_CERT);
  const mod = new URL('../../src/telegram/http-pool.ts', import.meta.url).href;
  const code = `const { HttpPool } = await import(${JSON.stringify(mod)}); const p = new HttpPool(new URL('https://127.0.0.1:${addr.port}'), { maxSockets: 1 });
    for (const path of ['/close', '/a', '/b']) { const a = await p.roundTrip({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body: '{}', idleTimeoutMs: 5000 }); console.log(a.status, a.body.toString()); }
    p.close();`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_EXTRA_CA_CERTS: ca } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code2 = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code2, 0, out);
  assert.equal(out.trim(), ['200 {"path":"/close"}', '200 {"path":"/a"}', '200 {"path":"/b"}'].join('\n'));
  assert.equal(conns.length, 2, 'the second and third calls shared one kept-alive connection');
  assert.deepEqual(conns, [false, true], 'the second connection resumed the first one\'s session');
});
