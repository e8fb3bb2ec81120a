// Two `botwarden up` with separate state dirs and one Redis or PostgreSQL lease behave as two hosts: each bot leads
// exactly once, the bots spread evenly once a second host joins (graceful hand-overs), and after kill -9 of one
// host's process group the other answers for every bot; 0 409s, every update answered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RAW_ECHO, tempStateDir, emulatorForFile } from '../helpers/fleet.js';
import { eventually } from '../helpers/wait.js';
import { cli, startUp, writeConfig, type RunningUp } from '../helpers/botwarden-up.js';
import { usePostgres, useRedis } from '../helpers/services.js';
import type { FleetStatus } from '../../src/daemon/fleet.js';

const emu = emulatorForFile();

function leaders(s: FleetStatus): string[] {
  return s.bots.filter((b) => b.role === 'leader').map((b) => b.name);
}

async function allAnswer(bots: Array<{ id: number }>, tag: string): Promise<void> {
  for (const b of bots) await emu.sendText(b.id, `${tag}-${b.id}`);
  await eventually(
    `every bot answers ${tag}`,
    async () => {
      for (const b of bots) if (!(await emu.sent(b.id)).some((m) => m.text === `echo: ${tag}-${b.id}`)) return false;
      return true;
    },
    30_000,
  );
}

for (const [kind, { url, skip }] of [
  ['Redis', await useRedis()],
  ['PostgreSQL', await usePostgres()],
] as const) {
  test(`two hosts on one ${kind} lease: spread evenly, each bot once; kill -9 of a host → the other answers for all, 0 409s`, { timeout: 240_000, skip }, async () => {
    const N = 6;
    const bots = await Promise.all(Array.from({ length: N }, (_v, i) => emu.createBot(`hosts_${kind.toLowerCase()}_${i}_bot`)));
    const dirA = tempStateDir();
    const dirB = tempStateDir();
    const env = Object.fromEntries(bots.map((b, i) => [`HOSTS_T${i}`, b.token]));
    const config = writeConfig(dirA.dir, {
      apiRoot: emu.url,
      lease: url,
      leaseTtl: '2s',
      stopTimeout: '3s',
      fleet: `test-${process.pid}-${kind.toLowerCase()}-${bots[0]!.id}`,
      bots: bots.map((_b, i) => ({ name: `b${i}`, command: [process.execPath, RAW_ECHO], tokenEnv: `HOSTS_T${i}` })),
    });
    let a: RunningUp | undefined;
    let b: RunningUp | undefined;
    try {
      a = await startUp({ config, stateDir: dirA.dir, env, detached: true });
      await eventually('host A leads every bot', async () => leaders(await a!.status()).length === N, 30_000);
      b = await startUp({ config, stateDir: dirB.dir, env });
      const [sa, sb] = await eventually(
        'the bots spread 3/3, each bot led exactly once',
        async () => {
          const [x, y] = [await a!.status(), await b!.status()];
          const la = leaders(x);
          const lb = leaders(y);
          if (la.length !== N / 2 || lb.length !== N / 2) return undefined;
          return new Set([...la, ...lb]).size === N ? ([x, y] as const) : undefined;
        },
        60_000,
      );
      assert.equal(sa.host.hosts, 2);
      assert.equal(sb.host.fairShare, N / 2);
      for (const e of sb.bots) assert.ok(e.lease.holder, `${e.name} has a holder`);
      await allAnswer(bots, 'spread');

      // A bot stopped on host B goes to host A and stays there (B no longer runs it, so it is not assigned to B);
      // started again on B, the balance comes back by a graceful hand-over.
      const moved = leaders(sb)[0]!;
      const stopped = await cli(['stop', moved, '--state-dir', dirB.dir]);
      assert.equal(stopped.code, 0, stopped.stderr);
      await eventually(`host A leads ${moved}`, async () => leaders(await a!.status()).includes(moved), 30_000);
      const started = await cli(['start', moved, '--state-dir', dirB.dir]);
      assert.equal(started.code, 0, started.stderr);
      await eventually(
        `${moved} back on host B, 3/3`,
        async () => {
          const [la, lb] = [leaders(await a!.status()), leaders(await b!.status())];
          return lb.includes(moved) && la.length === N / 2 && lb.length === N / 2;
        },
        // A bound, not a figure: a hand-over that does not stick on a loaded machine is tried again after
        // balance.ts's RETRY_AFTER_MS (30 s), so the wait must outlast one retry.
        90_000,
      );

      // kill -9 of host A's whole process group (botwarden and its bots)
      await a.kill9();
      await eventually('host B leads every bot', async () => leaders(await b!.status()).length === N, 30_000);
      await allAnswer(bots, 'after-kill');
      for (const bot of bots) assert.equal((await emu.stats(bot.id)).conflicts, 0, `no 409 for bot ${bot.id}`);

      b.child.kill('SIGTERM');
      assert.equal(await b.exited(), 0, b.stderr());
    } finally {
      await a?.kill9();
      await b?.stop();
      dirA.remove();
      dirB.remove();
    }
  });
}
