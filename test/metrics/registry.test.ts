// The metrics module: Prometheus text exposition checked line by line (parser-like), byte-for-byte equal to what
// prom-client 15 wrote for the same metrics, cumulative histograms, label escaping, and the process metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics, DURATION_BUCKETS_SECONDS } from '../../src/metrics/botwarden-metrics.js';
import { Counter, Gauge, Histogram, Registry } from '../../src/metrics/registry.js';

const PROM_CLIENT_DAEMON_TEXT = [
  "# HELP botwarden_conflicts_absorbed_total Upstream 409 Conflict answers to getUpdates that the gateway absorbed (never shown to the bot), by likely cause.",
  "# TYPE botwarden_conflicts_absorbed_total counter",
  "botwarden_conflicts_absorbed_total{cause=\"webhook\"} 0",
  "botwarden_conflicts_absorbed_total{cause=\"other-poller\"} 1",
  "",
  "# HELP botwarden_drop_pending_kept_total The bot's requests to drop pending updates (getUpdates offset<0, deleteWebhook/setWebhook drop_pending_updates) kept from Telegram, by method.",
  "# TYPE botwarden_drop_pending_kept_total counter",
  "botwarden_drop_pending_kept_total{method=\"getUpdates\"} 0",
  "botwarden_drop_pending_kept_total{method=\"deleteWebhook\"} 0",
  "botwarden_drop_pending_kept_total{method=\"setWebhook\"} 0",
  "",
  "# HELP botwarden_api_requests_total Upstream Bot API requests by method and HTTP status code (\"error\" when no answer came).",
  "# TYPE botwarden_api_requests_total counter",
  "botwarden_api_requests_total{method=\"sendMessage\",code=\"200\"} 2",
  "botwarden_api_requests_total{method=\"getUpdates\",code=\"409\"} 1",
  "",
  "# HELP botwarden_api_request_duration_seconds Upstream Bot API request duration in seconds, long polls included.",
  "# TYPE botwarden_api_request_duration_seconds histogram",
  "botwarden_api_request_duration_seconds_bucket{le=\"0.001\",method=\"sendMessage\"} 1",
  "botwarden_api_request_duration_seconds_bucket{le=\"0.0025\",method=\"sendMessage\"} 1",
  "botwarden_api_request_duration_seconds_bucket{le=\"0.005\",method=\"sendMessage\"} 1",
  "botwarden_api_request_duration_seconds_bucket{le=\"0.01\",method=\"sendMessage\"} 1",
  "botwarden_api_request_duration_seconds_bucket{le=\"0.025\",method=\"sendMessage\"} 1",
  "botwarden_api_request_duration_seconds_bucket{le=\"0.05\",method=\"sendMessage\"} 1",
  "botwarden_api_request_duration_seconds_bucket{le=\"0.1\",method=\"sendMessage\"} 1",
  "botwarden_api_request_duration_seconds_bucket{le=\"0.25\",method=\"sendMessage\"} 1",
  "botwarden_api_request_duration_seconds_bucket{le=\"0.5\",method=\"sendMessage\"} 2",
  "botwarden_api_request_duration_seconds_bucket{le=\"1\",method=\"sendMessage\"} 2",
  "botwarden_api_request_duration_seconds_bucket{le=\"2.5\",method=\"sendMessage\"} 2",
  "botwarden_api_request_duration_seconds_bucket{le=\"5\",method=\"sendMessage\"} 2",
  "botwarden_api_request_duration_seconds_bucket{le=\"10\",method=\"sendMessage\"} 2",
  "botwarden_api_request_duration_seconds_bucket{le=\"30\",method=\"sendMessage\"} 2",
  "botwarden_api_request_duration_seconds_bucket{le=\"60\",method=\"sendMessage\"} 2",
  "botwarden_api_request_duration_seconds_bucket{le=\"+Inf\",method=\"sendMessage\"} 2",
  "botwarden_api_request_duration_seconds_sum{method=\"sendMessage\"} 0.301",
  "botwarden_api_request_duration_seconds_count{method=\"sendMessage\"} 2",
  "botwarden_api_request_duration_seconds_bucket{le=\"0.001\",method=\"getUpdates\"} 0",
  "botwarden_api_request_duration_seconds_bucket{le=\"0.0025\",method=\"getUpdates\"} 0",
  "botwarden_api_request_duration_seconds_bucket{le=\"0.005\",method=\"getUpdates\"} 0",
  "botwarden_api_request_duration_seconds_bucket{le=\"0.01\",method=\"getUpdates\"} 0",
  "botwarden_api_request_duration_seconds_bucket{le=\"0.025\",method=\"getUpdates\"} 0",
  "botwarden_api_request_duration_seconds_bucket{le=\"0.05\",method=\"getUpdates\"} 0",
  "botwarden_api_request_duration_seconds_bucket{le=\"0.1\",method=\"getUpdates\"} 0",
  "botwarden_api_request_duration_seconds_bucket{le=\"0.25\",method=\"getUpdates\"} 0",
  "botwarden_api_request_duration_seconds_bucket{le=\"0.5\",method=\"getUpdates\"} 0",
  "botwarden_api_request_duration_seconds_bucket{le=\"1\",method=\"getUpdates\"} 0",
  "botwarden_api_request_duration_seconds_bucket{le=\"2.5\",method=\"getUpdates\"} 0",
  "botwarden_api_request_duration_seconds_bucket{le=\"5\",method=\"getUpdates\"} 0",
  "botwarden_api_request_duration_seconds_bucket{le=\"10\",method=\"getUpdates\"} 0",
  "botwarden_api_request_duration_seconds_bucket{le=\"30\",method=\"getUpdates\"} 0",
  "botwarden_api_request_duration_seconds_bucket{le=\"60\",method=\"getUpdates\"} 0",
  "botwarden_api_request_duration_seconds_bucket{le=\"+Inf\",method=\"getUpdates\"} 1",
  "botwarden_api_request_duration_seconds_sum{method=\"getUpdates\"} 75",
  "botwarden_api_request_duration_seconds_count{method=\"getUpdates\"} 1",
  "",
  "# HELP botwarden_up 1 while the bot process is running, else 0.",
  "# TYPE botwarden_up gauge",
  "botwarden_up 1",
  "",
  "# HELP botwarden_leader 1 while this instance holds the lease for the bot, else 0.",
  "# TYPE botwarden_leader gauge",
  "botwarden_leader 0",
  "",
  "# HELP botwarden_restarts_total Restarts of the bot process.",
  "# TYPE botwarden_restarts_total counter",
  "botwarden_restarts_total 3",
  "",
  "# HELP botwarden_updates_forwarded_total Updates handed to the bot through the gateway.",
  "# TYPE botwarden_updates_forwarded_total counter",
  "botwarden_updates_forwarded_total 3",
  "",
  "# HELP botwarden_getupdates_late_discarded_total getUpdates answers that arrived after this instance stopped being leader; discarded, the bot got [].",
  "# TYPE botwarden_getupdates_late_discarded_total counter",
  "botwarden_getupdates_late_discarded_total 1",
  "",
  "# HELP botwarden_bot_memory_bytes Resident memory of the bot's process tree in bytes.",
  "# TYPE botwarden_bot_memory_bytes gauge",
  "botwarden_bot_memory_bytes 1500000000",
].join('\n') + '\n';
const PROM_CLIENT_ESCAPES_TEXT = [
  "# HELP x_odd Help with \\\\ backslash\\nand newline \"quotes\" kept.",
  "# TYPE x_odd gauge",
  "x_odd{a=\"q\\\"uote\",b=\"back\\\\slash\\nnl\"} -0.5",
  "x_odd{a=\"1\",b=\"2\"} +Inf",
  "",
  "# HELP x_plain_seconds No labels.",
  "# TYPE x_plain_seconds histogram",
  "x_plain_seconds_bucket{le=\"0.5\"} 1",
  "x_plain_seconds_bucket{le=\"1\"} 1",
  "x_plain_seconds_bucket{le=\"+Inf\"} 2",
  "x_plain_seconds_sum 2.5",
  "x_plain_seconds_count 2",
].join('\n') + '\n';

