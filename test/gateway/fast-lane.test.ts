// FastLane: the common call answered on the raw connection (whole, split byte by byte, pipelined); everything else
// handed to node:http with the bytes read so far, for good; the bot's close reaches the handler; close() ends both kinds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import net from 'node:net';
import { FastLane, type FastReply, type FastRequest } from '../../src/gateway/fast-lane.js';

interface Lane {
  port: number;
  fast: FastRequest[];
  slow: string[];
  replies: FastReply[];
  lane: FastLane<string>;
  close(): Promise<void>;
}

/** A lane that takes POST/GET to /fast…, answers them itself (or holds them when `hold`), node:http the rest. */
async function startLane(hold = false): Promise<Lane> {
  const fast: FastRequest[] = [];
  const slow: string[] = [];
  const replies: FastReply[] = [];
  const server = createServer((req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => {
      slow.push(`${req.method} ${req.url} ${n}`);
      res.end(`slow ${req.url} ${n}`);
    });
  });
  const lane = new FastLane({
    server,
    takes: (_m, url) => (url.startsWith('/fast') ? url : undefined),
    handle: (req, _route, reply) => {
      fast.push(req);
      replies.push(reply);
      if (!hold) reply.send(200, ['Content-Type', 'text/plain', 'X-Seen', req.url], Buffer.from(`fast ${req.url} ${req.body.toString()}`));
    },
    keepAliveMs: 75_000,
  });
  const listener = net.createServer((s) => lane.accept(s));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  return {
    port: (listener.address() as net.AddressInfo).port,
    fast,
    slow,
    replies,
    lane,
    close: async () => {
      lane.close();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}

/** Send `pieces` on one connection (each its own write) and read until `count` answers arrived. */
async function exchange(port: number, pieces: string[], count: number): Promise<string> {
  const s = net.connect(port, '127.0.0.1');
  s.setNoDelay(true);
  let got = '';
  const done = new Promise<string>((resolve, reject) => {
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if ((got.match(/HTTP\/1\.1 \d{3}/g) ?? []).length >= count && /\r\n\r\n/.test(got)) {
        const bodies = got.split(/HTTP\/1\.1 /).slice(1);
        const complete = bodies.every((b) => {
          const len = /content-length: (\d+)/i.exec(b);
          return len ? Buffer.byteLength(b.slice(b.indexOf('\r\n\r\n') + 4), 'latin1') >= Number(len[1]) : true;
        });
        if (complete) resolve(got);
      }
    });
    s.on('error', reject);
  });
  for (const p of pieces) {
    s.write(p);
    await new Promise((r) => setImmediate(r));
  }
  const out = await done;
  s.destroy();
  return out;
}

const post = (path: string, body: string, extra = ''): string => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

test('the common call is answered on the fast lane: whole, byte by byte, pipelined in order, with keep-alive', async (t) => {
  const l = await startLane();
  t.after(() => l.close());
  const whole = await exchange(l.port, [post('/fast/a', '{"x":1}', 'Connection: keep-alive\r\n')], 1);
  assert.match(whole, /^HTTP\/1\.1 200 OK\r\nContent-Type: text\/plain\r\nX-Seen: \/fast\/a\r\nContent-Length: 20\r\nConnection: keep-alive\r\nKeep-Alive: timeout=75\r\n\r\nfast \/fast\/a \{"x":1\}$/);
  assert.deepEqual(l.fast[0]!.rawHeaders, ['Host', 'x', 'Content-Type', 'application/json', 'Content-Length', '7'], 'Connection is hop-by-hop: not handed on');
  assert.equal(l.fast[0]!.contentType, 'application/json');
  const bytes = [...post('/fast/b', 'hi')];
  const split = await exchange(l.port, bytes, 1);
  assert.match(split, /fast \/fast\/b hi$/);
  const piped = await exchange(l.port, [post('/fast/1', 'one') + post('/fast/2', 'two') + `GET /fast/3 HTTP/1.1\r\nHost: x\r\n\r\n`], 3);
  assert.deepEqual([...piped.matchAll(/fast (\/fast\/\d) ([a-z]*)/g)].map((m) => `${m[1]} ${m[2]}`), ['/fast/1 one', '/fast/2 two', '/fast/3 ']);
  assert.deepEqual(l.slow, []);
});

