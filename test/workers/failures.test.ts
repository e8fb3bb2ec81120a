// Worker mode under failures: a worker frozen (SIGSTOP) longer than the TTL, and Redis killed -9 and started again
// with AOF. Nothing lost, no chat out of order; a frozen worker's bot may only finish, late, what it had in hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Instance, emulatorForFile } from '../helpers/fleet.js';
import { redisServerMissing, startPrivateRedis, useRedis } from '../helpers/services.js';
import { describeChatOrder, Traffic } from '../helpers/traffic.js';
import { eventually } from '../helpers/wait.js';
import { dropKeys, metricSum, seeded, startWorker } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const shared = await useRedis();
const emu = emulatorForFile();

const ownedBy = async (insts: readonly Instance[]): Promise<number> => (await Promise.all(insts.map((i) => i.probe()))).reduce((n, s) => n + (s?.workers?.partitions.length ?? 0), 0);

test('a worker frozen longer than the TTL: the others take its partitions, its late acknowledgements are fenced, nothing lost, order kept', { skip: shared.skip }, async (t) => {
  const rnd = seeded(7);
  const bot = await emu.createBot('workers_freeze_bot');
  const insts: Instance[] = [];
  try {
    for (const name of ['A', 'B', 'C']) insts.push(await startWorker({ name, emu, token: bot.token, redis: shared.url, handlerMs: 20 }));
    await eventually('all partitions owned', async () => (await ownedBy(insts)) === 8, 20_000);
    const inj = new Traffic(emu, bot.id, { chats: 20, everyMs: 8, max: 500 }).start();
    await eventually('100 messages sent (the workers have some in hand)', () => inj.count >= 100, 60_000);
    const snaps = await Promise.all(insts.map((i) => i.probe()));
    const candidates = insts.filter((_i, k) => snaps[k]?.role !== 'leader');
    const victim = candidates[Math.floor(rnd() * candidates.length)]!;
    const others = insts.filter((i) => i !== victim);
    const before = await victim.status();
    const frozenAt = Date.now();
    victim.freeze();
    t.diagnostic(`froze ${victim.name} (${before?.workers?.partitions.length} partitions, ${before?.workers?.inHand} in hand)`);
    await eventually('the others own every partition', async () => (await ownedBy(others)) === 8, 20_000, 50);
    t.diagnostic(`its partitions served again by the others after ${Date.now() - frozenAt} ms (TTL 3000 ms)`);
    await sleep(1000); // it stays frozen a while after the others took over (the scenario)
    victim.thaw();
    await eventually('the thawed worker owns partitions again', async () => ((await victim.probe())?.workers?.partitions.length ?? 0) > 0, 20_000);
    await inj.done();
    const r = await inj.chatOrder(40_000);
    t.diagnostic(describeChatOrder(r));
    const fenced = await metricSum(victim, 'botwarden_workers_fenced_total');
    t.diagnostic(`fenced confirmations on the thawed worker: ${fenced}; late repeats: ${r.lateRepeats.join(' ') || 'none'}`);
    assert.deepEqual(r.missing, []);
    assert.deepEqual(r.orderViolations, []);
    // The frozen bot can finish at most the batch it had: one update per chat.
    assert.ok(r.lateRepeats.length <= 20, `${r.lateRepeats.length} late repeats`);
    assert.equal((await emu.stats(bot.id)).conflicts, 0, 'no 409');
  } finally {
    await Promise.all(insts.map((i) => i.dispose()));
    await dropKeys(shared.url, bot.id);
  }
});

test('Redis killed -9 and started again with AOF, down longer than the TTL: nothing lost, order kept', { skip: redisServerMissing() ?? false }, async (t) => {
  const redis = await startPrivateRedis({ aof: true });
  const bot = await emu.createBot('workers_aof_bot');
  const insts: Instance[] = [];
  try {
    for (const name of ['A', 'B']) insts.push(await startWorker({ name, emu, token: bot.token, redis: redis.url, handlerMs: 10 }));
    await eventually('all partitions owned', async () => (await ownedBy(insts)) === 8, 20_000);
    const inj = new Traffic(emu, bot.id, { chats: 10, everyMs: 10, max: 400 }).start();
    await eventually('100 messages sent', () => inj.count >= 100, 60_000);
    await redis.stop({ crash: true });
    t.diagnostic(`Redis killed -9 after ${inj.count} messages`);
    await sleep(4000); // Redis stays down longer than the 3 s TTL (the scenario)
    await redis.start();
    t.diagnostic(`Redis started again after ${inj.count} messages`);
    await inj.done();
    const r = await inj.chatOrder(40_000);
    t.diagnostic(describeChatOrder(r));
    const redelivered = (await Promise.all(insts.map((i) => metricSum(i, 'botwarden_workers_redelivered_total')))).reduce((a, b) => a + b, 0);
    t.diagnostic(`redelivered: ${redelivered}`);
    assert.deepEqual(r.missing, []);
    assert.deepEqual(r.orderViolations, []);
    assert.deepEqual(r.lateRepeats, []);
    assert.equal((await emu.stats(bot.id)).conflicts, 0, 'no 409');
  } finally {
    await Promise.all(insts.map((i) => i.dispose()));
    await redis.close();
  }
});