/** prom-client 15's default metrics with prefix `botwarden_` (name, type, help), in its order. */
const PROCESS_METRICS: [string, string, string][] = [
  ["botwarden_process_cpu_user_seconds_total", "counter", "Total user CPU time spent in seconds."],
  ["botwarden_process_cpu_system_seconds_total", "counter", "Total system CPU time spent in seconds."],
  ["botwarden_process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds."],
  ["botwarden_process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds."],
  ["botwarden_process_resident_memory_bytes", "gauge", "Resident memory size in bytes."],
  ["botwarden_process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes."],
  ["botwarden_process_heap_bytes", "gauge", "Process heap size in bytes."],
  ["botwarden_process_open_fds", "gauge", "Number of open file descriptors."],
  ["botwarden_process_max_fds", "gauge", "Maximum number of open file descriptors."],
  ["botwarden_nodejs_eventloop_lag_seconds", "gauge", "Lag of event loop in seconds."],
  ["botwarden_nodejs_eventloop_lag_min_seconds", "gauge", "The minimum recorded event loop delay."],
  ["botwarden_nodejs_eventloop_lag_max_seconds", "gauge", "The maximum recorded event loop delay."],
  ["botwarden_nodejs_eventloop_lag_mean_seconds", "gauge", "The mean of the recorded event loop delays."],
  ["botwarden_nodejs_eventloop_lag_stddev_seconds", "gauge", "The standard deviation of the recorded event loop delays."],
  ["botwarden_nodejs_eventloop_lag_p50_seconds", "gauge", "The 50th percentile of the recorded event loop delays."],
  ["botwarden_nodejs_eventloop_lag_p90_seconds", "gauge", "The 90th percentile of the recorded event loop delays."],
  ["botwarden_nodejs_eventloop_lag_p99_seconds", "gauge", "The 99th percentile of the recorded event loop delays."],
  ["botwarden_nodejs_active_resources", "gauge", "Number of active resources that are currently keeping the event loop alive, grouped by async resource type."],
  ["botwarden_nodejs_active_resources_total", "gauge", "Total number of active resources."],
  ["botwarden_nodejs_active_handles", "gauge", "Number of active libuv handles grouped by handle type. Every handle type is C++ class name."],
  ["botwarden_nodejs_active_handles_total", "gauge", "Total number of active handles."],
  ["botwarden_nodejs_active_requests", "gauge", "Number of active libuv requests grouped by request type. Every request type is C++ class name."],
  ["botwarden_nodejs_active_requests_total", "gauge", "Total number of active requests."],
  ["botwarden_nodejs_heap_size_total_bytes", "gauge", "Process heap size from Node.js in bytes."],
  ["botwarden_nodejs_heap_size_used_bytes", "gauge", "Process heap size used from Node.js in bytes."],
  ["botwarden_nodejs_external_memory_bytes", "gauge", "Node.js external memory size in bytes."],
  ["botwarden_nodejs_heap_space_size_total_bytes", "gauge", "Process heap space size total from Node.js in bytes."],
  ["botwarden_nodejs_heap_space_size_used_bytes", "gauge", "Process heap space size used from Node.js in bytes."],
  ["botwarden_nodejs_heap_space_size_available_bytes", "gauge", "Process heap space size available from Node.js in bytes."],
  ["botwarden_nodejs_version_info", "gauge", "Node.js version info."],
  ["botwarden_nodejs_gc_duration_seconds", "histogram", "Garbage collection duration by kind, one of major, minor, incremental or weakcb."],
];

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_PAIR = '([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\["\\\\n])*)"';
const SAMPLE_RE = new RegExp(`^(${NAME})(?:\\{(${LABEL_PAIR}(?:,${LABEL_PAIR})*)\\})? (\\S+)$`);
const VALUE_RE = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$/;

