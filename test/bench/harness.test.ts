// The benchmark harness's own pieces: stats, tables, SVG, stamps, traffic summary, latency proxy, fixtures, peers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { median, percentile, summarize } from '../../bench/lib/stats.js';
import { toMarkdown, ratio, type BenchTable } from '../../bench/lib/table.js';
import { toSvg } from '../../bench/lib/svg.js';
import { readStamps, restartGaps } from '../../bench/lib/stamps.js';
import { summarizeTraffic, type TrafficLog } from '../helpers/traffic.js';
import { startLatencyProxy } from '../../bench/lib/latency-proxy.js';
import { startProc } from '../../bench/lib/proc.js';
import { isProcessAlive } from '../../src/process/liveness.js';
import { eventually } from '../helpers/wait.js';
import { writeReport } from '../../bench/lib/results.js';
import { machineInfo } from '../../bench/lib/machine.js';
import { SupervisordPeer, supervisordBin } from '../../bench/peers/supervisord.js';
import { Pm2Peer, pm2Bin } from '../../bench/peers/pm2.js';
import { restartGaps as gapsOf } from '../../bench/lib/stamps.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'fixtures');

function tmp(t: { after(fn: () => void): void }): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'bw-bench-test-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('median and percentiles interpolate between ranks; empty input gives NaN', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.equal(percentile([1, 2, 3, 4, 5], 100), 5);
  assert.equal(percentile([1, 2, 3, 4, 5], 0), 1);
  assert.ok(Math.abs(percentile([...Array(100).keys()], 99) - 98.01) < 1e-9);
  assert.ok(Number.isNaN(median([])));
  assert.deepEqual(summarize([5, 1]), { median: 3, p99: 4.96, min: 1, max: 5, n: 2 });
});

const table: BenchTable = {
  id: 't',
  title: 'T <&>',
  metrics: [{ key: 'a', label: 'restart', unit: 'ms' }],
  subjects: ['botwarden', 'pm2', 'supervisord'],
  cells: { botwarden: { a: { value: 10 } }, pm2: { a: { value: 40 } }, supervisord: { a: { value: null, na: 'not installed' } } },
  goals: [{ text: 'bw ≤ 0.5× pm2', met: true }],
};

test('markdown: peers carry botwarden ÷ peer, n/a cells say why, goals are listed', () => {
  assert.equal(ratio(table, 'pm2', 'a'), 0.25);
  const md = toMarkdown(table);
  assert.match(md, /\| pm2 \| 40 \(bw 0\.25×\) \|/);
  assert.match(md, /\| supervisord \| n\/a \(not installed\) \|/);
  assert.match(md, /\| botwarden \| 10 \|/);
  assert.match(md, /Goal: bw ≤ 0\.5× pm2 — met/);
});

test('svg: well-formed, escaped, one bar per measured cell', () => {
  const svg = toSvg(table, 'machine');
  assert.match(svg, /^<svg /);
  assert.match(svg, /T &lt;&amp;&gt;/);
  assert.equal((svg.match(/<rect x=/g) ?? []).length, 2);
  assert.match(svg, /n\/a — not installed/);
});

test('results: timestamped and latest JSON plus one SVG per table', (t) => {
  const dir = tmp(t);
  const written = writeReport(dir, { startedAt: '2025-01-02T03:04:05.678Z', finishedAt: '', durationMs: 1, machine: machineInfo(), versions: {}, tables: [table], errors: [] });
  assert.deepEqual(written.map((p) => path.basename(p)).sort(), ['2025-01-02T03-04-05Z-t.svg', '2025-01-02T03-04-05Z.json', 'latest-t.svg', 'latest.json']);
  assert.equal((JSON.parse(readFileSync(path.join(dir, 'latest.json'), 'utf8')) as { tables: BenchTable[] }).tables[0]?.id, 't');
});

