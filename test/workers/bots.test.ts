// Real bot libraries as workers, unchanged (examples/bots): grammY, Telegraf and python-telegram-bot 13, two workers
// each over many chats with one worker killed -9 and started again: nothing lost, every chat in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { EXAMPLES, ptb13Missing, type Instance, emulatorForFile } from '../helpers/fleet.js';
import { useRedis } from '../helpers/services.js';
import { describeChatOrder, Traffic } from '../helpers/traffic.js';
import { eventually } from '../helpers/wait.js';
import { dropKeys, startWorker } from './helpers.js';

const shared = await useRedis();
const emu = emulatorForFile();

const BOTS: Array<[string, string[], false | string]> = [
  ['grammY', [process.execPath, path.join(EXAMPLES, 'grammy.mjs')], false],
  ['Telegraf', [process.execPath, path.join(EXAMPLES, 'telegraf.mjs')], false],
  ['python-telegram-bot 13', ['/usr/bin/python3', path.join(EXAMPLES, 'ptb13.py')], ptb13Missing()],
];

for (const [name, command, missing] of BOTS) {
  test(`${name} as two workers, one killed -9 and started again: 0 lost, per-chat order kept`, { skip: shared.skip || missing }, async (t) => {
    const bot = await emu.createBot(`workers_${name.replace(/\W/g, '').toLowerCase()}_bot`);
    const insts = new Map<string, Instance>();
    const start = async (n: string): Promise<void> => {
      const inst = await startWorker({ name: n, emu, token: bot.token, redis: shared.url, command });
      insts.set(n, inst);
      await inst.waitFor(/ready/, 30_000);
    };
    try {
      await start('A');
      await start('B');
      await eventually('partitions spread over both', async () => (await Promise.all([...insts.values()].map((i) => i.probe()))).every((s) => (s?.workers?.partitions.length ?? 0) > 0), 20_000);
      const inj = new Traffic(emu, bot.id, { chats: 12, everyMs: 10, max: 240 }).start();
      await eventually('80 messages sent', () => inj.count >= 80, 60_000);
      const victim = (await insts.get('A')!.probe())?.role === 'leader' ? 'B' : 'A';
      t.diagnostic(`kill -9 ${victim} after ${inj.count} messages`);
      await insts.get(victim)!.kill9();
      await insts.get(victim)!.dispose();
      await start(victim);
      await inj.done();
      const r = await inj.chatOrder(40_000);
      t.diagnostic(describeChatOrder(r));
      assert.deepEqual(r.missing, []);
      assert.deepEqual(r.orderViolations, []);
      assert.deepEqual(r.lateRepeats, []);
      assert.ok(r.duplicates <= 12, `${r.duplicates} duplicates: at most one batch in hand (one update per chat)`);
      assert.equal((await emu.stats(bot.id)).conflicts, 0, 'no 409');
    } finally {
      await Promise.all([...insts.values()].map((i) => i.dispose()));
      await dropKeys(shared.url, bot.id);
    }
  });
}