function unescapeLabel(s: string): string {
  return s.replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

/** Parse the text format strictly: HELP, TYPE, then samples of that family; blocks separated by one blank line. */
function parseExposition(text: string): Family[] {
  assert.ok(text.endsWith('\n') && !text.endsWith('\n\n'), 'ends with exactly one line feed');
  const families: Family[] = [];
  for (const block of text.slice(0, -1).split('\n\n')) {
    const lines = block.split('\n');
    const help = /^# HELP (\S+) (.*)$/.exec(lines[0] ?? '');
    const type = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(lines[1] ?? '');
    assert.ok(help && type, `block starts with HELP and TYPE: ${lines.slice(0, 2).join(' | ')}`);
    assert.equal(help[1], type[1]);
    assert.match(help[1]!, new RegExp(`^${NAME}$`));
    const fam: Family = { name: help[1]!, type: type[2]!, help: help[2]!, samples: [] };
    if (fam.type === 'counter') assert.match(fam.name, /_total$/, 'counters end in _total');
    for (const line of lines.slice(2)) {
      const m = SAMPLE_RE.exec(line);
      assert.ok(m, `sample line: ${JSON.stringify(line)}`);
      const value = m.at(-1)!;
      assert.match(value, VALUE_RE, `value of ${line}`);
      const labels: Record<string, string> = {};
      if (m[2]) {
        for (const p of m[2].matchAll(new RegExp(LABEL_PAIR, 'g'))) {
          assert.ok(!(p[1]! in labels), `label ${p[1]} once in ${line}`);
          labels[p[1]!] = unescapeLabel(p[2]!);
        }
      }
      const allowed = fam.type === 'histogram' ? [`${fam.name}_bucket`, `${fam.name}_sum`, `${fam.name}_count`] : [fam.name];
      assert.ok(allowed.includes(m[1]!), `${m[1]} belongs to ${fam.name}`);
      fam.samples.push({ name: m[1]!, labels, value: value === '+Inf' ? Infinity : value === '-Inf' ? -Infinity : Number(value) });
    }
    families.push(fam);
  }
  assert.equal(new Set(families.map((f) => f.name)).size, families.length, 'each family once');
  return families;
}

/** Histogram rules: per label set, `le` ascending to +Inf, counts cumulative, +Inf = _count, one _sum. */
function checkHistogram(f: Family): number {
  const groups = new Map<string, Sample[]>();
  for (const s of f.samples) {
    const { le: _le, ...rest } = s.labels;
    const key = JSON.stringify(rest);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const [key, samples] of groups) {
    const buckets = samples.filter((s) => s.name.endsWith('_bucket'));
    assert.ok(buckets.length >= 1, `${f.name}${key}: buckets`);
    const les = buckets.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)));
    assert.ok(les.every((x, i) => i === 0 || x > les[i - 1]!), `${f.name}${key}: le ascending`);
    assert.equal(les.at(-1), Infinity, `${f.name}${key}: last bucket is +Inf`);
    assert.ok(buckets.every((b, i) => i === 0 || b.value >= buckets[i - 1]!.value), `${f.name}${key}: cumulative`);
    const count = samples.filter((s) => s.name === `${f.name}_count`);
    const sum = samples.filter((s) => s.name === `${f.name}_sum`);
    assert.equal(count.length, 1, `${f.name}${key}: one _count`);
    assert.equal(sum.length, 1, `${f.name}${key}: one _sum`);
    assert.equal(buckets.at(-1)!.value, count[0]!.value, `${f.name}${key}: +Inf equals _count`);
  }
  return groups.size;
}