test('results: a partial run (--only, --quick) writes its timestamped files and leaves latest.json and latest-*.svg alone', (t) => {
  const dir = tmp(t);
  const written = writeReport(dir, { startedAt: '2025-01-02T03:04:05.678Z', finishedAt: '', durationMs: 1, machine: machineInfo(), versions: {}, tables: [table], errors: [] }, { latest: false });
  assert.deepEqual(written.map((p) => path.basename(p)).sort(), ['2025-01-02T03-04-05Z-t.svg', '2025-01-02T03-04-05Z.json']);
});

test('stamps: restart gaps pair each exit with the next start', (t) => {
  const dir = tmp(t);
  const f = path.join(dir, 's');
  assert.deepEqual(readStamps(f), []);
  const events = [
    { event: 'start', at: 0, pid: 1 },
    { event: 'exit', at: 100, pid: 1 },
    { event: 'start', at: 130.5, pid: 2 },
    { event: 'exit', at: 300, pid: 2 },
    { event: 'start', at: 310, pid: 3 },
  ];
  assert.deepEqual(restartGaps(events), [30.5, 10]);
});

test('the sh and Node crashers stamp start and exit with sub-ms wall-clock times, then exit 1', async (t) => {
  const dir = tmp(t);
  for (const [cmd, file] of [
    [process.execPath, 'crasher.mjs'],
    ['/bin/sh', 'crasher.sh'],
  ] as const) {
    if (cmd === '/bin/sh' && process.platform === 'win32') continue;
    const stampFile = path.join(dir, `${file}.stamps`);
    const before = Date.now();
    const p = startProc(cmd, [path.join(FIXTURES, file)], { env: { ...process.env, STAMP_FILE: stampFile, CRASH_AFTER_MS: '50' } });
    t.after(() => p.stop(1000));
    assert.equal(await p.exited, 1);
    const ev = readStamps(stampFile);
    assert.deepEqual(ev.map((e) => e.event), ['start', 'exit'], file);
    assert.ok((ev[0]?.at ?? 0) >= before - 5 && (ev[1]?.at ?? 0) - (ev[0]?.at ?? 0) >= 45, `${file}: ${JSON.stringify(ev)}`);
    assert.equal(ev[0]?.pid, p.pid);
  }
});

test('the SIGTERM-ignoring fixture survives SIGTERM and SIGINT; stop() ends it with SIGKILL', async (t) => {
  const dir = tmp(t);
  const stampFile = path.join(dir, 'i.stamps');
  const p = startProc(process.execPath, [path.join(FIXTURES, 'ignore-sigterm.mjs')], { env: { ...process.env, STAMP_FILE: stampFile } });
  t.after(() => p.stop(100));
  // Its "start" stamp is written once its handlers are in place.
  await eventually('the fixture to start', () => readStamps(stampFile).length > 0, 30_000, 20);
  process.kill(p.pid, 'SIGTERM');
  process.kill(p.pid, 'SIGINT');
  // Both signals are recorded as ignored, then a window in which a process they ended would be gone.
  await eventually('both signals ignored', () => readStamps(stampFile).filter((e) => e.event.startsWith('ignored-')).length >= 2, 30_000, 20);
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(isProcessAlive(p.pid));
  await p.stop(100);
  assert.equal(await p.exited, 'SIGKILL');
  assert.ok(readStamps(stampFile).some((e) => e.event === 'ignored-SIGTERM'));
});

test('traffic summary: lost, duplicates, longest gap (to the end when updates were lost), max latency', () => {
  const tr: TrafficLog = {
    sentAt: new Map([
      [0, 1000],
      [1, 1050],
      [2, 1100],
      [3, 1150],
    ]),
    replies: new Map([
      [0, [1010]],
      [1, [1060, 1070]],
      [2, [1400]],
    ]),
    repliedBy: new Map(),
  };
  assert.deepEqual(summarizeTraffic(tr, 1000, 2000), { sent: 4, lost: 1, duplicates: 1, longestGapMs: 600, maxLatencyMs: 300 });
  tr.replies.set(3, [1410]);
  assert.deepEqual(summarizeTraffic(tr, 1000, 2000), { sent: 4, lost: 0, duplicates: 1, longestGapMs: 330, maxLatencyMs: 300 });
});