test('anything else is handed to node:http with what was read, and the connection stays there', async (t) => {
  const l = await startLane();
  t.after(() => l.close());
  const cases: [string, string][] = [
    ['other path', post('/other', 'abc')],
    ['chunked body', 'POST /fast/c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'],
    ['Expect', post('/fast/e', 'abc', 'Expect: 100-continue\r\n')],
    ['HTTP/1.0', 'POST /fast/h HTTP/1.0\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc'],
    ['Connection: close', post('/fast/k', 'abc', 'Connection: close\r\n')],
    ['gzip body', post('/fast/g', 'abc', 'Content-Encoding: gzip\r\n')],
    ['body over 64 KB', post('/fast/big', 'x'.repeat(70_000))],
    ['PUT', 'PUT /fast/p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc'],
  ];
  for (const [what, wire] of cases) {
    const before = l.slow.length;
    const out = await exchange(l.port, [wire], 1);
    assert.match(out, /slow \//, what);
    assert.equal(l.slow.length, before + 1, what);
  }
  // After a hand-over, even a common call on that connection is node:http's.
  const both = await exchange(l.port, [post('/other', 'a') + post('/fast/after', 'b')], 2);
  assert.match(both, /slow \/other 1[\s\S]*slow \/fast\/after 1/);
  assert.equal(l.fast.length, 0);
});

test("the bot's close reaches the handler of a call in flight; close() ends fast and handed-over connections", async (t) => {
  const l = await startLane(true);
  t.after(() => l.close());
  const s = net.connect(l.port, '127.0.0.1');
  s.write(post('/fast/held', 'x'));
  await new Promise<void>((resolve) => {
    const check = (): void => void (l.replies.length > 0 ? resolve() : setTimeout(check, 5));
    check();
  });
  const closed = new Promise<void>((resolve) => l.replies[0]!.onClose(resolve));
  s.destroy();
  await closed;

  const a = net.connect(l.port, '127.0.0.1'); // stays on the fast lane, idle
  const aConnected = new Promise<void>((resolve) => a.once('connect', () => resolve()));
  const b = net.connect(l.port, '127.0.0.1'); // handed over
  b.write(post('/other', 'abc'));
  await new Promise<void>((resolve) => b.once('data', () => resolve()));
  await aConnected;
  const ended = Promise.all([a, b].map((c) => new Promise<void>((resolve) => c.once('close', () => resolve()))));
  l.lane.close();
  await ended;
});

test('an upload pipelined behind a call in flight waits, read no further than a request ahead, then goes to node:http whole', async (t) => {
  const l = await startLane(true);
  t.after(() => l.close());
  const big = 'u'.repeat(2 * 1024 * 1024);
  const s = net.connect(l.port, '127.0.0.1');
  let got = '';
  s.on('data', (d: Buffer) => (got += d.toString('latin1')));
  s.write(post('/fast/held', 'x'));
  s.write(post('/other', big));
  await new Promise<void>((resolve) => {
    const check = (): void => void (l.replies.length > 0 ? resolve() : setTimeout(check, 5));
    check();
  });
  assert.equal(l.slow.length, 0, 'nothing reached node:http while the call was in flight');
  l.replies[0]!.send(200, [], Buffer.from('held done'));
  await new Promise<void>((resolve) => {
    const check = (): void => void (/slow \/other \d+$/.test(got) ? resolve() : setTimeout(check, 5));
    check();
  });
  s.destroy();
  assert.match(got, /held done[\s\S]*slow \/other 2097152$/);
  assert.deepEqual(l.slow, ['POST /other 2097152']);
});