test('the daemon metrics render byte for byte as prom-client 15 rendered them', async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.up.set(1);
  m.leader.set(0);
  m.restarts.inc();
  m.restarts.inc(2);
  m.updatesForwarded.inc(3);
  m.conflictsAbsorbed.labels('other-poller').inc();
  m.observeApiCall('sendMessage', 200, 0.001);
  m.observeApiCall('sendMessage', 200, 0.3);
  m.observeApiCall('getUpdates', 409, 75);
  m.lateDiscarded.inc();
  m.botMemoryBytes.set(1.5e9);
  assert.equal(m.registry.contentType, 'text/plain; version=0.0.4; charset=utf-8');
  const text = await m.registry.metrics();
  assert.equal(text, PROM_CLIENT_DAEMON_TEXT);
  const fams = parseExposition(text);
  const hist = fams.find((f) => f.name === 'botwarden_api_request_duration_seconds')!;
  assert.equal(checkHistogram(hist), 2);
  const les = hist.samples.filter((s) => s.name.endsWith('_bucket') && s.labels.method === 'getUpdates').map((s) => s.labels.le);
  assert.deepEqual(les, [...DURATION_BUCKETS_SECONDS.map(String), '+Inf']);
  // The other form of the same call (an object of labels) lands in the same series.
  m.conflictsAbsorbed.inc({ cause: 'other-poller' });
  assert.match(await m.registry.metrics(), /^botwarden_conflicts_absorbed_total\{cause="other-poller"\} 2$/m);
});