test('latency proxy delays each request, forwards method/path/body, counts requests with the token hidden', async (t) => {
  const upstream = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => res.end(JSON.stringify({ method: req.method, url: req.url, body })));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  t.after(() => upstream.close());
  const proxy = await startLatencyProxy(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, 60);
  t.after(() => proxy.close());
  const t0 = performance.now();
  const res = await fetch(`${proxy.url}/bot123:SECRET/getMe`, { method: 'POST', body: 'x=1' });
  const elapsed = performance.now() - t0;
  assert.deepEqual(await res.json(), { method: 'POST', url: '/bot123:SECRET/getMe', body: 'x=1' });
  assert.ok(elapsed >= 55, `elapsed ${elapsed}`);
  assert.equal(proxy.requests.length, 1);
  assert.equal(proxy.requests[0]?.path, '/bot<token>/getMe');
  await proxy.close();
  await proxy.close();
});

test('supervisord peer: private config, runs the program, stops it and itself on close', { skip: supervisordBin() ? false : 'supervisord not installed (scripts/install-bench-deps.sh)' }, async (t) => {
  const dir = tmp(t);
  const stampFile = path.join(dir, 'c.stamps');
  const peer = await SupervisordPeer.start([{ name: 'c', command: [process.execPath, path.join(FIXTURES, 'idle.mjs')], env: { STAMP_FILE: stampFile } }]);
  t.after(() => peer.close());
  await eventually('the program to start', () => readStamps(stampFile).length > 0, 30_000).catch(() => undefined);
  const pid = readStamps(stampFile)[0]?.pid ?? 0;
  assert.ok(pid > 0 && isProcessAlive(pid));
  await peer.close();
  assert.ok(!isProcessAlive(peer.pid));
  assert.ok(!isProcessAlive(pid));
  assert.ok(readStamps(stampFile).some((e) => e.event === 'stop'));
});

test('PM2 peer: private PM2_HOME, restarts a crashing app with no delay, pm2 kill leaves nothing', { skip: pm2Bin() ? false : 'pm2 not installed (npm install)' }, async (t) => {
  const dir = tmp(t);
  const stampFile = path.join(dir, 'p.stamps');
  const peer = await Pm2Peer.start();
  t.after(() => peer.close());
  assert.ok(peer.home.startsWith(os.tmpdir()));
  const daemon = peer.daemonPid() ?? 0;
  assert.ok(daemon > 0);
  await peer.startApps([{ name: 'p', script: process.execPath, args: [path.join(FIXTURES, 'crasher.mjs')], env: { STAMP_FILE: stampFile, CRASH_AFTER_MS: '1050' }, restartDelayMs: 0 }]);
  await eventually('a restart', () => readStamps(stampFile).filter((e) => e.event === 'start').length >= 2, 30_000).catch(() => undefined);
  const gaps = gapsOf(readStamps(stampFile));
  // That PM2 restarted it; how fast is the restart benchmark's figure (restartDelayMs 0 is the peer's setting).
  t.diagnostic(`PM2 restart gaps ${JSON.stringify(gaps)} ms`);
  assert.ok(gaps.length >= 1, `restart gaps ${JSON.stringify(gaps)}; pm2 output:\n${await peer.cli(['ls']).catch(String)}`);
  const pids = readStamps(stampFile).map((e) => e.pid);
  await peer.close();
  assert.ok(!isProcessAlive(daemon));
  // pm2 kill stops the apps before the daemon exits; allow the kernel a moment to finish the last one.
  await eventually('the apps to be gone', () => !pids.some((pid) => isProcessAlive(pid)), 10_000, 20).catch(() => undefined);
  for (const pid of pids) assert.ok(!isProcessAlive(pid), `pid ${pid} still alive`);
});
