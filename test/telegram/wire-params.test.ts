// telegram/wire-params: the request formats as the server reads them, and the gateway and the emulator reading the
// same requests the same way through it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { bodyEncoding, bodyFormat, lenientBool, lenientInt, putJsonBody, putUrlEncoded, readMultipart } from '../../src/telegram/wire-params.js';
import { intParam, parseParams } from '../../src/gateway/params.js';
import { addJson, addUrlEncoded, Params } from '../../src/emulator/params.js';

const BOUNDARY = '----bw-test-boundary';
const MULTIPART_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

function multipart(parts: { name: string; value: string; filename?: string }[]): Buffer {
  const out: string[] = [];
  for (const p of parts) {
    out.push(`--${BOUNDARY}\r\n`);
    out.push(
      p.filename === undefined
        ? `Content-Disposition: form-data; name="${p.name}"\r\n\r\n`
        : `Content-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: text/plain\r\n\r\n`,
    );
    out.push(`${p.value}\r\n`);
  }
  out.push(`--${BOUNDARY}--\r\n`);
  return Buffer.from(out.join(''));
}

function collect(run: (put: (k: string, v: unknown) => void) => void): [string, unknown][] {
  const got: [string, unknown][] = [];
  run((k, v) => got.push([k, v]));
  return got;
}

test('bodyFormat matches by substring, case-insensitively; bodyEncoding knows gzip, x-gzip, deflate', () => {
  assert.equal(bodyFormat('application/json; charset=utf-8'), 'json');
  assert.equal(bodyFormat('Application/X-WWW-Form-Urlencoded'), 'urlencoded');
  assert.equal(bodyFormat(MULTIPART_TYPE), 'multipart');
  assert.equal(bodyFormat('text/plain'), 'ignored');
  assert.equal(bodyFormat(undefined), 'ignored');
  assert.equal(bodyEncoding(undefined), 'identity');
  assert.equal(bodyEncoding(' GZIP '), 'gzip');
  assert.equal(bodyEncoding('x-gzip'), 'gzip');
  assert.equal(bodyEncoding('deflate'), 'deflate');
  assert.equal(bodyEncoding('br'), 'unsupported');
});

test('urlencoded and JSON bodies: pairs in order, bare string → content, broken or non-object → nothing', () => {
  assert.deepEqual(collect((put) => putUrlEncoded('a=1&b=x+y&a=2&c=%F0%9F%98%80', put)), [
    ['a', '1'],
    ['b', 'x y'],
    ['a', '2'],
    ['c', '😀'],
  ]);
  assert.deepEqual(collect((put) => putUrlEncoded('', put)), []);
  assert.deepEqual(collect((put) => putJsonBody('{"offset":5,"allowed_updates":["message"],"s":"t"}', put)), [
    ['offset', 5],
    ['allowed_updates', ['message']],
    ['s', 't'],
  ]);
  assert.deepEqual(collect((put) => putJsonBody('"hello"', put)), [['content', 'hello']]);
  assert.deepEqual(collect((put) => putJsonBody('[1,2]', put)), []);
  assert.deepEqual(collect((put) => putJsonBody('{"broken":', put)), []);
  assert.deepEqual(collect((put) => putJsonBody('null', put)), []);
});

test('readMultipart: fields from a Buffer or a stream; files dropped or handed over; a bad header gives nothing', async () => {
  const body = multipart([
    { name: 'offset', value: '7' },
    { name: 'doc', value: 'file bytes', filename: 'a.txt' },
    { name: 'timeout', value: '30' },
  ]);
  const headers = { 'content-type': MULTIPART_TYPE };
  const limits = { fieldSize: 1 << 20, files: 50 };
  const fromBuffer: [string, string][] = [];
  await readMultipart(body, headers, limits, { field: (k, v) => fromBuffer.push([k, v]) });
  assert.deepEqual(fromBuffer, [
    ['offset', '7'],
    ['timeout', '30'],
  ]);
  const fromStream: [string, string][] = [];
  const files: string[] = [];
  await readMultipart(Readable.from([body.subarray(0, 40), body.subarray(40)]), headers, limits, {
    field: (k, v) => fromStream.push([k, v]),
    file: (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => files.push(`${name}:${info.filename}:${Buffer.concat(chunks).toString()}`));
    },
  });
  assert.deepEqual(fromStream, fromBuffer);
  assert.deepEqual(files, ['doc:a.txt:file bytes']);
  let limited = false;
  await readMultipart(body, headers, { ...limits, files: 0 }, { field: () => undefined, filesLimit: () => (limited = true) });
  assert.equal(limited, true);
  const none: string[] = [];
  await readMultipart(body, { 'content-type': 'multipart/form-data' }, limits, { field: (k) => none.push(k) });
  assert.deepEqual(none, []);
});

test('lenientInt is td::to_integer; lenientBool is to_bool', () => {
  const ints: [string, number][] = [
    ['12', 12],
    ['12x', 12],
    ['abc', 0],
    ['', 0],
    ['-7', -7],
    [' 5', 0],
    ['+5', 0],
    ['007', 7],
  ];
  for (const [s, n] of ints) assert.equal(lenientInt(s), n, JSON.stringify(s));
  for (const t of ['true', 'TRUE', ' yes ', '1']) assert.equal(lenientBool(t), true, t);
  for (const f of ['false', '0', 'no', '', 'truthy', '2']) assert.equal(lenientBool(f), false, f);
});

test('the gateway and the emulator read the same request to the same parameters', async () => {
  const cases: { name: string; search: string; type: string; body: Buffer }[] = [
    { name: 'JSON', search: '', type: 'application/json', body: Buffer.from('{"offset":12,"timeout":"30","allowed_updates":["message"],"limit":1.5}') },
    { name: 'urlencoded', search: '', type: 'application/x-www-form-urlencoded', body: Buffer.from('offset=12x&timeout=30&allowed_updates=%5B%22message%22%5D') },
    { name: 'query beats body', search: '?offset=3', type: 'application/json', body: Buffer.from('{"offset":12}') },
    { name: 'multipart', search: '', type: MULTIPART_TYPE, body: multipart([{ name: 'offset', value: '-1' }, { name: 'timeout', value: 'abc' }]) },
  ];
  for (const c of cases) {
    const gw = await parseParams(c.search, c.body, { 'content-type': c.type });
    const emu = new Params();
    addUrlEncoded(emu, c.search.slice(1));
    if (bodyFormat(c.type) === 'json') addJson(emu, c.body.toString());
    else if (bodyFormat(c.type) === 'urlencoded') addUrlEncoded(emu, c.body.toString());
    else await readMultipart(c.body, { 'content-type': c.type }, { fieldSize: 1 << 20, files: 50 }, { field: (k, v) => emu.add(k, v) });
    assert.deepEqual([...gw.keys()].sort(), [...emu.entries()].map(([k]) => k).sort(), `${c.name}: names`);
    for (const name of ['offset', 'timeout', 'limit']) {
      assert.equal(intParam(gw, name), emu.has(name) ? emu.int(name, 0) : undefined, `${c.name}: ${name}`);
    }
  }
});

test('gateway: a gzip body is decoded before it is parsed (x-gzip too)', async () => {
  const { readBody } = await import('../../src/gateway/params.js');
  for (const enc of ['gzip', 'x-gzip']) {
    const req = Object.assign(Readable.from([gzipSync('{"offset":9}')]), { headers: { 'content-encoding': enc, 'content-type': 'application/json' } });
    const body = await readBody(req as never);
    const p = await parseParams('', body, req.headers);
    assert.equal(intParam(p, 'offset'), 9, enc);
  }
});