test('escaping of HELP and label values, +Inf values, an unlabelled histogram: as prom-client, and parsed back', async () => {
  const r = new Registry();
  const g = new Gauge({ name: 'x_odd', help: 'Help with \\ backslash\nand newline "quotes" kept.', labelNames: ['a', 'b'] as const, registers: [r] });
  g.set({ a: 'q"uote', b: 'back\\slash\nnl' }, -0.5);
  g.labels('1', '2').set(Infinity);
  const h = new Histogram({ name: 'x_plain_seconds', help: 'No labels.', buckets: [0.5, 1], registers: [r] });
  h.observe(0.5); // on a bound: counted in that bucket (le = "less or equal")
  h.observe(2); // above every bound: only +Inf
  const text = await r.metrics();
  assert.equal(text, PROM_CLIENT_ESCAPES_TEXT);
  const [odd, plain] = parseExposition(text);
  assert.deepEqual(odd!.samples[0], { name: 'x_odd', labels: { a: 'q"uote', b: 'back\\slash\nnl' }, value: -0.5 });
  assert.equal(odd!.samples[1]!.value, Infinity);
  assert.equal(checkHistogram(plain!), 1);
  assert.deepEqual(h.snapshot(), { cumulative: [1, 1, 2], sum: 2.5, count: 2 });
});

test('metrics refuse what prom-client refused: negative counter steps, unknown labels, wrong label counts, le, duplicates', () => {
  const r = new Registry();
  const c = new Counter({ name: 'x_total', help: 'h', labelNames: ['kind'] as const, registers: [r] });
  assert.throws(() => c.inc(-1), /cannot decrease/);
  assert.throws(() => c.inc(NaN), /finite/);
  assert.throws(() => c.inc({ other: 'x' } as never), /label "other"/);
  assert.throws(() => c.labels('a', 'b'), /expected 1 label values/);
  assert.throws(() => new Counter({ name: 'x_total', help: 'again', registers: [r] }), /already registered/);
  assert.throws(() => new Gauge({ name: 'bad name', help: 'h' }), /metric name/);
  assert.throws(() => new Gauge({ name: 'g', help: 'h', labelNames: ['__reserved'] }), /invalid label name/);
  assert.throws(() => new Histogram({ name: 'h', help: 'h', labelNames: ['le'], buckets: [1] }), /reserved/);
  c.inc({ kind: 'a' }, 0);
  c.labels('a').inc(2.5);
  assert.equal(c.value({ kind: 'a' }), 2.5);
  // labels() handles are cached per values and share the series with the object form; the usual errors still apply.
  assert.equal(c.labels('a'), c.labels('a'));
  c.labels('a').inc();
  c.inc({ kind: 'a' });
  assert.equal(c.value({ kind: 'a' }), 4.5);
  assert.throws(() => c.labels('a').inc(-1), /cannot decrease/);
  c.reset();
  c.labels('a').inc();
  assert.equal(c.value({ kind: 'a' }), 1);
  const h = new Histogram({ name: 'hh', help: 'h', labelNames: ['m'] as const, buckets: [1] });
  h.labels('x').observe(0.5);
  h.observe({ m: 'x' }, 2);
  assert.deepEqual(h.snapshot({ m: 'x' }), { cumulative: [1, 2], sum: 2.5, count: 2 });
  assert.throws(() => h.labels('x').observe('1' as never), /not a number/);
});

test('histogram buckets: counts land in the first bucket whose bound is >= the value, and add up', () => {
  const h = new Histogram({ name: 'd_seconds', help: 'h', labelNames: ['m'] as const, buckets: [...DURATION_BUCKETS_SECONDS] });
  const values = [0, 0.0005, 0.001, 0.0011, 0.003, 0.7, 1, 29.9, 60, 60.0001, 500];
  for (const v of values) h.labels('x').observe(v);
  const snap = h.snapshot({ m: 'x' });
  const expected = [...DURATION_BUCKETS_SECONDS, Infinity].map((le) => values.filter((v) => v <= le).length);
  assert.deepEqual(snap.cumulative, expected);
  assert.equal(snap.count, values.length);
  assert.ok(Math.abs(snap.sum - values.reduce((a, b) => a + b, 0)) < 1e-9);
});

