// ResponseParser: every framing (length, chunked, until close, none), interim answers, keep-alive, and the answers
// that must fail rather than misframe the next one; each fed whole, byte by byte and in seeded random pieces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpParseError, ResponseParser } from '../../src/telegram/http-response.js';
import { randomInt, seededRandom } from '../helpers/random.js';

interface Parsed {
  heads: { status: number; raw: string[] }[];
  body: string;
  complete: boolean | undefined;
  keepAliveTimeoutMs: number | undefined;
}

/** Feed `wire` in the given pieces; `end`: the connection closes after the last piece. */
function parse(pieces: Buffer[], opts: { head?: boolean; end?: boolean } = {}): Parsed {
  const out: Parsed = { heads: [], body: '', complete: undefined, keepAliveTimeoutMs: undefined };
  const p = new ResponseParser(
    {
      onHead: (status, raw) => void out.heads.push({ status, raw }),
      onBody: (c) => void (out.body += c.toString('latin1')),
      onComplete: (keepAlive) => {
        assert.equal(out.complete, undefined, 'completed twice');
        out.complete = keepAlive;
      },
    },
    opts.head ?? false,
  );
  for (const piece of pieces) p.execute(piece);
  if (opts.end) p.finish();
  out.keepAliveTimeoutMs = p.keepAliveTimeoutMs;
  return out;
}

/** The same bytes whole, one byte at a time, and cut at 50 seeded random sets of points. */
function splits(wire: string): Buffer[][] {
  const b = Buffer.from(wire, 'latin1');
  const out: Buffer[][] = [[b], [...b].map((x) => Buffer.from([x]))];
  const r = seededRandom(42);
  for (let round = 0; round < 50; round++) {
    const pieces: Buffer[] = [];
    for (let at = 0; at < b.length; ) {
      const n = randomInt(r, 1, 12);
      pieces.push(b.subarray(at, at + n));
      at += n;
    }
    out.push(pieces);
  }
  return out;
}

const JSON_BODY = '{"ok":true,"result":{"message_id":7,"text":"héllo"}}';

test('Content-Length: head once, the body exact, keep-alive, however the bytes arrive', () => {
  const wire = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(JSON_BODY, 'latin1')}\r\nKeep-Alive: timeout=5\r\n\r\n${JSON_BODY}`;
  for (const pieces of splits(wire)) {
    const r = parse(pieces);
    assert.deepEqual(r.heads, [{ status: 200, raw: ['Content-Type', 'application/json', 'Content-Length', String(JSON_BODY.length), 'Keep-Alive', 'timeout=5'] }]);
    assert.equal(r.body, JSON_BODY);
    assert.equal(r.complete, true);
    assert.equal(r.keepAliveTimeoutMs, 5000);
  }
});

test('chunked: sizes in hex, extensions and trailers ignored, the body decoded; a 1xx before it is skipped', () => {
  const wire =
    'HTTP/1.1 100 Continue\r\n\r\n' +
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n' +
    '5;name=value\r\nhello\r\n' +
    '1A\r\n, and twenty-six more byte\r\n' +
    '0\r\nX-Trailer: yes\r\n\r\n';
  for (const pieces of splits(wire)) {
    const r = parse(pieces);
    assert.equal(r.heads.length, 1);
    assert.equal(r.heads[0]!.status, 200);
    assert.equal(r.body, 'hello, and twenty-six more byte');
    assert.equal(r.complete, true);
  }
  // No trailers: the last chunk is followed by the empty line at once.
  for (const pieces of splits('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n')) {
    const r = parse(pieces);
    assert.equal(r.body, 'abc');
    assert.equal(r.complete, true);
  }
});

test('no length: the body runs until the connection closes, and the connection is not reused', () => {
  for (const pieces of splits('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this')) {
    const open = parse(pieces);
    assert.equal(open.complete, undefined, 'not complete before the close');
    const r = parse(pieces, { end: true });
    assert.equal(r.body, 'all of this');
    assert.equal(r.complete, false);
  }
  // A coding other than chunked last is also ended only by the close.
  const gz = parse([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz')], { end: true });
  assert.equal(gz.body, 'xyz');
  assert.equal(gz.complete, false);
});

test('no body: 204, 304 and the answer to HEAD (whatever Content-Length says)', () => {
  assert.equal(parse([Buffer.from('HTTP/1.1 204 No Content\r\n\r\n')]).complete, true);
  assert.equal(parse([Buffer.from('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n')]).complete, true);
  const head = parse([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n')], { head: true });
  assert.equal(head.complete, true);
  assert.equal(head.body, '');
  assert.equal(parse([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')]).complete, true);
});

test('keep-alive: Connection: close, HTTP/1.0 (unless it says keep-alive), and bytes after the answer end it', () => {
  assert.equal(parse([Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok')]).complete, false);
  assert.equal(parse([Buffer.from('HTTP/1.1 200 OK\r\nconnection: Keep-Alive, Close\r\nContent-Length: 2\r\n\r\nok')]).complete, false);
  assert.equal(parse([Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok')]).complete, false);
  assert.equal(parse([Buffer.from('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok')]).complete, true);
  const extra = parse([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n')]);
  assert.equal(extra.body, 'ok');
  assert.equal(extra.complete, false, 'a server that sends unasked bytes is not trusted with the next request');
});

test('answers that would misframe the connection fail with HttpParseError', () => {
  const bad: [string, RegExp][] = [
    ['HTTP/2 200 OK\r\n\r\n', /status line/],
    ['HTTP/1.1 20 OK\r\n\r\n', /status line/],
    ['HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n', /folded/],
    ['HTTP/1.1 200 OK\r\n: no name\r\n\r\n', /without a name/],
    ['HTTP/1.1 200 OK\r\nBad Name: 1\r\n\r\n', /without a name/],
    ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n', /two different/],
    ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /Content-Length/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /chunk size/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n', /longer than its size/],
    ['HTTP/1.1 101 Switching Protocols\r\n\r\n', /protocol switch/],
  ];
  for (const [wire, re] of bad) {
    assert.throws(() => parse([Buffer.from(wire)]), (e: unknown) => e instanceof HttpParseError && re.test(e.message), wire);
  }
  const huge = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70 * 1024)}`;
  assert.throws(() => parse([Buffer.from(huge)]), /longer than 65536 bytes/);
});

test('a connection that closes early: before any byte, inside the head, inside the body', () => {
  assert.throws(() => parse([], { end: true }), /before any answer arrived/);
  assert.throws(() => parse([Buffer.from('HTTP/1.1 200 OK\r\nContent-')], { end: true }), /before the whole answer arrived/);
  assert.throws(() => parse([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nonly')], { end: true }), /before the whole answer arrived/);
  assert.throws(() => parse([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab')], { end: true }), /before the whole answer/);
});
