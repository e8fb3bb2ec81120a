// Worker mode end to end: N `botwarden run --workers` instances over many chats; per-chat order, nothing lost,
// duplicates only for updates a killed worker had in hand; kill -9 of a worker and of the poller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Instance, emulatorForFile } from '../helpers/fleet.js';
import { useRedis } from '../helpers/services.js';
import { describeChatOrder, Traffic } from '../helpers/traffic.js';
import { eventually } from '../helpers/wait.js';
import { dropKeys, metricSum, seeded, startWorker } from './helpers.js';

const shared = await useRedis();
const emu = emulatorForFile();

test('3 workers share the partitions: every chat answered in order, nothing lost, nothing twice; /status shows the partitions', { skip: shared.skip }, async (t) => {
  const bot = await emu.createBot('workers_basic_bot');
  const insts: Instance[] = [];
  try {
    for (const name of ['A', 'B', 'C']) insts.push(await startWorker({ name, emu, token: bot.token, redis: shared.url }));
    // Every partition owned by exactly one instance, and all of them owned.
    const owned = await eventually(
      'partitions spread over the three',
      async () => {
        const snaps = await Promise.all(insts.map((i) => i.probe()));
        const parts = snaps.map((s) => s?.workers?.partitions ?? []);
        const all = parts.flat().sort((a, b) => a - b);
        return parts.every((p) => p.length > 0) && all.length === 8 && new Set(all).size === 8 ? parts : undefined;
      },
      20_000,
    );
    t.diagnostic(`partitions: ${owned.map((p, i) => `${insts[i]!.name}=${p.join(',')}`).join(' ')}`);
    const inj = new Traffic(emu, bot.id, { chats: 24, everyMs: 3, max: 480 }).start();
    await inj.done();
    const r = await inj.chatOrder();
    t.diagnostic(describeChatOrder(r));
    assert.deepEqual(r.missing, []);
    assert.deepEqual(r.orderViolations, []);
    assert.deepEqual(r.lateRepeats, []);
    assert.equal(r.duplicates, 0, 'nobody was killed: nothing is processed twice');
    const page = await (await fetch(`${insts[0]!.healthUrl}/`)).text();
    assert.match(page, /<h2>Workers<\/h2>/, 'the status page has the workers card');
    const snaps = await Promise.all(insts.map((i) => i.probe()));
    const leaders = snaps.filter((s) => s?.role === 'leader');
    assert.equal(leaders.length, 1, 'one poller');
    for (const s of snaps) {
      assert.ok(s?.workers, 'workers in /status');
      assert.equal(typeof s.workers.inHand, 'number');
      assert.ok(Array.isArray(s.workers.partitions));
      assert.equal(s.child.pid !== null, true, 'every instance runs the bot');
    }
    const delivered = await Promise.all(insts.map((i) => metricSum(i, 'botwarden_workers_delivered_total')));
    t.diagnostic(`delivered per worker: ${delivered.join(' ')}`);
    assert.ok(
      delivered.every((d) => d > 0),
      'each worker handled some chats',
    );
    assert.equal((await emu.stats(bot.id)).conflicts, 0, 'no 409');
  } finally {
    await Promise.all(insts.map((i) => i.dispose()));
    await dropKeys(shared.url, bot.id);
  }
});

test('kill -9 of workers and of the poller (seeded): 0 lost, per-chat order kept, duplicates only from updates in hand', { skip: shared.skip }, async (t) => {
  const rnd = seeded(15);
  const bot = await emu.createBot('workers_kill_bot');
  const names = ['A', 'B', 'C'];
  const insts = new Map<string, Instance>();
  const start = async (name: string): Promise<void> => {
    insts.set(name, await startWorker({ name, emu, token: bot.token, redis: shared.url, handlerMs: 10 }));
  };
  try {
    for (const n of names) await start(n);
    await eventually('all partitions owned', async () => (await Promise.all([...insts.values()].map((i) => i.probe()))).reduce((n, s) => n + (s?.workers?.partitions.length ?? 0), 0) === 8, 20_000);
    const inj = new Traffic(emu, bot.id, { chats: 20, everyMs: 8, max: 600 }).start();
    let inHandAtKills = 0;
    for (let round = 0; round < 3; round++) {
      const sent = 80 * (round + 1);
      await eventually(`${sent} messages sent`, () => inj.count >= sent, 60_000);
      const snaps = await Promise.all(names.map(async (n) => ({ n, s: await insts.get(n)!.status() })));
      // Round 1 kills the poller; the others a seeded worker that is not the poller.
      const poller = snaps.find((x) => x.s?.role === 'leader')?.n;
      const others = names.filter((n) => n !== poller);
      const victim = round === 1 && poller ? poller : others[Math.floor(rnd() * others.length)]!;
      const inHand = snaps.find((x) => x.n === victim)?.s?.workers?.inHand ?? 0;
      inHandAtKills += inHand;
      t.diagnostic(`round ${round}: kill -9 ${victim}${victim === poller ? ' (the poller)' : ''}, ${inHand} in hand`);
      await insts.get(victim)!.kill9();
      await insts.get(victim)!.dispose();
      await start(victim);
    }
    await inj.done();
    const r = await inj.chatOrder(40_000);
    t.diagnostic(describeChatOrder(r));
    const redelivered = (await Promise.all([...insts.values()].map((i) => metricSum(i, 'botwarden_workers_redelivered_total')))).reduce((a, b) => a + b, 0);
    t.diagnostic(`redelivered (metrics of the live instances): ${redelivered}; in hand at the kills (sampled just before): ${inHandAtKills}`);
    assert.deepEqual(r.missing, []);
    assert.deepEqual(r.orderViolations, []);
    assert.deepEqual(r.lateRepeats, [], 'a killed worker sends nothing late');
    // A killed worker can have had at most one batch in hand per chat it served: 3 kills × at most 20 chats.
    assert.ok(r.duplicates <= 60, `${r.duplicates} duplicates`);
    assert.equal((await emu.stats(bot.id)).conflicts, 0, 'no 409');
  } finally {
    await Promise.all([...insts.values()].map((i) => i.dispose()));
    await dropKeys(shared.url, bot.id);
  }
});
