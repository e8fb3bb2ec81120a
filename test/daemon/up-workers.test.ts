// `workers:` in a bot's entry of `up`'s config: two `up` processes (separate state dirs, one Redis) both run that bot
// as a worker and share its partitions, next to a plain bot that leads on one of them. Traffic over many chats: both
// hosts handle updates, nothing lost, every chat in order, no 409; after kill -9 of one host's process group the other
// serves both bots, still nothing lost and every chat in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RAW_ECHO, tempStateDir, emulatorForFile } from '../helpers/fleet.js';
import { eventually } from '../helpers/wait.js';
import { startUp, writeConfig, type RunningUp } from '../helpers/botwarden-up.js';
import { useRedis } from '../helpers/services.js';
import { Traffic, describeChatOrder, describeReport } from '../helpers/traffic.js';
import { WORKER_ECHO, dropKeys } from '../workers/helpers.js';
import type { FleetStatus } from '../../src/daemon/fleet.js';

const shared = await useRedis();
// A database of its own on the shared Redis (keys are per bot id too, and removed at the end).
const REDIS = shared.skip ? '' : `${shared.url.replace(/\/\d+$/, '')}/9`;
const PARTITIONS = 8;

const emu = emulatorForFile();

function entry(s: FleetStatus, name: string): FleetStatus['bots'][number] {
  const e = s.bots.find((b) => b.name === name);
  assert.ok(e, `bot ${name} in /status`);
  return e;
}

/** Updates the worker bot `w` was handed on one host: its `botwarden_workers_delivered_total{bot="w"}` samples. */
async function deliveredOn(host: RunningUp): Promise<number> {
  const text = await (await fetch(`${host.healthUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('botwarden_workers_delivered_total{') && line.includes('bot="w"')) sum += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
  }
  return sum;
}

test('up: a bot with `workers:` runs as a worker on two hosts next to a plain bot; 0 lost, per-chat order, 0 409s; kill -9 of a host → the other serves both', { timeout: 240_000, skip: shared.skip }, async (t) => {
  const [wBot, pBot] = await Promise.all([emu.createBot('upworkers_w_bot'), emu.createBot('upworkers_p_bot')]);
  const dirA = tempStateDir();
  const dirB = tempStateDir();
  const env = { UPW_W_TOKEN: wBot.token, UPW_P_TOKEN: pBot.token };
  const config = writeConfig(dirA.dir, {
    apiRoot: emu.url,
    lease: REDIS,
    leaseTtl: '2s',
    stopTimeout: '3s',
    fleet: `test-${process.pid}-upworkers-${wBot.id}`,
    bots: [
      { name: 'w', command: [process.execPath, WORKER_ECHO], tokenEnv: 'UPW_W_TOKEN', workers: REDIS, partitions: PARTITIONS, env: { HANDLER_MS: '5' } },
      { name: 'p', command: [process.execPath, RAW_ECHO], tokenEnv: 'UPW_P_TOKEN' },
    ],
  });
  let a: RunningUp | undefined;
  let b: RunningUp | undefined;
  let plain: Traffic | undefined;
  try {
    a = await startUp({ config, stateDir: dirA.dir, env, detached: true });
    b = await startUp({ config, stateDir: dirB.dir, env });
    const hosts = [a, b];
    // Both hosts run the worker bot and own some of its partitions, each partition exactly once; one polls Telegram.
    const owned = await eventually(
      'the worker bot runs on both hosts, its partitions split between them',
      async () => {
        const ws = (await Promise.all(hosts.map((h) => h.status()))).map((s) => entry(s, 'w'));
        const parts = ws.map((w) => w.workers?.partitions ?? []);
        const all = parts.flat();
        const running = ws.every((w) => w.child.pid !== null && (w.role === 'leader' || w.role === 'standby'));
        const pollers = ws.filter((w) => w.role === 'leader').length;
        return running && pollers === 1 && parts.every((p) => p.length > 0) && all.length === PARTITIONS && new Set(all).size === PARTITIONS ? parts : undefined;
      },
      60_000,
    );
    t.diagnostic(`partitions: A=${owned[0]!.join(',')} B=${owned[1]!.join(',')}`);
    await eventually('the plain bot leads on exactly one host', async () => (await Promise.all(hosts.map((h) => h.status()))).filter((s) => entry(s, 'p').role === 'leader').length === 1, 30_000);

    plain = new Traffic(emu, pBot.id, { prefix: 'p', everyMs: 40, max: 400 }).start();
    const first = new Traffic(emu, wBot.id, { prefix: 'a', chats: 16, chatBase: 5000, everyMs: 4, max: 320 }).start();
    await first.done();
    const r1 = await first.chatOrder(60_000);
    t.diagnostic(`before the kill: ${describeChatOrder(r1)}`);
    assert.deepEqual(r1.missing, []);
    assert.deepEqual(r1.orderViolations, []);
    assert.deepEqual(r1.lateRepeats, []);
    assert.equal(r1.duplicates, 0, 'nobody was killed: nothing is handled twice');
    const delivered = await Promise.all(hosts.map(deliveredOn));
    t.diagnostic(`worker updates handed out: A=${delivered[0]} B=${delivered[1]}`);
    assert.ok(delivered.every((d) => d > 0), 'both hosts handled updates of the worker bot');

    // kill -9 of host A's whole process group (botwarden and both bots' children), with traffic flowing.
    const second = new Traffic(emu, wBot.id, { prefix: 'b', chats: 16, chatBase: 6000, everyMs: 6, max: 320 }).start();
    await eventually('traffic flows again', () => second.count >= 80, 30_000);
    await a.kill9();
    await second.done();
    const r2 = await second.chatOrder(60_000);
    t.diagnostic(`around the kill: ${describeChatOrder(r2)}`);
    assert.deepEqual(r2.missing, []);
    assert.deepEqual(r2.orderViolations, []);
    assert.deepEqual(r2.lateRepeats, [], 'a killed host cannot finish anything late');
    assert.ok(r2.duplicates <= 16, `${r2.duplicates} duplicates: at most what host A had in hand (one update per chat)`);
    const sb = await eventually(
      'host B polls for the worker bot, owns every partition, and leads the plain bot',
      async () => {
        const s = await b!.status();
        return entry(s, 'w').role === 'leader' && entry(s, 'w').workers?.partitions.length === PARTITIONS && entry(s, 'p').role === 'leader' ? s : undefined;
      },
      30_000,
    );
    assert.equal(entry(sb, 'w').workers?.partitionCount, PARTITIONS);

    await plain.stop();
    const rp = await plain.report({ timeoutMs: 30_000 });
    t.diagnostic(`plain bot: ${describeReport(rp)}`);
    assert.equal(rp.lost, 0, `plain bot lost ${rp.lostTexts.join(' ')}`);
    for (const bot of [wBot, pBot]) assert.equal((await emu.stats(bot.id)).conflicts, 0, `no 409 for bot ${bot.id}`);

    b.child.kill('SIGTERM');
    assert.equal(await b.exited(), 0, b.stderr());
  } finally {
    await plain?.close();
    await a?.kill9();
    await b?.stop();
    dirA.remove();
    dirB.remove();
    if (REDIS) await Promise.all([wBot.id, pBot.id].map((id) => dropKeys(REDIS, id)));
  }
});