test('process metrics: the names, types and help texts of prom-client, with believable values', async () => {
  const m = createMetrics();
  // The first scrape loads them and starts the event-loop delay monitor and the GC observer.
  const first = parseExposition(await m.registry.metrics());
  assert.match(first[0]!.name, /^botwarden_process_/, 'process metrics come first, as with prom-client');
  for (const f of first.filter((x) => /eventloop_lag_(min|max|mean|stddev|p\d+)_seconds$/.test(x.name))) {
    assert.ok(f.samples[0]!.value >= 0 && f.samples[0]!.value < 10, `${f.name} is a delay, not a sentinel: ${f.samples[0]!.value}`);
  }
  // Churn some garbage so at least one GC is observed, and block the loop so the lag shows.
  let keep = 0;
  for (let i = 0; i < 200_000; i++) keep += { i, s: `x${i}` }.s.length;
  assert.ok(keep > 0);
  await new Promise((r) => setTimeout(r, 30)); // the delay monitor's first ticks (the first one records nothing)
  const until = Date.now() + 60;
  while (Date.now() < until) {
    // busy: the event loop is blocked for ~60 ms
  }
  await new Promise((r) => setTimeout(r, 30)); // the monitor's next tick records the block (only later under load)
  const fams = parseExposition(await m.registry.metrics());
  const own = fams.filter((f) => /^botwarden_(process|nodejs)_/.test(f.name));
  const expected = process.platform === 'linux' ? PROCESS_METRICS : PROCESS_METRICS.filter(([n]) => !/virtual_memory|process_heap_bytes|_fds$/.test(n));
  assert.deepEqual(
    own.map((f) => [f.name, f.type, f.help]),
    expected,
  );
  const value = (name: string): number => {
    const f = fams.find((x) => x.name === name);
    assert.ok(f && f.samples.length > 0, `${name} has a sample`);
    return f.samples[0]!.value;
  };
  const rss = value('botwarden_process_resident_memory_bytes');
  assert.ok(rss > 10 * 2 ** 20 && rss < 8 * 2 ** 30, `rss ${rss}`);
  const start = value('botwarden_process_start_time_seconds');
  assert.ok(Math.abs(start - (Date.now() / 1000 - process.uptime())) < 2, 'start time');
  const user = value('botwarden_process_cpu_user_seconds_total');
  const sys = value('botwarden_process_cpu_system_seconds_total');
  assert.ok(user > 0 && Math.abs(value('botwarden_process_cpu_seconds_total') - (user + sys)) < 1e-6);
  assert.ok(value('botwarden_nodejs_eventloop_lag_max_seconds') >= 0.04, 'the ~60 ms block shows in the lag maximum');
  assert.ok(value('botwarden_nodejs_heap_size_used_bytes') > 0);
  const spaces = fams.find((f) => f.name === 'botwarden_nodejs_heap_space_size_used_bytes')!.samples.map((s) => s.labels.space);
  assert.ok(spaces.includes('new') && spaces.includes('old'), `spaces ${spaces.join(',')}`);
  const version = fams.find((f) => f.name === 'botwarden_nodejs_version_info')!.samples[0]!;
  assert.equal(version.labels.version, process.version);
  const gc = fams.find((f) => f.name === 'botwarden_nodejs_gc_duration_seconds')!;
  assert.ok(checkHistogram(gc) >= 1, 'at least one GC kind observed');
  assert.ok(gc.samples.every((s) => s.name !== `${gc.name}_bucket` || ['major', 'minor', 'incremental', 'weakcb'].includes(s.labels.kind!)));
  // A second scrape works and counters do not go backwards.
  const again = parseExposition(await m.registry.metrics());
  const user2 = again.find((f) => f.name === 'botwarden_process_cpu_user_seconds_total')!.samples[0]!.value;
  assert.ok(user2 >= user);
});

test('a daemon nobody scrapes never loads the process metrics (no perf_hooks, no event-loop sampling)', async () => {
  const mod = new URL('../../src/metrics/botwarden-metrics.ts', import.meta.url).href;
  const code = [
    `const { createMetrics } = await import(${JSON.stringify(mod)});`,
    'const loaded = () => process.moduleLoadList.includes("NativeModule perf_hooks");',
    'const m = createMetrics(); m.up.set(1);',
    'const before = loaded();',
    'const text = await m.registry.metrics();',
    'console.log(JSON.stringify({ before, after: loaded(), rss: /botwarden_process_resident_memory_bytes \\d+/.test(text) }));',
  ].join('\n');
  const { execFile } = await import('node:child_process');
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { timeout: 20_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );
  assert.deepEqual(JSON.parse(out.trim().split('\n').at(-1)!), { before: false, after: true, rss: true });
});
