// Leases across hosts on Redis (issue #4): real `botwarden run` instances, graceful handover, kill -9, frozen leader.
import { after, before, test } from 'node:test';
import { startFleetEmulator, type RunningEmulator } from '../helpers/fleet.js';
import { useRedis } from '../helpers/services.js';
import { frozenLeader, handoverThenKill, type ScenarioEnv } from './scenarios.js';

// 3000, not 2000: at --lease-ttl ≤ 2500 the gateway's fixed 1000 ms lease margin leaves no room for a 1 s long poll,
// so a bot's poll is held to its own timeout (30 s for grammY) before anything goes upstream (reported; see
// test/chaos/README.md). Safety does not depend on it; delivery latency does.
const TTL_MS = 3000;
const service = await useRedis();
let emu: RunningEmulator;
let env: ScenarioEnv;
before(async () => {
  if (service.skip) return;
  emu = await startFleetEmulator();
  env = { emu, lease: service.url, ttlMs: TTL_MS, label: 'redis' };
});
after(async () => {
  await emu?.close();
});

test('redis, three hosts: graceful stop hands over, kill -9 fails over once the lease could run out (not before); nothing lost, no 409', { skip: service.skip }, async (t) => {
  await handoverThenKill(t, env);
});

test('redis, two hosts: a frozen leader (SIGSTOP > TTL) is replaced, its late answer discarded, and it steps down on SIGCONT', { skip: service.skip }, async (t) => {
  await frozenLeader(t, env);
});
